from __future__ import annotations

import subprocess
import sys
import tempfile
from dataclasses import fields
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from passport.errors import TableError
from passport.models import PRIOR_LEVEL, PRIOR_SE
from passport.population import TrainingArrays
from passport.tables import (
    read_seekers,
    read_trainings,
    read_vacancies,
    seekers_frame,
    trainings_frame,
    vacancies_frame,
    write_table,
)

# float32 values pass through decimal text in CSV; everything else must come back exactly.
TOLERANT_FIELDS = {"levels", "se", "lat", "lon"}


@pytest.fixture(scope="module")
def market(taxonomy):
    from matching.synthetic import generate_market

    return generate_market(n_seekers=300, n_vacancies=80, n_trainings=15, seed=5, taxonomy=taxonomy)


@pytest.fixture(scope="module")
def group_flags(market):
    groups = market.groups
    return pd.DataFrame({
        "seeker_id": groups["seeker_id"],
        "female": (groups["gender"] == "female").to_numpy(),
        "migration_background": groups["migration_background"].to_numpy(dtype=bool),
        "long_term_unemployed": groups["long_term_unemployed"].to_numpy(dtype=bool),
    })


def assert_same_arrays(got, expected):
    assert type(got) is type(expected)
    for f in fields(expected):
        a, b = getattr(got, f.name), getattr(expected, f.name)
        assert (a.dtype, a.shape) == (b.dtype, b.shape), f.name
        if f.name in TOLERANT_FIELDS:
            np.testing.assert_allclose(a, b, rtol=0, atol=1e-5, err_msg=f.name)
        else:
            np.testing.assert_array_equal(a, b, err_msg=f.name)


def expected_groups(group_flags, ids):
    return group_flags.set_index("seeker_id").loc[list(ids)].reset_index()


# --------------------------------------------------------------------------- round trips


@pytest.mark.parametrize("ext", ["csv", "parquet"])
def test_seekers_and_their_groups_survive_a_round_trip(market, taxonomy, group_flags, tmp_path, ext):
    path = tmp_path / f"seekers.{ext}"
    write_table(seekers_frame(market.seekers, taxonomy, groups=group_flags), path)
    seekers, groups = read_seekers(path, taxonomy)
    assert_same_arrays(seekers, market.seekers)
    pd.testing.assert_frame_equal(groups, expected_groups(group_flags, market.seekers.ids), check_dtype=False)
    assert all(groups[c].dtype == bool for c in groups.columns if c != "seeker_id")


@pytest.mark.parametrize("ext", ["csv", "parquet"])
def test_vacancies_survive_a_round_trip(market, taxonomy, tmp_path, ext):
    path = tmp_path / f"vacancies.{ext}"
    write_table(vacancies_frame(market.vacancies, taxonomy), path)
    assert_same_arrays(read_vacancies(path, taxonomy), market.vacancies)


@pytest.mark.parametrize("ext", ["csv", "parquet"])
def test_trainings_survive_a_round_trip(market, taxonomy, tmp_path, ext):
    path = tmp_path / f"trainings.{ext}"
    write_table(trainings_frame(market.trainings), path)
    assert_same_arrays(read_trainings(path, taxonomy), market.trainings)


@settings(max_examples=20, deadline=None)  # each example writes and reads six files
@given(data=st.data())
def test_any_subset_of_rows_in_any_order_round_trips(market, taxonomy, group_flags, data):
    ext = data.draw(st.sampled_from(["csv", "parquet"]), label="ext")

    def rows(n):
        return np.array(data.draw(st.lists(st.integers(0, n - 1), unique=True, max_size=25)), dtype=np.intp)

    seekers = market.seekers.take(rows(market.seekers.n))
    vacancies = market.vacancies.take(rows(market.vacancies.n))
    trainings = market.trainings.take(rows(market.trainings.n))
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        write_table(seekers_frame(seekers, taxonomy, groups=group_flags), folder / f"s.{ext}")
        write_table(vacancies_frame(vacancies, taxonomy), folder / f"v.{ext}")
        write_table(trainings_frame(trainings), folder / f"t.{ext}")
        got_seekers, got_groups = read_seekers(folder / f"s.{ext}", taxonomy)
        assert_same_arrays(got_seekers, seekers)
        assert got_groups["seeker_id"].tolist() == list(seekers.ids)
        assert got_groups["female"].tolist() == expected_groups(group_flags, seekers.ids)["female"].tolist()
        assert_same_arrays(read_vacancies(folder / f"v.{ext}", taxonomy), vacancies)
        assert_same_arrays(read_trainings(folder / f"t.{ext}", taxonomy), trainings)


