"""The graded response model (Samejima): probabilities, information, EAP scores, calibration.

An item with ``K`` ordered categories ``0..K-1`` has a discrimination ``a > 0`` and ``K-1``
increasing thresholds ``b_1 < … < b_{K-1}``. The chance of scoring in category ``k`` *or
higher* is a logistic curve, ``P*_k(θ) = 1 / (1 + exp(-a(θ - b_k)))``, with ``P*_0 = 1`` and
``P*_K = 0``; the chance of exactly ``k`` is the difference ``P*_k - P*_{k+1}``.

Everything here works on whole arrays: persons × items × categories for the probabilities
and the Fisher information, persons × quadrature points for the posterior. Missing responses
(NaN, an item that was not administered, as in an adaptive test) simply add nothing to the
likelihood, so the same code scores full tests, adaptive tests and incomplete designs.

* :func:`eap` — expected a posteriori trait estimates and posterior SDs on a fixed grid of
  :data:`GRID_POINTS` points on [-4, 4] with a standard-normal prior.
* :func:`calibrate_grm` — marginal maximum likelihood item calibration by the EM algorithm
  of Bock and Aitkin (1981) on the same grid: the E-step spreads every person over the grid
  (one matrix product for all persons), the M-step refits each item to its expected
  category counts with L-BFGS-B. The N(0, 1) population fixes the scale of θ.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize
from scipy.special import expit, log_expit, logsumexp
from threadpoolctl import threadpool_limits

GRID_POINTS = 61
GRID = np.linspace(-4.0, 4.0, GRID_POINTS)
# Log-density of N(0, 1) at the grid points, normalised to sum to one over the grid.
LOG_PRIOR = -0.5 * GRID**2 - logsumexp(-0.5 * GRID**2)

A_BOUNDS = (0.2, 4.0)
FIRST_THRESHOLD_BOUNDS = (-6.0, 6.0)
# Thresholds are b_1 plus cumulated exp(increments); these bounds keep neighbouring
# thresholds between 0.05 and 6 apart, so they stay ordered and finite even for a category
# nobody chose.
LOG_GAP_BOUNDS = (float(np.log(0.05)), float(np.log(6.0)))


def _thresholds(thresholds) -> np.ndarray:
    thresholds = np.asarray(thresholds, dtype=float)
    thresholds = thresholds[None, :] if thresholds.ndim == 1 else thresholds
    if thresholds.shape[-1] > 1 and np.any(np.diff(thresholds, axis=-1) <= 0):
        raise ValueError("GRM thresholds must increase within each item")
    return thresholds


def _linear_predictor(theta, a, thresholds) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``a``, ``b`` and ``z = a(θ - b)`` broadcast to persons × items × thresholds.

    *a* may be ``(J,)`` or ``(P, J)`` and *thresholds* ``(J, K-1)`` or ``(P, J, K-1)``: the
    second form gives every person their own items (as in an adaptive test).
    """
    a = np.atleast_1d(np.asarray(a, dtype=float))
    b = _thresholds(thresholds)
    theta = np.asarray(theta, dtype=float)
    theta = theta[:, None] if theta.ndim == 1 else theta
    return a, b, a[..., None] * (theta[..., None] - b)


def _pad(values: np.ndarray, before: bool, after: bool) -> np.ndarray:
    """Zeros added at the start and/or end of the last axis."""
    return np.pad(values, [(0, 0)] * (values.ndim - 1) + [(int(before), int(after))])


def grm_log_probabilities(theta, a, thresholds) -> np.ndarray:
    """``log P(X = k | θ)``: an array persons × items × categories.

    *theta* is ``(P,)`` (one trait per person, the same for every item) or ``(P, J)`` (a
    trait per person and item, e.g. each item's own scale); *a* is ``(J,)``; *thresholds*
    is ``(J, K-1)``, increasing along each row.

    Computed in log space as ``log σ(z_k) + log σ(-z_{k+1}) + log(1 - exp(-(z_k - z_{k+1})))``
    with ``z_k = a(θ - b_k)``, which is exact and never takes the log of a difference of
    two nearly equal probabilities, so it stays finite far into the tails.
    """
    a, b, z = _linear_predictor(theta, a, thresholds)
    upper = _pad(log_expit(z), True, False)                         # log P*_k
    lower = _pad(log_expit(-z), False, True)                        # log (1 - P*_{k+1}), up to the gap term
    gap = _pad(np.log(-np.expm1(-a[..., None] * np.diff(b, axis=-1))), True, True)  # independent of θ
    return upper + lower + gap


