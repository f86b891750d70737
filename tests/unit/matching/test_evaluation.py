"""skillpass evaluate's harness on a small held-out market."""

from __future__ import annotations

import numpy as np
import pytest

from matching.evaluation import CONGESTION_CONTROLLED, FAIRNESS_COLUMNS, evaluate, held_out_pairs, targets
from matching.features import feature_names


@pytest.fixture(scope="module")
def evaluation(trained, history, taxonomy):
    from matching import RuleBasedScorer
    from matching.synthetic import generate_market

    market = generate_market(n_seekers=1_200, n_vacancies=300, seed=41, passports="noise", taxonomy=taxonomy)
    pairs = held_out_pairs(market, seed=2)
    rule = RuleBasedScorer().fit(history.features(), history.outcomes())
    return pairs, evaluate(pairs, rule, trained.model, n_boot=50, seed=3)


def test_every_scorer_is_measured_on_the_same_pairs(evaluation):
    _, result = evaluation
    table = result.scorers
    assert list(table.index) == ["random", "diploma_hard_skills", "cosine_similarity", "rule_based", "learned",
                                 CONGESTION_CONTROLLED]
    assert table["ndcg@10"].between(0, 1).all() and table["roc_auc"].between(0, 1).all()
    assert table.loc["learned", "ndcg@10"] > table.loc["random", "ndcg@10"] + 0.2
    assert table.loc["learned", "roc_auc"] > table.loc["diploma_hard_skills", "roc_auc"]


def test_the_random_baseline_is_independent_of_the_outcomes(evaluation):
    # Scores drawn from the same uniforms as the outcomes once gave the random baseline an AUC of 0.17.
    _, result = evaluation
    assert abs(result.scorers.loc["random", "roc_auc"] - 0.5) < 0.03


def test_only_probability_scorers_get_calibration_figures(evaluation):
    _, result = evaluation
    table = result.scorers
    assert table.loc[["random", "diploma_hard_skills", "cosine_similarity"], "ece"].isna().all()
    assert table.loc[["rule_based", "learned"], "ece"].notna().all()
    assert table.loc["learned", "ece"] < 0.06


def test_congestion_control_spreads_exposure(evaluation):
    _, result = evaluation
    table = result.scorers
    assert table.loc[CONGESTION_CONTROLLED, "exposure_gini"] < table.loc["learned", "exposure_gini"]
    assert table.loc[CONGESTION_CONTROLLED, "vacancy_coverage"] >= table.loc["learned", "vacancy_coverage"]


def test_fairness_covers_every_attribute_and_intersection(evaluation):
    _, result = evaluation
    fairness = result.fairness_of("learned")
    attributes = set(fairness["attribute"])
    assert set(FAIRNESS_COLUMNS) <= attributes
    assert "gender×age_band" in attributes
    assert set(fairness["measure"]) == {"selection_rate", "exposure"}


def test_targets_report_figures_and_verdicts(evaluation):
    _, result = evaluation
    measured = targets(result)
    assert {"ndcg_lift_over_rule_based", "expected_calibration_error", "congestion_gini_cut",
            "selection_rate_ratio_min"} <= set(measured)
    for entry in measured.values():
        assert isinstance(entry["met"], bool) and np.isfinite(entry["value"])


def test_no_protected_attribute_is_a_feature(taxonomy):
    words = {word for name in feature_names(taxonomy) for word in name.split("_")}
    protected = {word for column in FAIRNESS_COLUMNS for word in column.split("_")} | {"age", "origin", "sex"}
    assert not words & protected