# --------------------------------------------------------------------------- meaning of cells


@pytest.fixture()
def few_seekers(market, taxonomy):
    """Eight seekers as a table of text cells, ready to be spoilt one cell at a time."""
    return seekers_frame(market.seekers.take(np.arange(8)), taxonomy).astype(object)


def test_groups_never_enter_the_arrays_and_default_to_none(market, taxonomy, tmp_path, few_seekers):
    path = tmp_path / "seekers.csv"
    write_table(few_seekers, path)
    seekers, groups = read_seekers(path, taxonomy)
    assert list(groups.columns) == ["seeker_id"]
    assert not any("group" in f.name for f in fields(seekers))


def test_a_group_that_is_not_boolean_is_refused_when_writing(market, taxonomy):
    groups = market.groups[["seeker_id", "gender"]]
    with pytest.raises(ValueError, match="'gender' is not boolean"):
        seekers_frame(market.seekers, taxonomy, groups=groups)


def test_empty_level_and_se_mean_unmeasured_and_empty_cefr_means_not_stated(taxonomy, tmp_path, few_seekers):
    few_seekers.loc[2, ["level_focus", "se_focus"]] = ""
    few_seekers.loc[2, "dutch_cefr"] = ""
    path = tmp_path / "seekers.csv"
    write_table(few_seekers, path)
    seekers, _ = read_seekers(path, taxonomy)
    k = taxonomy.skill_index("focus")
    assert (seekers.levels[2, k], seekers.se[2, k], seekers.measured[2, k]) == (PRIOR_LEVEL, PRIOR_SE, False)
    assert seekers.dutch_cefr[2] == 0


def test_empty_sectors_wanted_means_any_sector(taxonomy, tmp_path, few_seekers):
    few_seekers.loc[0, ["sectors_wanted", "sectors_excluded"]] = ["", "logistics"]
    write_table(few_seekers, tmp_path / "seekers.csv")
    seekers, _ = read_seekers(tmp_path / "seekers.csv", taxonomy)
    assert seekers.sector_pref[0].all()
    assert seekers.sector_excluded[0].tolist() == [s == "logistics" for s in taxonomy.sectors]


def test_headers_are_case_blind_and_unknown_columns_ignored(taxonomy, tmp_path, few_seekers):
    frame = few_seekers.rename(columns={"seeker_id": " Seeker_ID ", "lat": "LAT"}).assign(notes="call back")
    write_table(frame, tmp_path / "seekers.csv")
    seekers, _ = read_seekers(tmp_path / "seekers.csv", taxonomy)
    assert seekers.ids.tolist() == few_seekers["seeker_id"].tolist()


def test_left_out_vacancy_columns_come_from_the_occupation_profile(taxonomy, tmp_path):
    occupation = taxonomy.occupation_ids[3]
    row = taxonomy.occupations.loc[occupation]
    frame = pd.DataFrame({"vacancy_id": ["V1", "V2"], "occupation_id": [occupation] * 2, "lat": [51.44] * 2,
                          "lon": [5.47] * 2, "hours_min": [24] * 2, "hours_max": [36] * 2, "openings": [1, 2],
                          "must_have": ["", "none"], "required_focus": ["", "4.5"]})
    write_table(frame, tmp_path / "vacancies.csv")
    vacancies = read_vacancies(tmp_path / "vacancies.csv", taxonomy)
    k = taxonomy.skill_index("focus")
    assert vacancies.must_have[0].tolist() == taxonomy.occupation_essential[3].tolist()
    assert not vacancies.must_have[1].any()
    np.testing.assert_array_equal(vacancies.nice_to_have[0], taxonomy.occupation_optional[3])
    assert vacancies.required[0, k] == np.float32(taxonomy.occupation_levels[3, k])
    assert vacancies.required[1, k] == 4.5
    np.testing.assert_array_equal(vacancies.importance[0], taxonomy.occupation_importance[3].astype(np.float32))
    assert vacancies.min_eqf.tolist() == [max(1, int(row["eqf_level"]) - 1)] * 2
    assert vacancies.min_dutch_cefr.tolist() == [["A1", "A2", "B1", "B2", "C1", "C2"].index(row["min_dutch_cefr"]) + 1] * 2
    assert vacancies.sector.tolist() == [taxonomy.sectors.index(row["sector"])] * 2


