"""Graded response model: formulas against hand computation, EAP against direct integration,
and EM calibration recovering the parameters of a small simulated data set."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.integrate import quad

from assessment import irt


def _by_hand(theta: float, a: float, thresholds: list[float]) -> list[float]:
    star = [1.0] + [1 / (1 + math.exp(-a * (theta - b))) for b in thresholds] + [0.0]
    return [star[k] - star[k + 1] for k in range(len(thresholds) + 1)]


def test_category_probabilities_match_the_textbook_formula():
    a, b = np.array([1.7, 0.6]), np.array([[-1.0, 0.2, 1.5], [-2.0, -1.9, 3.0]])
    theta = np.array([-3.0, 0.0, 0.7, 4.0])
    p = irt.grm_probabilities(theta, a, b)
    assert p.shape == (4, 2, 4)
    for i, t in enumerate(theta):
        for j in range(2):
            assert p[i, j] == pytest.approx(_by_hand(t, a[j], list(b[j])), abs=1e-12)


def test_information_is_the_squared_slope_over_probability():
    a, b = np.array([2.2]), np.array([[-0.5, 0.3, 1.1]])
    theta, h = np.array([-1.0, 0.4, 2.0]), 1e-5
    slope = (irt.grm_probabilities(theta + h, a, b) - irt.grm_probabilities(theta - h, a, b)) / (2 * h)
    expected = (slope**2 / irt.grm_probabilities(theta, a, b)).sum(axis=-1)
    assert irt.item_information(theta, a, b) == pytest.approx(expected, rel=1e-6)


def _direct_posterior(pattern, a, b) -> tuple[float, float]:
    """Posterior mean and SD by numeric integration over the grid's range [-4, 4]."""

    def density(t):
        out = math.exp(-t * t / 2)
        for j, k in enumerate(pattern):
            if not np.isnan(k):
                out *= _by_hand(t, a[j], list(b[j]))[int(k)]
        return out

    z = quad(density, -4, 4)[0]
    mean = quad(lambda t: t * density(t), -4, 4)[0] / z
    return mean, math.sqrt(quad(lambda t: (t - mean) ** 2 * density(t), -4, 4)[0] / z)


def test_eap_equals_direct_integration_over_the_grid_range():
    a, b = np.array([1.4, 2.0, 0.9]), np.array([[-1.5, -0.2, 1.0], [-0.8, 0.1, 0.9], [-2.0, 0.0, 2.0]])
    responses = np.array([[3, 1, 2], [0, np.nan, 1], [np.nan, np.nan, np.nan], [3, 3, 3]])
    mean, sd = irt.eap(responses, a, b)
    for row, pattern in enumerate(responses):
        expected_mean, expected_sd = _direct_posterior(pattern, a, b)
        # The 61-point grid is within 0.001 of the integral.
        assert mean[row] == pytest.approx(expected_mean, abs=1e-3)
        assert sd[row] == pytest.approx(expected_sd, abs=1e-3)
    assert mean[2] == pytest.approx(0.0, abs=1e-12) and sd[2] == pytest.approx(1.0, abs=0.01)


def test_a_response_outside_the_categories_is_named():
    with pytest.raises(ValueError, match="response 4 of person 1 to item 0 is not a category 0..3"):
        irt.eap(np.array([[1.0], [4.0]]), [1.0], [[-1.0, 0.0, 1.0]])


def test_marginal_reliability_is_the_share_of_true_variance():
    mean = np.array([-1.0, 0.0, 1.0, 2.0, -2.0])
    sd = np.full(5, 0.5)
    assert irt.marginal_reliability(mean, sd) == pytest.approx(2.0 / (2.0 + 0.25))


def test_calibration_recovers_the_generating_parameters_with_missing_responses():
    rng = np.random.default_rng(11)
    a = np.array([0.8, 1.3, 1.8, 2.4, 1.5, 2.0])
    b = np.array([[-2.0, -1.0, 0.0], [-1.5, -0.3, 0.8], [-1.0, 0.0, 1.2],
                  [-0.6, 0.4, 1.4], [-2.2, -0.8, 0.5], [-0.2, 0.8, 2.0]])
    theta = rng.normal(size=2000)
    star = 1 / (1 + np.exp(-a[None, :, None] * (theta[:, None, None] - b[None])))
    responses = (rng.random((2000, 6))[..., None] < star).sum(axis=2).astype(float)
    responses[rng.random(responses.shape) < 0.3] = np.nan   # an incomplete design
    fit = irt.calibrate_grm(responses)
    assert fit.converged
    assert np.abs(fit.a - a).max() < 0.3
    assert np.abs(fit.thresholds - b).max() < 0.3
    assert np.all(np.diff(fit.thresholds, axis=1) > 0)
    assert (fit.n_responses > 1200).all()


def test_calibration_refuses_an_item_nobody_answered():
    responses = np.array([[1.0, np.nan], [2.0, np.nan]])
    with pytest.raises(ValueError, match="item 1 has no responses"):
        irt.calibrate_grm(responses)