def grm_probabilities(theta, a, thresholds) -> np.ndarray:
    """``P(X = k | θ)``: persons × items × categories; each row sums to one."""
    return np.exp(grm_log_probabilities(theta, a, thresholds))


def item_information(theta, a, thresholds) -> np.ndarray:
    """Fisher information of each item at each trait value: persons × items.

    ``I(θ) = a² Σ_k (w_k - w_{k+1})² / P_k`` with ``w_k = P*_k (1 - P*_k)`` and
    ``w_0 = w_K = 0`` (Samejima's formula; ``a (w_k - w_{k+1})`` is ``dP_k/dθ``). Shapes as
    in :func:`grm_log_probabilities`, and *a*, *thresholds* may also be per person
    (``(P, J)``, ``(P, J, K-1)``).
    """
    a, _, z = _linear_predictor(theta, a, thresholds)
    star = _pad(_pad(expit(z), False, True), True, False)
    star[..., 0] = 1.0
    # expit is monotone in floating point too, so these differences are never negative.
    p = star[..., :-1] - star[..., 1:]
    # P*(1 - P*) in log space keeps the slope positive where P* rounds to one.
    w = _pad(np.exp(log_expit(z) + log_expit(-z)), True, True)
    slope = w[..., :-1] - w[..., 1:]
    ratio = np.divide(slope**2, p, out=np.zeros_like(p), where=p > 0)
    return a**2 * ratio.sum(axis=-1)


def total_information(a, thresholds, grid: np.ndarray = GRID) -> np.ndarray:
    """Information of the whole set of items at each grid point (sum over items)."""
    return item_information(grid, a, thresholds).sum(axis=1)


# ---------------------------------------------------------------------------- scoring


def response_indicators(responses, n_categories: int) -> np.ndarray:
    """Persons × (items·K) one-hot coding of the responses; a missing response is all zeros.

    Column ``j·K + k`` is 1 where person answered item ``j`` in category ``k``. The grid
    log-likelihood of every person is then a single matrix product with the items'
    log-probability table, whatever items each person answered.
    """
    values = np.asarray(responses, dtype=float)
    if values.ndim != 2:
        raise ValueError("responses must be a persons × items array")
    given = ~np.isnan(values)
    categories = np.where(given, values, 0.0)
    bad = given & ((categories < 0) | (categories > n_categories - 1) | (categories != np.round(categories)))
    if bad.any():
        person, item = np.argwhere(bad)[0]
        raise ValueError(f"response {values[person, item]:g} of person {person} to item {item} "
                         f"is not a category 0..{n_categories - 1}")
    n, j = values.shape
    indicators = np.zeros((n, j * n_categories))
    rows, items = np.nonzero(given)
    indicators[rows, items * n_categories + categories[rows, items].astype(np.int64)] = 1.0
    return indicators


def log_probability_table(a, thresholds, grid: np.ndarray = GRID) -> np.ndarray:
    """``log P(X_j = k | θ_q)`` as an (items·K) × grid table, rows in indicator order."""
    logp = grm_log_probabilities(grid, a, thresholds)                # (Q, J, K)
    return logp.reshape(len(grid), -1).T


def grid_log_likelihood(responses, a, thresholds, grid: np.ndarray = GRID) -> np.ndarray:
    """Log-likelihood of every person's responses at every grid point: persons × grid."""
    n_categories = np.atleast_2d(thresholds).shape[1] + 1
    return response_indicators(responses, n_categories) @ log_probability_table(a, thresholds, grid)


