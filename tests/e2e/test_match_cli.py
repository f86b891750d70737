"""``skillpass match`` as a labour-market partner runs it: files in, assignment and reasons out."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from service.cli import app

runner = CliRunner()


@pytest.fixture(scope="module")
def market_files(tmp_path_factory, taxonomy):
    from matching.synthetic import generate_market
    from passport.tables import seekers_frame, trainings_frame, vacancies_frame, write_table

    market = generate_market(n_seekers=500, n_vacancies=120, n_trainings=20, seed=4, taxonomy=taxonomy)
    folder = tmp_path_factory.mktemp("inputs")
    groups = market.groups[["seeker_id", "long_term_unemployed", "migration_background"]]
    write_table(seekers_frame(market.seekers, taxonomy, groups), folder / "seekers.csv")
    write_table(vacancies_frame(market.vacancies, taxonomy), folder / "vacancies.parquet")
    write_table(trainings_frame(market.trainings), folder / "trainings.csv")
    (folder / "policy.toml").write_text(
        "training_budget_eur = 4000\nmax_training_weeks = 8\n\n[priority_weights]\nlong_term_unemployed = 1.25\n")
    return folder


def _inputs_with_seekers(frame, market_files, folder):
    """An input folder holding *frame* as the seekers file beside the shared vacancies and trainings."""
    folder.mkdir()
    frame.to_csv(folder / "seekers.csv", index=False)
    for name in ("vacancies.parquet", "trainings.csv"):
        (folder / name).write_bytes((market_files / name).read_bytes())
    return folder


def _match(folder, out, *extra):
    return runner.invoke(app, ["match", "--seekers", str(folder / "seekers.csv"),
                               "--vacancies", str(folder / "vacancies.parquet"),
                               "--trainings", str(folder / "trainings.csv"), "--out", str(out), *extra])


@pytest.fixture(scope="module")
def match_output(market_files, tmp_path_factory):
    out = tmp_path_factory.mktemp("match") / "result"
    result = _match(market_files, out, "--policy", str(market_files / "policy.toml"), "--compare-direct")
    assert result.exit_code == 0, result.output
    return out, result.output


def test_match_writes_assignment_explanations_and_summary(match_output):
    out, output = match_output
    assert sorted(p.name for p in out.iterdir()) == [
        "assignment.csv", "seekers_explained.csv", "summary.json", "trainings_explained.csv", "vacancies_explained.csv"]
    assignment = pd.read_csv(out / "assignment.csv")
    seekers = pd.read_csv(out / "seekers_explained.csv")
    assert len(seekers) == 500 and seekers["reason"].notna().all()
    assert not assignment["seeker_id"].duplicated().any()
    placed = seekers[seekers["outcome"].str.startswith("placed")]
    assert set(placed["seeker_id"]) == set(assignment["seeker_id"])
    assert "with pathways" in output and "direct only" in output


def test_match_keeps_the_policy_budget_and_travel(match_output, market_files):
    out, _ = match_output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["policy"]["training_budget_eur"] == 4000
    assert summary["result"]["training_spend_eur"] <= 4000
    assignment = pd.read_csv(out / "assignment.csv")
    assert assignment["training_cost_eur"].sum() <= 4000
    assert summary["result"]["certificate"]["status"] in ("OPTIMAL", "FEASIBLE")
    assert summary["result"]["certificate"]["bound"] >= summary["result"]["objective"] - 1e-9
    trainings = pd.read_csv(out / "trainings_explained.csv")
    seats = pd.read_csv(market_files / "trainings.csv").set_index("training_id")["seats"]
    assert (trainings.set_index("training_id")["seats_used"] <= seats).all()


def test_pathways_never_lower_the_objective(match_output):
    out, _ = match_output
    summary = json.loads((out / "summary.json").read_text())
    # Direct-only options are a subset of the pathway run's options: its optimum can only be lower.
    assert summary["result"]["certificate"]["bound"] >= summary["direct_only"]["objective"] - 1e-6


def test_a_bad_seeker_file_names_file_line_and_column_and_writes_nothing(market_files, tmp_path):
    frame = pd.read_csv(market_files / "seekers.csv", dtype=str, keep_default_na=False)
    frame.loc[4, "dutch_cefr"] = "B7"
    bad = _inputs_with_seekers(frame, market_files, tmp_path / "inputs")
    out = tmp_path / "result"
    result = _match(bad, out)
    assert result.exit_code == 2
    assert "seekers.csv, line 6, column 'dutch_cefr'" in " ".join(result.output.split())
    assert not out.exists()


def test_a_bad_policy_names_the_setting(market_files, tmp_path):
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"min_group_share": {"long_term_unemployed": 1.5}}))
    out = tmp_path / "result"
    result = _match(market_files, out, "--policy", str(policy))
    assert result.exit_code == 2
    assert "min_group_share.long_term_unemployed: must lie in [0, 1]" in " ".join(result.output.split())
    assert not out.exists()


def test_a_floor_for_a_group_without_options_is_reported_as_infeasible(market_files, tmp_path):
    frame = pd.read_csv(market_files / "seekers.csv", dtype=str, keep_default_na=False)
    # Only people without consent belong to the group, so no member has any option.
    frame["group_target"] = frame["consent_matching"].str.lower().map({"true": "false", "false": "true"})
    folder = _inputs_with_seekers(frame, market_files, tmp_path / "inputs")
    policy = tmp_path / "policy.toml"
    policy.write_text("[min_group_share]\ntarget = 0.2\n")
    result = _match(folder, tmp_path / "result", "--policy", str(policy))
    assert result.exit_code == 2, result.output
    assert "min_group_share.target cannot be met" in " ".join(result.output.split())
