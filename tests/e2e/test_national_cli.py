"""`skillpass national` as a user runs it, on a small synthetic country."""

from __future__ import annotations

import json

import pandas as pd
from typer.testing import CliRunner

from service.cli import app


def test_national_batch_writes_both_assignments_and_a_summary(tmp_path):
    out = tmp_path / "national"
    result = CliRunner().invoke(app, ["national", "--n-seekers", "4000", "--n-vacancies", "900", "--mode", "both",
                                      "--recall-sample", "100", "--format", "csv", "--out", str(out)])
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["seekers"] == 4000 and summary["vacancies"] == 900
    assert summary["comparison"]["blocking_pairs_of_stable"] == 0
    assert summary["recall_of_exact_top_k"]["recall"] >= 0.99
    # The shortlist's margin is measured on this market, and the console says what it cost.
    assert summary["shortlist_margin"] >= 0 and summary["shortlist_per_seeker"] > 0
    assert "pairs scored exactly per seeker" in result.output
    optimal = pd.read_csv(out / "assignment.csv")
    stable = pd.read_csv(out / "stable_assignment.csv")
    assert len(optimal) == summary["optimal"]["matched"] and len(stable) == summary["stable"]["matched"]
    assert optimal["seeker_id"].is_unique and stable["seeker_id"].is_unique
    assert "recall of the exact top-k" in result.output


def test_bad_mode_is_named_and_nothing_is_written(tmp_path):
    out = tmp_path / "national"
    result = CliRunner().invoke(app, ["national", "--n-seekers", "100", "--n-vacancies", "50", "--mode", "fast",
                                      "--out", str(out)])
    assert result.exit_code != 0
    assert "--mode" in result.output
    assert not out.exists()