def posterior_moments(log_likelihood: np.ndarray, grid: np.ndarray = GRID,
                      log_prior: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Posterior mean and SD per row of a persons × grid log-likelihood."""
    log_prior = _log_prior(grid) if log_prior is None else log_prior
    joint = log_likelihood + log_prior
    # Subtracting the row maximum keeps exp() in range for long, extreme response patterns.
    weights = np.exp(joint - joint.max(axis=-1, keepdims=True))
    weights /= weights.sum(axis=-1, keepdims=True)
    mean = weights @ grid
    variance = np.clip(weights @ grid**2 - mean**2, 0.0, None)
    return mean, np.sqrt(variance)


def _log_prior(grid: np.ndarray) -> np.ndarray:
    return -0.5 * grid**2 - logsumexp(-0.5 * grid**2)


def eap(responses, a, thresholds, *, grid: np.ndarray = GRID) -> tuple[np.ndarray, np.ndarray]:
    """EAP trait estimates and posterior SDs of many persons at once.

    *responses* is persons × items of categories ``0..K-1`` with NaN for items not
    administered; a person with no responses gets the prior (mean 0, SD about 1).
    """
    return posterior_moments(grid_log_likelihood(responses, a, thresholds, grid), grid)


def marginal_reliability(posterior_mean, posterior_sd) -> float:
    """Empirical marginal reliability of EAP scores: ``var(EAP) / (var(EAP) + mean(SD²))``.

    The denominator estimates the trait variance (between-person variance of the estimates
    plus the average posterior variance), so this is the share of trait variance the
    estimates capture — the IRT counterpart of a classical reliability coefficient.
    """
    mean = np.asarray(posterior_mean, dtype=float)
    sd = np.asarray(posterior_sd, dtype=float)
    return float(mean.var() / (mean.var() + np.mean(sd**2)))


# ---------------------------------------------------------------------------- calibration


@dataclass(frozen=True, eq=False)
class GRMFit:
    """Item parameters found by :func:`calibrate_grm` and how the EM run went."""

    a: np.ndarray               # (J,)
    thresholds: np.ndarray      # (J, K-1), increasing per row
    log_likelihood: float       # marginal log-likelihood at the solution
    iterations: int
    converged: bool
    n_responses: np.ndarray     # (J,) responses each item was calibrated on


def _unpack(x: np.ndarray) -> tuple[float, np.ndarray]:
    return x[0], x[1] + np.concatenate([[0.0], np.cumsum(np.exp(x[2:]))])


def _pack(a: float, thresholds: np.ndarray) -> np.ndarray:
    return np.concatenate([[a, thresholds[0]], np.log(np.diff(thresholds))])


def _item_objective(x: np.ndarray, counts: np.ndarray, grid: np.ndarray) -> tuple[float, np.ndarray]:
    """Minus the expected complete-data log-likelihood of one item and its gradient.

    *counts* is ``(Q, K)``: the expected number of persons at grid point ``q`` answering in
    category ``k`` (from the E-step). Parameters are ``(a, b_1, log(b_2 - b_1), …)``.
    """
    a, b = _unpack(x)
    z = a * (grid[:, None] - b)                                      # (Q, K-1)
    logp = grm_log_probabilities(grid, [a], b[None, :])[:, 0, :]     # (Q, K)
    value = -float(np.sum(counts * logp))
    # counts / P, guarded so an empty cell with a vanishing probability stays zero.
    ratio = counts * np.exp(-np.maximum(logp, -700.0))
    w = np.exp(log_expit(z) + log_expit(-z))
    edge = np.zeros((len(grid), 1))
    u = np.concatenate([edge, w * (grid[:, None] - b), edge], axis=1)
    d_a = -np.sum(ratio * (u[:, :-1] - u[:, 1:]))
    # b_m moves P*_{m+1}: it raises category m and lowers category m+1 by a·w_m.
    d_b = -a * np.sum(w * (ratio[:, :-1] - ratio[:, 1:]), axis=0)
    tail = np.cumsum(d_b[::-1])[::-1]                                 # Σ_{m ≥ i} d_b[m]
    gradient = np.concatenate([[d_a, tail[0]], np.exp(x[2:]) * tail[1:]])
    return value, gradient


def _starting_values(indicators: np.ndarray, n_items: int, n_categories: int) -> tuple[np.ndarray, np.ndarray]:
    counts = indicators.sum(axis=0).reshape(n_items, n_categories) + 0.5
    at_least = np.cumsum(counts[:, ::-1], axis=1)[:, ::-1][:, 1:] / counts.sum(axis=1, keepdims=True)
    # With a = 1 and θ ~ N(0, 1), P(X ≥ k) ≈ σ(-b_k / 1.3); invert and force a minimal gap.
    thresholds = -1.3 * np.log(at_least / (1 - at_least))
    thresholds = thresholds[:, :1] + np.concatenate(
        [np.zeros((n_items, 1)), np.cumsum(np.maximum(np.diff(thresholds, axis=1), 0.1), axis=1)], axis=1)
    return np.ones(n_items), thresholds


def calibrate_grm(responses, n_categories: int = 4, *, grid: np.ndarray = GRID, max_iter: int = 500,
                  tol: float = 1e-4, a_bounds: tuple[float, float] = A_BOUNDS) -> GRMFit:
    """Marginal maximum likelihood GRM item parameters by EM (Bock–Aitkin).

    Parameters
    ----------
    responses : array-like, persons × items
        Categories ``0..n_categories-1``; NaN where an item was not administered (adaptive
        tests, incomplete designs). Every item needs at least one response.
    n_categories : int
        Number of ordered categories per item.
    grid : array
        Quadrature points; the population is N(0, 1) on them, which fixes θ's scale.
    max_iter, tol :
        EM stops when no parameter moves by more than *tol* in an iteration.
    a_bounds :
        Bounds on the discriminations (thresholds stay ordered by construction).

    Returns
    -------
    GRMFit
        Discriminations, thresholds, marginal log-likelihood, iterations, convergence.
    """
    # The matrices are small and L-BFGS-B calls BLAS on tiny vectors thousands of times;
    # a single BLAS thread avoids thread start-up costs that made this ten times slower
    # on a busy machine.
    with threadpool_limits(limits=1, user_api="blas"):
        return _calibrate(np.asarray(responses, dtype=float), n_categories, grid, max_iter, tol, a_bounds)


def _calibrate(values: np.ndarray, n_categories: int, grid: np.ndarray, max_iter: int, tol: float,
               a_bounds: tuple[float, float]) -> GRMFit:
    indicators = response_indicators(values, n_categories)
    n_items = values.shape[1]
    answered = (~np.isnan(values)).sum(axis=0)
    if np.any(answered == 0):
        raise ValueError(f"item {int(np.flatnonzero(answered == 0)[0])} has no responses to calibrate on")
    log_prior = _log_prior(grid)
    a, thresholds = _starting_values(indicators, n_items, n_categories)
    bounds = [a_bounds, FIRST_THRESHOLD_BOUNDS] + [LOG_GAP_BOUNDS] * (n_categories - 2)
    converged, log_likelihood, iteration = False, -np.inf, 0
    for iteration in range(1, max_iter + 1):
        # E-step: every person's posterior over the grid, then expected category counts.
        joint = indicators @ log_probability_table(a, thresholds, grid) + log_prior
        norm = logsumexp(joint, axis=1)
        log_likelihood = float(norm.sum())
        posterior = np.exp(joint - norm[:, None])
        expected = (indicators.T @ posterior).reshape(n_items, n_categories, len(grid)).transpose(0, 2, 1)
        # M-step: the items are independent given the expected counts.
        new_a, new_thresholds = a.copy(), thresholds.copy()
        for j in range(n_items):
            start = _pack(a[j], thresholds[j])
            start = np.clip(start, [lo for lo, _ in bounds], [hi for _, hi in bounds])
            fit = minimize(_item_objective, start, args=(expected[j], grid), jac=True, method="L-BFGS-B",
                           bounds=bounds)
            new_a[j], new_thresholds[j] = _unpack(fit.x)
        change = max(np.max(np.abs(new_a - a)), np.max(np.abs(new_thresholds - thresholds)))
        a, thresholds = new_a, new_thresholds
        if change < tol:
            converged = True
            break
    return GRMFit(a, thresholds, log_likelihood, iteration, converged, answered)
