"""The additive placement model: exact compiled tables, calibration, monotone shape functions."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import expit

from matching.features import feature_names
from matching.learned import AdditivePlacementModel, schema_monotonic_cst


def _known_world(n=6_000, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.random((n, 3)).astype(np.float32)
    truth = expit(-1.0 + 2.5 * X[:, 0] - 1.5 * X[:, 1] ** 2)
    y = (rng.random(n) < truth).astype(int)
    return X, y, truth


def test_compiled_tables_equal_the_booster_exactly(trained, history):
    X = history.features()
    model = trained.model
    assert np.allclose(model.booster_log_odds(X), model.booster_.decision_function(X), atol=1e-9)
    slope, intercept = model.calibration_
    assert np.allclose(model.score_pairs(X), expit(slope * model.booster_.decision_function(X) + intercept))


def test_row_blocks_of_the_table_lookup_change_no_score(trained, history, monkeypatch):
    import matching.learned as learned

    X = history.features()[:1_000].astype(np.float32)
    whole = trained.model.score_pairs(X)
    monkeypatch.setattr(learned, "LOOKUP_ROWS", 37)  # many blocks, the last one short
    np.testing.assert_array_equal(trained.model.score_pairs(X), whole)


def test_contributions_add_up_to_the_log_odds(trained, history):
    X = history.features()[:500]
    model = trained.model
    total = model.contributions(X).sum(axis=1) + model.reference_log_odds_
    assert np.allclose(total, model.booster_log_odds(X))


def test_it_recovers_a_known_probability_and_is_calibrated():
    X, y, truth = _known_world()
    model = AdditivePlacementModel(monotonic_cst=[1, -1, 0], random_state=0).fit(X, y)
    X_new, _, truth_new = _known_world(seed=1)
    p = model.predict_proba(X_new)[:, 1]
    assert np.abs(p - truth_new).mean() < 0.04
    assert abs(p.mean() - truth_new.mean()) < 0.02


def test_monotone_constraints_hold_on_a_grid():
    X, y, _ = _known_world(seed=2)
    model = AdditivePlacementModel(monotonic_cst=[1, -1, 0], random_state=0).fit(X, y)
    grid = np.repeat(X[:1], 200, axis=0)
    grid[:, 0] = np.linspace(-0.5, 1.5, 200)
    assert np.all(np.diff(model.predict_proba(grid)[:, 1]) >= -1e-12)
    grid = np.repeat(X[:1], 200, axis=0)
    grid[:, 1] = np.linspace(-0.5, 1.5, 200)
    assert np.all(np.diff(model.predict_proba(grid)[:, 1]) <= 1e-12)


def test_the_schema_constraints_cover_every_feature(taxonomy):
    cst = schema_monotonic_cst(taxonomy)
    names = feature_names(taxonomy)
    assert len(cst) == len(names)
    by_name = dict(zip(names, cst))
    assert by_name["fit_p_meet"] == 1 and by_name["fit_shortfall"] == -1 and by_name["distance_km"] == -1
    assert all(by_name[n] == 1 for n in names if n.startswith("level_"))


def test_the_learned_model_ranks_better_than_the_rules_on_held_out_pairs(trained, taxonomy):
    from matching import RuleBasedScorer
    from matching.evaluation import held_out_pairs
    from matching.ranking_metrics import ndcg_at_k
    from matching.synthetic import generate_market

    market = generate_market(n_seekers=1_500, n_vacancies=400, seed=22, passports="noise", taxonomy=taxonomy)
    pairs = held_out_pairs(market, seed=1)
    rule = RuleBasedScorer().fit(pairs.features)

    def ndcg(score):
        return np.nanmean(ndcg_at_k(pairs.seeker, score, pairs.true_probability, n_groups=market.seekers.n))

    assert ndcg(trained.model.score_pairs(pairs.features)) > ndcg(rule.score_pairs(pairs.features))


def test_bad_constraints_and_single_outcomes_are_refused():
    X, y, _ = _known_world(n=200)
    with pytest.raises(ValueError, match="monotonic_cst"):
        AdditivePlacementModel(monotonic_cst=[1, 0]).fit(X, y)
    with pytest.raises(ValueError, match="monotonic_cst"):
        AdditivePlacementModel(monotonic_cst=[2, 0, 0]).fit(X, y)
    with pytest.raises(ValueError, match="both outcomes"):
        AdditivePlacementModel().fit(X, np.ones(len(y)))


def test_score_pairs_checks_the_width(trained):
    with pytest.raises(ValueError, match="shape"):
        trained.model.score_pairs(np.zeros((3, 5), dtype=np.float32))
