"""The ``skillpass`` CLI, run as a user runs it."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest
from typer.testing import CliRunner

from service.cli import app

runner = CliRunner()


@pytest.fixture(scope="module")
def demo_output(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo") / "result"
    result = runner.invoke(app, ["demo", "--seekers", "1200", "--vacancies", "300", "--seed", "3", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out, result.output


def test_demo_prints_the_summary_and_stage_times(demo_output):
    _, output = demo_output
    for text in ("seekers", "openings", "matched", "expected successful placements", "time per stage",
                 "assignment", "Certificate: OPTIMAL"):
        assert text in output


def test_demo_writes_assignment_rankings_and_explanations(demo_output):
    out, _ = demo_output
    assignment = pd.read_csv(out / "assignment.csv")
    assert {"seeker_id", "vacancy_id", "score", "distance_km"} <= set(assignment.columns)
    assert assignment["seeker_id"].is_unique
    rankings = pd.read_csv(out / "rankings_per_seeker.csv")
    assert rankings.groupby("seeker_id")["rank"].max().max() <= 10
    explained = pd.read_csv(out / "seekers_explained.csv")
    assert len(explained) == 1200 and explained["reason"].notna().all()
    summary = json.loads((out / "summary.json").read_text())
    assert summary["matchers"]["skillpass"]["certificate"]["status"] == "OPTIMAL"
    assert "machine" in summary and "seconds_per_stage" in summary


def test_optimised_matching_beats_both_baselines(demo_output):
    out, _ = demo_output
    matchers = json.loads((out / "summary.json").read_text())["matchers"]
    ours = matchers["skillpass"]["expected_successful_placements"]
    assert ours > matchers["random"]["expected_successful_placements"]
    assert ours > matchers["diploma_hard_skills"]["expected_successful_placements"]


def test_bad_arguments_get_a_clear_error(tmp_path):
    result = runner.invoke(app, ["demo", "--geography", "mars", "--out", str(tmp_path / "x")])
    assert result.exit_code != 0
    assert "geography" in result.output
    assert not (tmp_path / "x").exists()


def test_data_check_reports_the_reference_data():
    result = runner.invoke(app, ["data", "check"])
    assert result.exit_code == 0, result.output
    assert "20 soft skills" in result.output and "21 municipalities" in result.output


def test_schema_command_prints_json_schema():
    result = runner.invoke(app, ["schema", "vacancy"])
    assert result.exit_code == 0
    assert json.loads(result.output)["title"] == "Vacancy"


def test_console_script_is_installed():
    completed = subprocess.run([sys.executable, "-m", "service.cli", "--help"], capture_output=True, text=True)
    assert completed.returncode == 0 and "demo" in completed.stdout
