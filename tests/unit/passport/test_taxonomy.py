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


def test_a_level_outside_the_scale_is_named(data_copy):
    def raise_level(frame):
        frame.loc[5, "focus"] = "7"
        return frame
    edit(data_copy, "occupations/skill_levels.csv", raise_level)
    with pytest.raises(TaxonomyError, match=r"skill_levels.csv, line 7, field 'focus': 7 is outside 1–5"):
        load_taxonomy(data_copy)


def test_a_duplicate_id_is_named(data_copy):
    def duplicate(frame):
        frame.loc[3, "skill_id"] = frame.loc[1, "skill_id"]
        return frame
    edit(data_copy, "taxonomy/soft_skills.csv", duplicate)
    with pytest.raises(TaxonomyError, match=r"soft_skills.csv, line 5, field 'skill_id': duplicate id"):
        load_taxonomy(data_copy)


def test_a_missing_column_is_named(data_copy):
    edit(data_copy, "occupations/occupations.csv", lambda f: f.drop(columns=["eqf_level"]))
    with pytest.raises(TaxonomyError, match=r"occupations.csv: missing column\(s\): eqf_level"):
        load_taxonomy(data_copy)


def test_a_non_numeric_value_is_named(data_copy):
    def spoil(frame):
        frame.loc[0, "seats"] = "many"
        return frame
    edit(data_copy, "training/catalogue.csv", spoil)
    with pytest.raises(TaxonomyError, match=r"catalogue.csv, line 2, field 'seats': 'many' is not a number"):
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
