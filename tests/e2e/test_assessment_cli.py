"""`skillpass assessment` as an analyst runs it: simulate, score, report; bad files refused."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
from typer.testing import CliRunner

from service.cli import app

runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, ["assessment", *map(str, args)])


def test_simulate_then_score_recovers_the_true_levels(tmp_path):
    events, scores = tmp_path / "events", tmp_path / "scores"
    result = invoke("simulate", "--n", 300, "--seed", 4, "--out", events)
    assert result.exit_code == 0, result.output
    assert {p.name for p in events.iterdir()} >= {"gonogo.csv", "sjt.csv", "true_levels.csv", "summary.json"}
    result = invoke("score", events, "--out", scores)
    assert result.exit_code == 0, result.output
    profiles = pd.read_csv(scores / "profiles.csv").set_index("session_id")
    truth = pd.read_csv(events / "true_levels.csv").set_index("session_id").loc[profiles.index]
    measured = profiles["self_control.measured"].to_numpy()
    r = np.corrcoef(truth["self_control"][measured], profiles["self_control.level"][measured])[0, 1]
    assert r > 0.7
    flags = pd.read_csv(scores / "flags.csv")
    assert {"session_id", "instrument", "flag", "effect"} <= set(flags.columns)
    assert json.loads((scores / "summary.json").read_text())["sessions"] == len(profiles)


def test_a_bad_event_file_names_instrument_event_and_field_and_writes_nothing(tmp_path):
    events, scores = tmp_path / "events", tmp_path / "scores"
    assert invoke("simulate", "--n", 20, "--out", events).exit_code == 0
    frame = pd.read_csv(events / "bart.csv")
    frame.loc[3, "pumps"] = -2
    frame.to_csv(events / "bart.csv", index=False)
    result = invoke("score", events, "--out", scores)
    assert result.exit_code == 2
    assert "bart event" in result.output and "pumps" in result.output
    assert not scores.exists()


def test_instruments_lists_the_battery_and_prints_a_schema():
    result = invoke("instruments")
    assert result.exit_code == 0 and "sjt.empathy" in result.output and "questionnaire" in result.output
    schema = invoke("instruments", "--schema", "gonogo")
    described = json.loads(schema.output)
    assert schema.exit_code == 0 and described["id"] == "gonogo" and described["events"]["fields"]
    assert invoke("instruments", "--schema", "chess").exit_code == 2


def test_report_prints_every_section(tmp_path):
    out = tmp_path / "report.json"
    result = invoke("report", "--n", 400, "--seed", 2, "--json", out)
    assert result.exit_code == 0, result.output
    for heading in ("Soft skills", "Scales", "Adaptive scenario test", "Data-quality flags", "Differential item"):
        assert heading in result.output
    report = json.loads(out.read_text())
    assert len(report["skills"]) == 20 and report["players"] == 400