def test_training_cost_and_duration_come_from_the_catalogue_unless_given(taxonomy, tmp_path):
    ids = list(taxonomy.training_ids[:2])
    write_table(pd.DataFrame({"training_id": ids, "seats": [3, 0], "cost_eur": ["", "99.5"]}),
                tmp_path / "trainings.csv")
    offers = read_trainings(tmp_path / "trainings.csv", taxonomy)
    catalogue = TrainingArrays.from_taxonomy(taxonomy).take([0, 1])
    assert offers.seats.tolist() == [3, 0]
    assert offers.cost_eur.tolist() == [catalogue.cost_eur[0], 99.5]
    np.testing.assert_array_equal(offers.duration_weeks, catalogue.duration_weeks)
    np.testing.assert_array_equal(offers.uplift, catalogue.uplift)


# --------------------------------------------------------------------------- errors


def spoil(frame, position, **cells):
    frame = frame.copy()
    for column, value in cells.items():
        frame.loc[position, column] = value
    return frame


def read_error(reader, path, taxonomy) -> TableError:
    with pytest.raises(TableError) as caught:
        reader(path, taxonomy)
    return caught.value


@pytest.mark.parametrize("position,cells,message", [
    (7, {"dutch_cefr": "B7"}, "seekers.csv, line 9, column 'dutch_cefr': 'B7' is not a CEFR level (A1..C2)"),
    (2, {"seeker_id": "S0000000"}, "seekers.csv, line 4, column 'seeker_id': duplicate id 'S0000000' (first on line 2)"),
    (3, {"seeker_id": ""}, "seekers.csv, line 5, column 'seeker_id': value is empty"),
    (1, {"lat": "abc"}, "seekers.csv, line 3, column 'lat': 'abc' is not a number"),
    (1, {"lat": "51,4"}, "seekers.csv, line 3, column 'lat': '51,4' is not a number (use a decimal point, not a comma)"),
    (4, {"lon": "51.4"}, "seekers.csv, line 6, column 'lon': 51.4 is outside -32–45"),
    (0, {"education_eqf": "9"}, "seekers.csv, line 2, column 'education_eqf': 9 is outside 1–8"),
    (0, {"education_eqf": "2.5"}, "seekers.csv, line 2, column 'education_eqf': 2.5 is not a whole number"),
    (5, {"max_travel_km": "0"}, "seekers.csv, line 7, column 'max_travel_km': 0 must be above 0"),
    (6, {"hours_min": "30", "hours_max": "20"}, "seekers.csv, line 8, column 'hours_max': 20 is below hours_min 30"),
    (6, {"consent_matching": "maybe"},
     "seekers.csv, line 8, column 'consent_matching': 'maybe' is not true/false (true, false, yes, no, 1, 0)"),
    (2, {"sectors_wanted": "healthcare;fishing"}, "seekers.csv, line 4, column 'sectors_wanted': unknown sector 'fishing'"),
    (0, {"sectors_wanted": "healthcare", "sectors_excluded": "industry; healthcare"},
     "seekers.csv, line 2, column 'sectors_excluded': sector 'healthcare' is also in sectors_wanted"),
    (2, {"hard_skills": "vca_basic;juggling"}, "seekers.csv, line 4, column 'hard_skills': unknown hard skill 'juggling'"),
    (3, {"level_focus": "6", "se_focus": "0.4"}, "seekers.csv, line 5, column 'level_focus': 6 is outside 1–5"),
    (3, {"level_focus": "3", "se_focus": "0"}, "seekers.csv, line 5, column 'se_focus': 0 must be above 0"),
    (3, {"level_focus": "3", "se_focus": ""},
     "seekers.csv, line 5, column 'se_focus': empty while level_focus is given; give both or neither"),
    (4, {"level_focus": "", "se_focus": "0.4"},
     "seekers.csv, line 6, column 'level_focus': empty while se_focus is given; give both or neither"),
    (1, {"group_female": "perhaps"}, "seekers.csv, line 3, column 'group_female': 'perhaps' is not true/false"),
])
def test_a_bad_seeker_cell_is_named_by_file_line_and_column(taxonomy, tmp_path, few_seekers, position, cells, message):
    frame = few_seekers.assign(group_female="no")
    path = tmp_path / "seekers.csv"
    write_table(spoil(frame, position, **cells), path)
    err = read_error(read_seekers, path, taxonomy)
    assert str(err).startswith(message)
    column = message.split("column '")[1].split("'")[0]
    assert (err.file, err.row, err.column, err.row_kind) == ("seekers.csv", position + 2, column, "line")


