"""The learned placement model: an additive, monotone, calibrated boosting model.

:class:`AdditivePlacementModel` learns P(a placement lasts six months) from past outcomes.
It is gradient boosting (scikit-learn's ``HistGradientBoostingClassifier``) restricted in
two ways that matter for the people it ranks:

* **Additive.** Every tree splits on one feature only (``interaction_cst="no_interactions"``),
  so the log-odds are a sum of one shape function per feature. Each feature's share of a
  score can therefore be read off exactly, which is what the plain-language reasons quote;
  there is no interaction a reason would have to hide.
* **Monotone where the direction is known.** ``monotonic_cst`` fixes the sign of each shape
  function that should have one: a better requirement fit, a higher measured level or a
  shorter commute never lowers the probability (:func:`schema_monotonic_cst`).

Calibration: the booster's log-odds are mapped to probabilities by a logistic (Platt)
curve fitted on out-of-fold predictions, so a score of 0.3 means about three in ten such
placements last. The curve is strictly increasing, so it never changes an order and never
creates ties.

Speed: after fitting, the shape functions are compiled into step tables (the trees'
split thresholds and the summed leaf values between them). :meth:`score_pairs` scores with
one ``searchsorted`` and one table lookup per feature, several times faster than walking
hundreds of trees, and exactly equal to the booster's own prediction (tested).
"""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
from scipy.special import expit
from threadpoolctl import threadpool_limits
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from matching.features import feature_names

# Pair rows per pass of the compiled tables (see AdditivePlacementModel._log_odds_fast).
LOOKUP_ROWS = 8_192

EARLY_STOPPING_MIN_SAMPLES = 1_000

# Known directions: +1 never lowers the probability as the feature grows, −1 never raises
# it, 0 left to the data. Education above the asked level is left free on purpose: being
# over-qualified may make people leave sooner, and the data should say whether it does.
_CORE_DIRECTIONS = {
    "fit_p_meet": 1, "fit_shortfall": -1, "fit_surplus": 1, "must_have_missing": -1,
    "nice_to_have_coverage": 1, "education_gap": 0, "language_gap": 1, "distance_km": -1,
    "travel_ratio": -1, "hours_overlap": 1, "sector_match": 1,
    "occupation_essential_missing": -1, "occupation_eqf_gap": 0,
}


def schema_monotonic_cst(taxonomy) -> tuple[int, ...]:
    """The monotone constraint of every feature of :func:`matching.features.feature_names`."""
    directions = []
    for name in feature_names(taxonomy):
        if name in _CORE_DIRECTIONS:
            directions.append(_CORE_DIRECTIONS[name])
        elif name.startswith(("p_meet_", "level_")):
            directions.append(1)
        else:  # a new feature must be given a direction here
            raise KeyError(f"feature {name!r} has no monotone direction")
    return tuple(directions)


