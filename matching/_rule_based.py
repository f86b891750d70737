"""The transparent rule-based scorer: a fixed, documented logistic combination of pair features."""

from __future__ import annotations

from numbers import Real

import numpy as np
from scipy.optimize import brentq
from scipy.special import expit
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_is_fitted, validate_data

from matching.features import CORE_FEATURES


class RuleBasedScorer(ClassifierMixin, BaseEstimator):
    """Score (seeker, vacancy) pairs by how well the passport meets the requirements.

    The score is ``expit(intercept + Σ weight · feature)`` over the pair features of
    :func:`matching.features.pair_features`: shortfall below a requirement counts
    heavily, surplus a little, and the standard errors enter through the probability of
    meeting each requirement. Every weight has a fixed sign, so raising a seeker's level
    never lowers the score and raising a requirement never raises it.

    The rules need no training. ``fit`` validates the feature schema and, when outcomes
    ``y`` are given and ``calibrate_intercept`` is set, moves only the intercept so that
    the mean score equals the observed success rate.

    Parameters
    ----------
    p_meet_weight : float, default=2.0
        Weight of the importance-weighted probability of meeting requirements.
    shortfall_weight : float, default=2.5
        Penalty per level of importance-weighted expected shortfall.
    surplus_weight : float, default=0.3
        Reward per level of (capped) expected surplus.
    nice_to_have_weight : float, default=0.5
        Reward for holding the nice-to-have hard skills.
    must_have_weight : float, default=1.5
        Penalty per missing must-have (zero after knock-outs; matters for pathways).
    language_weight : float, default=0.2
        Reward per CEFR step above the minimum, capped at two steps.
    education_weight : float, default=0.1
        Reward per EQF step of education relative to the preferred level, in −2…2.
    travel_weight : float, default=1.0
        Penalty for travel, as a share of the seeker's own maximum.
    sector_weight : float, default=0.4
        Reward when the seeker wants to work in the vacancy's sector.
    intercept : float, default=-2.0
        Baseline log-odds.
    calibrate_intercept : bool, default=True
        In ``fit``, re-estimate the intercept from outcomes when ``y`` is given.

    Attributes
    ----------
    intercept_ : float
        The intercept in use (the parameter, or its calibrated value).
    n_features_in_ : int
        Number of features seen in ``fit``.
    classes_ : ndarray of shape (2,)
        ``[0, 1]``: the placement failed / lasted.

    Examples
    --------
    >>> import numpy as np
    >>> from matching import RuleBasedScorer
    >>> X = np.zeros((2, 15)); X[:, 0] = [0.9, 0.2]; X[:, 1] = [0.05, 0.8]
    >>> scorer = RuleBasedScorer().fit(X)
    >>> bool(scorer.predict_proba(X)[0, 1] > scorer.predict_proba(X)[1, 1])
    True
    """

    _parameter_constraints: dict = {
        **{name: [Interval(Real, 0, None, closed="left")] for name in (
            "p_meet_weight", "shortfall_weight", "surplus_weight", "nice_to_have_weight", "must_have_weight",
            "language_weight", "education_weight", "travel_weight", "sector_weight")},
        "intercept": [Interval(Real, None, None, closed="neither")],
        "calibrate_intercept": ["boolean"],
    }

    def __init__(self, *, p_meet_weight=2.0, shortfall_weight=2.5, surplus_weight=0.3, nice_to_have_weight=0.5,
                 must_have_weight=1.5, language_weight=0.2, education_weight=0.1, travel_weight=1.0,
                 sector_weight=0.4, intercept=-2.0, calibrate_intercept=True):
        self.p_meet_weight = p_meet_weight
        self.shortfall_weight = shortfall_weight
        self.surplus_weight = surplus_weight
        self.nice_to_have_weight = nice_to_have_weight
        self.must_have_weight = must_have_weight
        self.language_weight = language_weight
        self.education_weight = education_weight
        self.travel_weight = travel_weight
        self.sector_weight = sector_weight
        self.intercept = intercept
        self.calibrate_intercept = calibrate_intercept

    def _linear(self, X: np.ndarray) -> np.ndarray:
        f = {name: X[:, i] for i, name in enumerate(CORE_FEATURES)}
        return (
            self.p_meet_weight * f["fit_p_meet"]
            - self.shortfall_weight * f["fit_shortfall"]
            + self.surplus_weight * f["fit_surplus"]
            + self.nice_to_have_weight * f["nice_to_have_coverage"]
            - self.must_have_weight * f["must_have_missing"]
            + self.language_weight * np.clip(f["language_gap"], 0.0, 2.0)
            + self.education_weight * np.clip(f["education_gap"], -2.0, 2.0)
            - self.travel_weight * np.clip(f["travel_ratio"], 0.0, 2.0)
            + self.sector_weight * f["sector_match"]
        )

    def fit(self, X, y=None):
        """Check the feature schema; with ``y``, calibrate the intercept to the success rate."""
        self._validate_params()
        X = validate_data(self, X, dtype=np.float64)
        if X.shape[1] < len(CORE_FEATURES):
            raise ValueError(f"X has {X.shape[1]} features; the pair-feature schema has at least {len(CORE_FEATURES)}")
        self.classes_ = np.array([0, 1])
        self.intercept_ = float(self.intercept)
        if y is not None and self.calibrate_intercept:
            y = np.asarray(y, dtype=float)
            if y.shape != (X.shape[0],):
                raise ValueError(f"y must have shape ({X.shape[0]},), got {y.shape}")
            rate = float(np.clip(y.mean(), 1e-6, 1 - 1e-6))
            linear = self._linear(X)
            self.intercept_ = float(brentq(lambda b: expit(b + linear).mean() - rate, -50.0, 50.0))
        return self

    def decision_function(self, X) -> np.ndarray:
        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float64, reset=False)
        return self.intercept_ + self._linear(X)

    def predict_proba(self, X) -> np.ndarray:
        p = expit(self.decision_function(X))
        return np.column_stack([1.0 - p, p])

    def predict(self, X) -> np.ndarray:
        return (self.decision_function(X) > 0).astype(int)

    def score_pairs(self, X) -> np.ndarray:
        """P(success) for each row, without the input validation (hot path).

        Equals ``predict_proba(X)[:, 1]`` up to float32 rounding (relative 1e-6) when the
        features are float32, as candidate generation builds them.
        """
        check_is_fitted(self)
        if X.ndim != 2 or X.shape[1] != self.n_features_in_:
            raise ValueError(f"X must have shape (n_pairs, {self.n_features_in_}), got {X.shape}")
        return expit(self.intercept_ + self._linear(X))