@pytest.mark.parametrize("position,cells,message", [
    (7, {"dutch_cefr": "B7"}, "seekers.parquet, row 8, column 'dutch_cefr': 'B7' is not a CEFR level (A1..C2)"),
    (0, {"education_eqf": 9}, "seekers.parquet, row 1, column 'education_eqf': 9 is outside 1–8"),
])
def test_parquet_rows_are_counted_from_one(taxonomy, tmp_path, market, position, cells, message):
    frame = seekers_frame(market.seekers.take(np.arange(8)), taxonomy)
    path = tmp_path / "seekers.parquet"
    write_table(spoil(frame, position, **cells), path)
    err = read_error(read_seekers, path, taxonomy)
    assert str(err) == message
    assert (err.row, err.row_kind) == (position + 1, "row")


def test_the_first_column_in_format_order_is_reported_then_the_first_row(taxonomy, tmp_path, few_seekers):
    frame = spoil(spoil(few_seekers, 1, education_eqf="0"), 5, lat="north", education_eqf="12")
    write_table(frame, tmp_path / "seekers.csv")
    assert read_error(read_seekers, tmp_path / "seekers.csv", taxonomy).column == "lat"
    write_table(spoil(frame, 5, lat="51.5"), tmp_path / "seekers.csv")
    err = read_error(read_seekers, tmp_path / "seekers.csv", taxonomy)
    assert (err.column, err.row) == ("education_eqf", 3)


def test_a_missing_required_column_is_named(taxonomy, tmp_path, few_seekers):
    write_table(few_seekers.drop(columns=["se_focus", "lat"]), tmp_path / "seekers.csv")
    err = read_error(read_seekers, tmp_path / "seekers.csv", taxonomy)
    assert str(err) == "seekers.csv, column 'lat': required column is missing (also missing: se_focus)"
    assert (err.row, err.column) == (None, "lat")


def test_a_column_for_an_unknown_soft_skill_is_refused(taxonomy, tmp_path, few_seekers):
    write_table(few_seekers.assign(level_juggling="3"), tmp_path / "seekers.csv")
    err = read_error(read_seekers, tmp_path / "seekers.csv", taxonomy)
    assert str(err) == "seekers.csv, column 'level_juggling': unknown soft skill 'juggling'"


def test_a_column_given_twice_is_refused(taxonomy, tmp_path, few_seekers):
    (tmp_path / "seekers.csv").write_text(few_seekers.to_csv(index=False).replace(",lon,", ",LAT,", 1))
    err = read_error(read_seekers, tmp_path / "seekers.csv", taxonomy)
    assert (err.column, str(err)) == ("lat", "seekers.csv, column 'lat': the column appears twice")


@pytest.mark.parametrize("name,content,message", [
    ("seekers.xlsx", b"", "seekers.xlsx: unknown file type '.xlsx'; use .csv or .parquet"),
    ("seekers.csv", None, "seekers.csv: file not found: "),
    ("seekers.csv", b"", "seekers.csv: not a readable CSV file"),
    ("seekers.csv", b"a,b\n1,2,3,4\n", "seekers.csv: not a readable CSV file"),
    ("seekers.csv", b"seeker_id,lat\n\xff\xfe\xfa,1\n", "seekers.csv: not a readable CSV file"),
    ("seekers.csv", b"seeker_id;lat;lon\nS1;51.4;5.4\n",
     "seekers.csv: columns are separated by ';'; save the file as comma-separated CSV"),
    ("seekers.parquet", b"PAR1 but not really", "seekers.parquet: not a readable Parquet file"),
])
def test_a_file_that_cannot_be_read_is_named(taxonomy, tmp_path, name, content, message):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    err = read_error(read_seekers, path, taxonomy)
    assert str(err).startswith(message)
    assert (err.file, err.row, err.column) == (name, None, None)


@pytest.fixture()
def few_vacancies(market, taxonomy):
    return vacancies_frame(market.vacancies.take(np.arange(6)), taxonomy).astype(object)


