from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from matching import RuleBasedScorer
from matching.features import pair_features


@pytest.fixture()
def features(small_market, taxonomy):
    rng = np.random.default_rng(0)
    s = rng.integers(0, small_market.seekers.n, 500)
    v = rng.integers(0, small_market.vacancies.n, 500)
    return pair_features(small_market.seekers, small_market.vacancies, s, v, taxonomy)


def test_scorer_follows_the_estimator_api(features):
    scorer = RuleBasedScorer(travel_weight=2.0)
    assert clone(scorer).get_params()["travel_weight"] == 2.0
    with pytest.raises(NotFittedError):
        scorer.predict_proba(features)
    proba = scorer.fit(features).predict_proba(features)
    assert proba.shape == (500, 2) and np.allclose(proba.sum(axis=1), 1.0)
    assert scorer.n_features_in_ == features.shape[1]
    np.testing.assert_allclose(scorer.score_pairs(features), proba[:, 1], rtol=1e-5)
    assert set(scorer.predict(features)) <= {0, 1}


def test_fit_with_outcomes_calibrates_only_the_intercept(features):
    y = np.r_[np.ones(150), np.zeros(350)]
    scorer = RuleBasedScorer().fit(features, y)
    assert scorer.predict_proba(features)[:, 1].mean() == pytest.approx(0.3, abs=1e-6)
    uncalibrated = RuleBasedScorer(calibrate_intercept=False).fit(features, y)
    assert uncalibrated.intercept_ == -2.0
    # Same ranking either way: calibration moves every score by the same log-odds.
    assert np.array_equal(np.argsort(scorer.decision_function(features)),
                          np.argsort(uncalibrated.decision_function(features)))


def test_wrong_feature_width_is_refused(features):
    scorer = RuleBasedScorer().fit(features)
    with pytest.raises(ValueError, match="features"):
        scorer.predict_proba(features[:, :5])
    with pytest.raises(ValueError, match="at least"):
        RuleBasedScorer().fit(features[:, :5])


def test_negative_weights_are_refused(features):
    with pytest.raises(ValueError, match="travel_weight"):
        RuleBasedScorer(travel_weight=-1.0).fit(features)
