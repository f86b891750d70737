from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest

from passport.errors import TaxonomyError
from passport.resources import data_dir
from passport.taxonomy import cefr_rank, load_taxonomy


@pytest.fixture()
def data_copy(tmp_path):
    target = tmp_path / "data"
    shutil.copytree(data_dir(), target)
    return target


def edit(data_copy, relative, change):
    path = data_copy / relative
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame = change(frame)
    frame.to_csv(path, index=False)


def test_the_shipped_data_is_valid(taxonomy):
    assert 16 <= taxonomy.n_soft_skills <= 24
    assert len(taxonomy.occupations) >= 25 and len(taxonomy.trainings) >= 40
    assert len(taxonomy.municipalities) == 21
    assert taxonomy.occupation_levels.shape == (len(taxonomy.occupations), taxonomy.n_soft_skills)
    assert {"healthcare", "energy_transition", "construction_infra", "industry", "logistics"} == set(taxonomy.sectors)


def test_loading_is_cached_and_arrays_are_read_only(taxonomy):
    assert load_taxonomy() is taxonomy
    with pytest.raises(ValueError):
        taxonomy.occupation_levels[0, 0] = 9


def test_soft_skill_order_version_is_stable(taxonomy):
    assert taxonomy.soft_skill_order_version.startswith(f"soft-skills/{taxonomy.n_soft_skills}/")


def test_an_unknown_skill_in_the_uplifts_is_named(data_copy):
    edit(data_copy, "training/uplifts.csv", lambda f: f.assign(skill_id=f.skill_id.where(f.index != 2, "juggling")))
    with pytest.raises(TaxonomyError) as caught:
        load_taxonomy(data_copy)
    err = caught.value
    assert (err.file, err.row, err.field) == ("training/uplifts.csv", 4, "skill_id")
    assert "juggling" in str(err)


def set_cell(data_copy, relative, row, column, value):
    def change(frame):
        frame.loc[row, column] = value
        return frame
    edit(data_copy, relative, change)


@pytest.mark.parametrize("relative,row,column,value,message", [
    ("occupations/skill_levels.csv", 5, "focus", "7", r"skill_levels.csv, line 7, field 'focus': 7 is outside 1–5"),
    ("taxonomy/soft_skills.csv", 3, "skill_id", "active_listening",
     r"soft_skills.csv, line 5, field 'skill_id': duplicate id 'active_listening'"),
    ("training/catalogue.csv", 0, "seats", "many", r"catalogue.csv, line 2, field 'seats': 'many' is not a number"),
    ("training/catalogue.csv", 2, "min_dutch_cefr", "Z9", r"line 4, field 'min_dutch_cefr': unknown CEFR level 'Z9'"),
    ("occupations/occupations.csv", 1, "esco_uri", "http://example.org/x", r"line 3, field 'esco_uri': .* not an ESCO URI"),
])
def test_a_bad_cell_is_named_by_file_line_and_field(data_copy, relative, row, column, value, message):
    set_cell(data_copy, relative, row, column, value)
    with pytest.raises(TaxonomyError, match=message):
        load_taxonomy(data_copy)


def test_a_missing_column_is_named(data_copy):
    edit(data_copy, "occupations/occupations.csv", lambda f: f.drop(columns=["eqf_level"]))
    with pytest.raises(TaxonomyError, match=r"occupations.csv: missing column\(s\): eqf_level"):
        load_taxonomy(data_copy)


def test_an_unknown_hard_skill_in_an_occupation_is_named(data_copy):
    edit(data_copy, "occupations/hard_skills.csv",
         lambda f: f.assign(hard_skill_id=f.hard_skill_id.where(f.index != 0, "pilot_licence")))
    with pytest.raises(TaxonomyError, match=r"line 2, field 'hard_skill_id': unknown hard skill 'pilot_licence'"):
        load_taxonomy(data_copy)


def test_a_missing_file_is_named(data_copy):
    (data_copy / "training/uplifts.csv").unlink()
    with pytest.raises(TaxonomyError, match="training/uplifts.csv: file not found"):
        load_taxonomy(data_copy)


def test_cefr_ranks():
    assert [cefr_rank(c) for c in ("A1", "B1", "C2")] == [1, 3, 6]
    with pytest.raises(ValueError, match="unknown CEFR level 'D1'"):
        cefr_rank("D1")


def test_occupation_profiles_are_internally_consistent(taxonomy):
    # Every occupation needs at least one important skill and lists no hard skill twice.
    assert (taxonomy.occupation_importance.max(axis=1) >= 2).all()
    assert not (taxonomy.occupation_essential & taxonomy.occupation_optional).any()
    # Requirements that matter most are never below 'developing'.
    important = taxonomy.occupation_importance >= 3
    assert (taxonomy.occupation_levels[important] >= 2).all()


def test_every_training_prerequisite_is_a_hard_skill_some_training_grants(taxonomy):
    needed = taxonomy.training_prerequisite.any(axis=0)
    granted = taxonomy.training_grants.any(axis=0)
    assert np.all(granted[needed])