@pytest.mark.parametrize("position,cells,message", [
    (2, {"occupation_id": "astronaut"}, "vacancies.csv, line 4, column 'occupation_id': unknown occupation 'astronaut'"),
    (1, {"vacancy_id": "V000000"}, "vacancies.csv, line 3, column 'vacancy_id': duplicate id 'V000000' (first on line 2)"),
    (3, {"openings": "0"}, "vacancies.csv, line 5, column 'openings': 0 is outside 1–10000"),
    (0, {"min_dutch_cefr": "D1"}, "vacancies.csv, line 2, column 'min_dutch_cefr': 'D1' is not a CEFR level (A1..C2)"),
    (4, {"must_have": "vca_basic", "nice_to_have": "driving_b;vca_basic"},
     "vacancies.csv, line 6, column 'nice_to_have': 'vca_basic' is also a must-have"),
    (5, {"must_have": "none;vca_basic"}, "vacancies.csv, line 7, column 'must_have': unknown hard skill 'none'"),
    (1, {"required_focus": "7"}, "vacancies.csv, line 3, column 'required_focus': 7 is outside 1–5"),
])
def test_a_bad_vacancy_cell_is_named_by_file_line_and_column(taxonomy, tmp_path, few_vacancies, position, cells,
                                                            message):
    write_table(spoil(few_vacancies, position, **cells), tmp_path / "vacancies.csv")
    err = read_error(read_vacancies, tmp_path / "vacancies.csv", taxonomy)
    assert str(err).startswith(message)
    assert (err.file, err.row) == ("vacancies.csv", position + 2)


def test_a_vacancy_that_weighs_no_skill_is_refused(taxonomy, tmp_path, few_vacancies):
    zero = {f"importance_{s}": "0" for s in taxonomy.skill_ids}
    write_table(spoil(few_vacancies, 2, **zero), tmp_path / "vacancies.csv")
    err = read_error(read_vacancies, tmp_path / "vacancies.csv", taxonomy)
    assert str(err) == "vacancies.csv, line 4: every soft-skill importance is 0; at least one must be above 0"


@pytest.mark.parametrize("cells,message", [
    ({"training_id": "juggling_course"}, "trainings.csv, line 3, column 'training_id': unknown training 'juggling_course'"),
    ({"training_id": "vca_basic_course"},
     "trainings.csv, line 3, column 'training_id': duplicate id 'vca_basic_course' (first on line 2)"),
    ({"seats": "-1"}, "trainings.csv, line 3, column 'seats': -1 is outside 0–100000"),
    ({"seats": "lots"}, "trainings.csv, line 3, column 'seats': 'lots' is not a number"),
    ({"duration_weeks": "0"}, "trainings.csv, line 3, column 'duration_weeks': 0 must be above 0"),
])
def test_a_bad_training_cell_is_named_by_file_line_and_column(taxonomy, tmp_path, cells, message):
    frame = trainings_frame(TrainingArrays.from_taxonomy(taxonomy).take([0, 1, 2])).astype(object)
    assert frame.loc[0, "training_id"] == "vca_basic_course"
    write_table(spoil(frame, 1, **cells), tmp_path / "trainings.csv")
    assert str(read_error(read_trainings, tmp_path / "trainings.csv", taxonomy)) == message


def test_a_failed_write_leaves_the_earlier_file_untouched(tmp_path):
    path = tmp_path / "trainings.parquet"
    write_table(pd.DataFrame({"training_id": ["a"], "seats": [1]}), path)
    before = path.read_bytes()
    with pytest.raises(TableError, match="trainings.parquet: cannot be written as Parquet"):
        write_table(pd.DataFrame({"training_id": ["a", 3.5]}), path)  # mixed types
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["trainings.parquet"]


def test_writing_to_an_unknown_file_type_writes_nothing(tmp_path):
    with pytest.raises(TableError, match=r"^out.xlsx: unknown file type '.xlsx'"):
        write_table(pd.DataFrame({"a": [1]}), tmp_path / "out.xlsx")
    assert list(tmp_path.iterdir()) == []


def test_the_tables_module_imports_nothing_above_the_passport_layer():
    code = ("import sys, passport.tables; "
            "print([m for m in ('matching', 'assessment', 'service') if m in sys.modules])")
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert completed.stdout.strip() == "[]"
