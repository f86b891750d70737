"""skillpass model train | show and skillpass evaluate, as an analyst runs them."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from service.cli import app

runner = CliRunner()


@pytest.fixture(scope="module")
def model_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("models") / "placement.joblib"
    result = runner.invoke(app, ["model", "train", "--out", str(path), "--history-seekers", "1500",
                                 "--history-vacancies", "400", "--passports", "noise", "--evaluation-seekers", "300"])
    assert result.exit_code == 0, result.output
    return path


def test_training_writes_the_model_and_its_card(model_path):
    card = json.loads(model_path.with_name("placement.card.json").read_text())
    assert card["training_data"]["n_records"] > 500
    assert 0 < card["metrics"]["roc_auc"] <= 1


def test_show_accepts_the_model_and_refuses_it_once_changed(model_path, tmp_path):
    shown = runner.invoke(app, ["model", "show", str(model_path)])
    assert shown.exit_code == 0, shown.output
    assert "compatible" in shown.output
    changed = tmp_path / "placement.joblib"
    changed.write_bytes(model_path.read_bytes() + b"\0")
    changed.with_name("placement.card.json").write_bytes(model_path.with_name("placement.card.json").read_bytes())
    refused = runner.invoke(app, ["model", "show", str(changed)])
    assert refused.exit_code == 2
    assert "SHA-256" in " ".join(refused.output.split())


def test_evaluate_writes_every_table_and_the_targets(model_path, tmp_path):
    out = tmp_path / "evaluation"
    result = runner.invoke(app, ["evaluate", "--model", str(model_path), "--seekers", "400", "--vacancies", "100",
                                 "--passports", "noise", "--bootstrap", "20", "--history-seekers", "800",
                                 "--out", str(out)])
    assert result.exit_code == 0, result.output
    scorers = pd.read_csv(out / "scorers.csv")
    assert {"random", "diploma_hard_skills", "cosine_similarity", "rule_based", "learned"} <= set(scorers["scorer"])
    summary = json.loads((out / "summary.json").read_text())
    assert "ndcg_lift_over_rule_based" in summary["targets"]
    assert (out / "fairness.csv").exists() and (out / "reliability.csv").exists()


def test_demo_runs_with_the_trained_model(model_path, tmp_path):
    out = tmp_path / "demo"
    result = runner.invoke(app, ["demo", "--seekers", "300", "--vacancies", "80", "--passports", "noise",
                                 "--no-baselines", "--model", str(model_path), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads((out / "summary.json").read_text())["scorer"] == str(model_path)


def test_a_missing_model_is_a_clear_error(tmp_path):
    result = runner.invoke(app, ["demo", "--seekers", "100", "--vacancies", "30", "--passports", "noise",
                                 "--model", str(tmp_path / "none.joblib"), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert "no such model file" in " ".join(result.output.split())


def test_demo_lists_carry_reasons_in_the_chosen_language(tmp_path):
    out = tmp_path / "demo-nl"
    result = runner.invoke(app, ["demo", "--seekers", "300", "--vacancies", "80", "--passports", "noise",
                                 "--no-baselines", "--language", "nl", "--out", str(out)])
    assert result.exit_code == 0, result.output
    lists = pd.read_csv(out / "rankings_per_seeker.csv")
    assert lists["strengths"].notna().all() and lists["gaps"].notna().all()
    assert lists["gaps"].str.contains("Er is niets groots|baan|Je ", regex=True).any()
    assert (lists.groupby("seeker_id")["rank"].max() <= 10).all()
