"""Searching for side-constraint prices: a first guess from the training market, then a
box-step cutting-plane method.

The Lagrangian bound ``L(prices)`` of :mod:`matching.programme` is convex and piecewise
linear in the prices; every flow solve gives its value and a subgradient (capacity minus
use). Plain subgradient steps need a step-length rule and stall (measured on the regional
market with a budget: 34 flow solves to a 10⁻⁴ gap, and with the earlier repair no
progress at all after iteration 40). A cutting-plane model keeps every value and
subgradient seen, ``L(y) ≥ max_k f_k + g_k·(y − x_k)``, and proposes the model's minimum
within a box around the best point so far (Marsten's box-step); the box grows after a
step that delivers at least a tenth of its promised decrease and shrinks otherwise. The
model's minimum also says when the bound cannot improve any more.

The first guess prices seats and budget as a market: with the relaxed flow's vacancy
prices held fixed, each seeker's pathways compete only for seats and money, a small LP
whose duals are the prices. It overshoots a little (vacancy prices move once pathways go),
which the cutting planes then correct; on the regional market it takes the bound from
6.6 % to 0.5 % above the optimum in one step.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.optimize import linprog

from matching.side_constraints import Prices, SideConstraints

# A step is "serious" (the centre moves) when it delivers this share of the decrease the
# model promised.
SERIOUS_SHARE = 0.1
# Largest and smallest box half-widths, in weight units (weights are probabilities).
MAX_RADIUS = 1.0
MIN_RADIUS = 1e-7


class BoxStepCuttingPlanes:
    """Minimise a convex piecewise-linear function from its values and subgradients.

    Parameters
    ----------
    n : int
        Number of prices.
    fixed : ndarray of bool, optional
        Prices held at zero (constraints that do not exist, such as an absent budget).
    radius : float
        Initial box half-width around the centre.
    """

    def __init__(self, n: int, fixed: np.ndarray | None = None, radius: float = 0.01):
        self.n = n
        self.fixed = np.zeros(n, dtype=bool) if fixed is None else np.asarray(fixed, dtype=bool)
        self.radius = radius
        self.points: list[np.ndarray] = []
        self.values: list[float] = []
        self.gradients: list[np.ndarray] = []
        self.center: np.ndarray | None = None
        self.center_value = np.inf
        self.predicted: float | None = None

    def add(self, x: np.ndarray, value: float, gradient: np.ndarray, upper: float | None = None) -> None:
        """Record one evaluation; move the centre if it is good enough.

        *value* and *gradient* must define a cut below the function (exact, or from any
        feasible inner answer); *upper*, when the value is only a lower estimate, is an
        upper one, and the centre is judged by it so a lucky low estimate cannot hold it.
        """
        self.points.append(np.asarray(x, dtype=np.float64))
        self.values.append(float(value))
        self.gradients.append(np.asarray(gradient, dtype=np.float64))
        value = float(value if upper is None else upper)
        if self.predicted is None:
            # A point the model did not propose (the start, the market guess): take it if better.
            serious = value < self.center_value
        else:
            serious = value <= self.center_value - SERIOUS_SHARE * max(self.center_value - self.predicted, 0.0)
            self.radius = min(self.radius * 1.5, MAX_RADIUS) if serious else max(self.radius * 0.5, MIN_RADIUS)
        if serious:
            self.center, self.center_value = self.points[-1], float(value)
        self.predicted = None

    def propose(self) -> np.ndarray:
        """The model's minimiser within the box around the centre (non-negative prices)."""
        points, values, gradients = np.array(self.points), np.array(self.values), np.array(self.gradients)
        # Variables (y, θ): minimise θ subject to θ ≥ f_k + g_k·(y − x_k).
        a_ub = np.c_[gradients, -np.ones(len(values))]
        b_ub = (gradients * points).sum(axis=1) - values
        low = np.maximum(self.center - self.radius, 0.0)
        high = self.center + self.radius
        low[self.fixed] = high[self.fixed] = 0.0
        bounds = np.c_[np.r_[low, -np.inf], np.r_[high, np.inf]]
        result = linprog(np.r_[np.zeros(self.n), 1.0], A_ub=a_ub, b_ub=b_ub, bounds=bounds, method="highs")
        if result.status != 0:
            self.predicted = self.center_value
            return self.center.copy()
        self.predicted = float(result.x[-1])
        return np.maximum(result.x[:-1], 0.0)

    def converged(self, tolerance: float) -> bool:
        """True when the model promises no more than *tolerance* below the centre at the
        smallest box: the centre is then (nearly) a minimiser."""
        return (self.predicted is not None and self.center_value - self.predicted <= tolerance
                and self.radius <= MIN_RADIUS * 10)


def market_prices(side: SideConstraints, base: np.ndarray, vacancy_price: np.ndarray, floor: np.ndarray) -> Prices:
    """Seat and budget prices that clear the training market with vacancy prices held fixed.

    Each seeker picks at most one pathway; a pathway is worth its gain over the seeker's
    best direct option (:meth:`SideConstraints.pathway_gain`). The LP over those gains,
    seats and budget is small (one row per (seeker, training): a combination's best
    vacancy dominates its others, having the same seat and cost); its duals are the prices.
    """
    o = side.o
    prices = Prices(seat=np.zeros(o.n_trainings), budget=0.0, floor=floor)
    gain = side.pathway_gain(base, vacancy_price, side.fallback(base, vacancy_price), side.via)
    keep = gain > 0
    index, gain = side.via[keep], gain[keep]
    if index.size == 0:
        return prices
    index, gain = side.best_per_combo(index, gain)

    n = index.size
    seekers, seeker_row = np.unique(o.seeker[index], return_inverse=True)
    columns = np.arange(n)
    blocks = [sp.csr_matrix((np.ones(n), (seeker_row, columns)), shape=(seekers.size, n)),
              sp.csr_matrix((np.ones(n), (o.training[index], columns)), shape=(o.n_trainings, n))]
    capacity = [np.ones(seekers.size), o.seats.astype(np.float64)]
    if side.budget is not None:
        blocks.append(sp.csr_matrix(o.cost_eur[index][None, :] / side.cost_unit))
        capacity.append(np.array([side.budget / side.cost_unit]))
    result = linprog(-gain, A_ub=sp.vstack(blocks).tocsr(), b_ub=np.concatenate(capacity), bounds=(0, 1),
                     method="highs")
    if result.status != 0:
        return prices
    dual = -result.ineqlin.marginals
    prices.seat = np.maximum(dual[seekers.size:seekers.size + o.n_trainings], 0.0)
    if side.budget is not None:
        prices.budget = max(float(dual[-1]), 0.0)
    return prices