class AdditivePlacementModel(ClassifierMixin, BaseEstimator):
    """Calibrated P(placement lasts) from pair features; see the module docstring.

    Parameters
    ----------
    monotonic_cst : array-like of int of shape (n_features,), default=None
        −1, 0 or 1 per feature (see ``HistGradientBoostingClassifier``); None constrains
        nothing. :func:`schema_monotonic_cst` gives the values for the pair-feature schema.
    max_iter : int, default=1000
        Maximum boosting rounds (each round adds one single-feature tree).
    learning_rate : float, default=0.05
    max_leaf_nodes : int, default=8
        Steps per tree: how finely one round may bend a shape function.
    min_samples_leaf : int, default=40
    l2_regularization : float, default=0.0
    early_stopping : {"auto", True, False}, default="auto"
        Stop when the loss on a held-out tenth stops improving. "auto" does so from
        :data:`EARLY_STOPPING_MIN_SAMPLES` samples on; below that a tenth is too few to judge.
    calibration : {"sigmoid", "none"}, default="sigmoid"
        "sigmoid" fits the Platt curve on out-of-fold log-odds; "none" keeps the booster's.
    calibration_folds : int, default=3
        Folds for the out-of-fold predictions the calibration curve is fitted on.
    random_state : int or None, default=None

    Attributes
    ----------
    booster_ : HistGradientBoostingClassifier
        The fitted additive booster.
    calibration_ : ndarray of shape (2,)
        Slope and intercept of the calibration curve on the booster's log-odds.
    breakpoints_ : list of ndarray
        Per feature, the float32 split points of its shape function.
    steps_ : list of ndarray
        Per feature, the shape function's value (log-odds, relative to :attr:`reference_`)
        on each interval between breakpoints.
    reference_ : ndarray of shape (n_features,)
        The training medians: the "typical pair" contributions are measured against.
    reference_log_odds_ : float
        The booster's log-odds at :attr:`reference_`.
    n_iter_ : int
        Boosting rounds kept (after early stopping).
    classes_ : ndarray of shape (2,)
    n_features_in_ : int

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.random((600, 2)); y = (rng.random(600) < 0.2 + 0.6 * X[:, 0]).astype(int)
    >>> model = AdditivePlacementModel(monotonic_cst=[1, 0], random_state=0).fit(X, y)
    >>> p = model.predict_proba([[0.1, 0.5], [0.9, 0.5]])[:, 1]
    >>> bool(p[1] > p[0])
    True
    """

    _parameter_constraints: dict = {
        "monotonic_cst": ["array-like", None],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "max_leaf_nodes": [Interval(Integral, 2, None, closed="left")],
        "min_samples_leaf": [Interval(Integral, 1, None, closed="left")],
        "l2_regularization": [Interval(Real, 0, None, closed="left")],
        "early_stopping": [StrOptions({"auto"}), "boolean"],
        "calibration": [StrOptions({"sigmoid", "none"})],
        "calibration_folds": [Interval(Integral, 2, None, closed="left")],
        "random_state": ["random_state"],
    }

    def __init__(self, *, monotonic_cst=None, max_iter=1000, learning_rate=0.05, max_leaf_nodes=8,
                 min_samples_leaf=40, l2_regularization=0.0, early_stopping="auto", calibration="sigmoid", calibration_folds=3,
                 random_state=None):
        self.monotonic_cst = monotonic_cst
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.max_leaf_nodes = max_leaf_nodes
        self.min_samples_leaf = min_samples_leaf
        self.l2_regularization = l2_regularization
        self.early_stopping = early_stopping
        self.calibration = calibration
        self.calibration_folds = calibration_folds
        self.random_state = random_state

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        return tags

    def _booster(self, n_samples: int, n_features: int, random_state) -> HistGradientBoostingClassifier:
        cst = None
        if self.monotonic_cst is not None:
            cst = np.asarray(self.monotonic_cst, dtype=int)
            if cst.shape != (n_features,):
                raise ValueError(f"monotonic_cst: expected {n_features} values (one per feature), got {cst.shape[0]}")
            if not np.isin(cst, (-1, 0, 1)).all():
                raise ValueError("monotonic_cst: values must be -1, 0 or 1")
        return HistGradientBoostingClassifier(
            loss="log_loss", learning_rate=self.learning_rate, max_iter=self.max_iter,
            max_leaf_nodes=self.max_leaf_nodes, min_samples_leaf=self.min_samples_leaf,
            l2_regularization=self.l2_regularization, monotonic_cst=cst, interaction_cst="no_interactions",
            early_stopping=(n_samples >= EARLY_STOPPING_MIN_SAMPLES if self.early_stopping == "auto"
                            else self.early_stopping),
            n_iter_no_change=20, random_state=random_state)

    def fit(self, X, y, sample_weight=None):
        """Fit the booster, compile its shape functions and fit the calibration curve.

        ``sample_weight`` (for example the inverse-propensity weights of a
        :class:`matching.synthetic.history.PlacementHistory`) weights every step.
        """
        # One OpenMP thread: single-feature trees on tens of thousands of rows gain nothing
        # from a second thread, and when another process holds a core the booster's
        # spinning threads made a 1.5 s fit take 22 s (measured on 2 cores).
        with threadpool_limits(limits=1, user_api="openmp"):
            return self._fit(X, y, sample_weight)

    def _fit(self, X, y, sample_weight):
        self._validate_params()
        X, y = validate_data(self, X, y, dtype=np.float64, ensure_min_samples=2)
        check_classification_targets(y)
        target_type = type_of_target(y, input_name="y", raise_unknown=True)
        if target_type not in ("binary", "unknown") and len(np.unique(y)) > 2:
            raise ValueError("Only binary classification is supported (a placement lasted or not). "
                             f"The type of the target is {target_type}.")
        self.classes_, y01 = np.unique(y, return_inverse=True)
        if len(self.classes_) != 2:
            raise ValueError("y: needs both outcomes (placements that lasted and that did not), "
                             f"got only class {self.classes_[0]!r}")
        # Unweighted fits stay unweighted: the booster's weighted binning is far slower.
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X)
        seed = np.random.RandomState(self.random_state).randint(np.iinfo(np.int32).max) \
            if not isinstance(self.random_state, Integral) else self.random_state
        self.booster_ = self._booster(*X.shape, seed).fit(X, y01, sample_weight=sample_weight)
        self.n_iter_ = self.booster_.n_iter_
        self._compile(X)
        self.calibration_ = np.array([1.0, 0.0])
        if self.calibration == "sigmoid":
            out_of_fold = self._out_of_fold_log_odds(X, y01, sample_weight, seed)
            if out_of_fold is not None:
                platt = LogisticRegression(C=1e6).fit(out_of_fold[:, None], y01, sample_weight=sample_weight)
                self.calibration_ = np.array([platt.coef_[0, 0], platt.intercept_[0]])
        return self

    def _out_of_fold_log_odds(self, X, y01, sample_weight, seed):
        if np.bincount(y01).min() < self.calibration_folds:
            return None  # too few of one outcome to hold any out: keep the booster's scale
        folds = StratifiedKFold(n_splits=self.calibration_folds, shuffle=True, random_state=seed)
        log_odds = np.empty(len(y01))
        for train, held_out in folds.split(X, y01):
            if len(np.unique(y01[train])) < 2:
                return None
            weight = None if sample_weight is None else sample_weight[train]
            booster = self._booster(len(train), X.shape[1], seed).fit(X[train], y01[train], sample_weight=weight)
            log_odds[held_out] = booster.decision_function(X[held_out])
        return log_odds

    def _compile(self, X) -> None:
        """Step tables of the shape functions, probed from the booster itself.

        The model is additive, so moving one feature of a reference row changes the
        log-odds by exactly that feature's shape function. Probing at every split point
        (a value at a threshold goes left) and just above the last one gives the value
        of every interval.
        """
        n_features = X.shape[1]
        thresholds = [[] for _ in range(n_features)]
        for (tree,) in self.booster_._predictors:
            nodes = tree.nodes[~tree.nodes["is_leaf"].astype(bool)]
            for feature in np.unique(nodes["feature_idx"]):
                thresholds[feature].extend(nodes["num_threshold"][nodes["feature_idx"] == feature])
        self.reference_ = np.median(X, axis=0)
        self.reference_log_odds_ = float(self.booster_.decision_function(self.reference_[None, :])[0])
        self.breakpoints_, self.steps_ = [], []
        for feature in range(n_features):
            points = np.unique(np.asarray(thresholds[feature], dtype=np.float64))
            if len(points) == 0:
                self.breakpoints_.append(np.empty(0, dtype=np.float32))
                self.steps_.append(np.zeros(1))
                continue
            probe_values = np.append(points, np.nextafter(points[-1], np.inf))
            probes = np.repeat(self.reference_[None, :], len(probe_values), axis=0)
            probes[:, feature] = probe_values
            self.steps_.append(self.booster_.decision_function(probes) - self.reference_log_odds_)
            self.breakpoints_.append(_float32_at_or_below(points))

    def _checked_array(self, X) -> np.ndarray:
        check_is_fitted(self)
        return validate_data(self, X, dtype=np.float64, reset=False)

    def contributions(self, X) -> np.ndarray:
        """Each feature's share of the log-odds, relative to the typical training pair.

        Shape ``(n_pairs, n_features)``; a row sums to the pair's booster log-odds minus
        :attr:`reference_log_odds_`. Positive entries raise the probability.
        """
        X = np.asarray(self._checked_array(X), dtype=np.float32)
        out = np.zeros(X.shape, dtype=np.float64)
        for feature, (points, steps) in enumerate(zip(self.breakpoints_, self.steps_)):
            if len(points):
                out[:, feature] = steps[np.searchsorted(points, X[:, feature])]
        return out

    def _log_odds_fast(self, X) -> np.ndarray:
        raw = np.full(X.shape[0], self.reference_log_odds_)
        tables = [(feature, points, steps) for feature, (points, steps) in
                  enumerate(zip(self.breakpoints_, self.steps_)) if len(points)]
        # Row blocks that stay in cache while every feature's column is looked up: a column
        # of the whole row-major matrix drags all of it through memory once per feature.
        # Each row still adds its steps in feature order, so the sums are unchanged.
        for lo in range(0, X.shape[0], LOOKUP_ROWS):
            block, out = X[lo:lo + LOOKUP_ROWS], raw[lo:lo + LOOKUP_ROWS]
            for feature, points, steps in tables:
                out += steps[np.searchsorted(points, block[:, feature])]
        return raw

    def booster_log_odds(self, X) -> np.ndarray:
        """The booster's log-odds before calibration (equal to the compiled tables')."""
        X = np.asarray(self._checked_array(X), dtype=np.float32)
        return self._log_odds_fast(X)

    def decision_function(self, X) -> np.ndarray:
        """Calibrated log-odds of a lasting placement."""
        check_is_fitted(self)
        slope, intercept = self.calibration_
        return slope * self.booster_log_odds(X) + intercept

    def predict_proba(self, X) -> np.ndarray:
        p = expit(self.decision_function(X))
        return np.column_stack([1.0 - p, p])

    def predict(self, X) -> np.ndarray:
        check_is_fitted(self)
        return self.classes_[(self.decision_function(X) > 0).astype(int)]

    def score_pairs(self, X) -> np.ndarray:
        """Calibrated P(lasting) for float32 pair features, without input validation (hot path)."""
        check_is_fitted(self)
        if X.ndim != 2 or X.shape[1] != self.n_features_in_:
            raise ValueError(f"X must have shape (n_pairs, {self.n_features_in_}), got {X.shape}")
        slope, intercept = self.calibration_
        return expit(slope * self._log_odds_fast(np.asarray(X, dtype=np.float32)) + intercept)


def _float32_at_or_below(points: np.ndarray) -> np.ndarray:
    """The largest float32 at or below each float64 point.

    A float32 feature value x goes left of a float64 threshold t exactly when
    x ≤ that float32, so comparisons in float32 reproduce the booster's float64 ones.
    """
    as32 = points.astype(np.float32)
    too_high = as32.astype(np.float64) > points
    as32[too_high] = np.nextafter(as32[too_high], np.float32(-np.inf))
    return as32
