"""The programme's side constraints — training seats, the budget and group floors — priced
and repaired.

A flow carries seekers and openings but not seats, money or shares, so these are handled
by prices (Lagrange multipliers) on top of it; see :mod:`matching.programme` for the loop.
This module owns what is specific to them: the priced option weights, the violations
(which are also the subgradient of the dual), and the repair that turns a relaxed answer
into a feasible one.

The repair reads the relaxed answer through the flow's own vacancy prices: a pathway's
*gain* is what it adds over the seeker's best direct option once every vacancy costs
its price, ``w − p_v − max(0, max_direct (w_d − p_d))``. Over-full trainings keep the
users who gain most, the budget keeps the best gain per euro, and seats and money left
over go to the pathways that would gain most from them (a fill step). Cutting by the raw
weight instead keeps the wrong people: a pathway with a high weight often has a direct
option almost as good.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from matching.candidates import _top_k_within
from matching.options import OptionGraph
from matching.policy import MatchingPolicy


@dataclass
class Prices:
    """Prices per training seat, per "typical pathway" of budget, and per group floor."""

    seat: np.ndarray
    budget: float
    floor: np.ndarray

    @classmethod
    def zero(cls, n_trainings: int, n_floors: int) -> "Prices":
        return cls(seat=np.zeros(n_trainings), budget=0.0, floor=np.zeros(n_floors))

    def vector(self) -> np.ndarray:
        return np.concatenate([self.seat, [self.budget], self.floor])

    @classmethod
    def from_vector(cls, x: np.ndarray, n_trainings: int) -> "Prices":
        x = np.maximum(np.asarray(x, dtype=np.float64), 0.0)
        return cls(seat=x[:n_trainings], budget=float(x[n_trainings]), floor=x[n_trainings + 1:])


class SideConstraints:
    """Seats, budget and floors of one option graph under one policy."""

    def __init__(self, options: OptionGraph, policy: MatchingPolicy):
        self.o = options
        self.budget = policy.training_budget_eur
        # Spend is priced per "typical pathway" rather than per euro, so the budget's
        # price and subgradient are on the scale of the seat rows.
        costs = options.cost_eur[options.training >= 0]
        self.cost_unit = float(costs.mean()) if costs.size and costs.mean() > 0 else 1.0
        self.share = np.array([policy.min_group_share.get(n, 0.0) for n in options.group_names])
        self.floor_rows = np.flatnonzero(self.share > 0)
        self.pathway = options.is_pathway
        self.t = np.maximum(options.training, 0)
        # (member − share) per option and floor: the floor's contribution to each option's price.
        self.floor_coef = (options.group_member[options.seeker][:, self.floor_rows].astype(np.float64)
                           - self.share[self.floor_rows][None, :])
        # Direct options sorted by seeker, so each seeker's best is one reduceat.
        direct = np.flatnonzero(~self.pathway)
        self.direct = direct[np.argsort(options.seeker[direct], kind="stable")]
        seekers = options.seeker[self.direct]
        self.direct_starts = np.flatnonzero(np.r_[True, seekers[1:] != seekers[:-1]]) if seekers.size else seekers
        self.direct_seekers = seekers[self.direct_starts]
        self.via = np.flatnonzero(self.pathway)
        self.combo = options.seeker.astype(np.int64) * max(options.n_trainings, 1) + self.t

    @property
    def n_prices(self) -> int:
        return self.o.n_trainings + 1 + self.floor_rows.size

    def active(self) -> bool:
        return bool(self.pathway.any() or self.floor_rows.size)

    def zero_prices(self) -> Prices:
        return Prices.zero(self.o.n_trainings, self.floor_rows.size)

    def base_weight(self, floor_price: np.ndarray) -> np.ndarray:
        """Option weights with only the floors priced (what the repair flow maximises)."""
        if not self.floor_rows.size:
            return self.o.weight
        return self.o.weight + self.floor_coef @ floor_price

    def priced(self, prices: Prices) -> np.ndarray:
        w = self.base_weight(prices.floor).copy()
        w[self.via] -= (prices.seat[self.t[self.via]] + prices.budget * self.o.cost_eur[self.via] / self.cost_unit)
        return w

    def constant(self, prices: Prices) -> float:
        budget = prices.budget * self.budget / self.cost_unit if self.budget is not None else 0.0
        return float(prices.seat @ self.o.seats) + budget

    def violation(self, chosen: np.ndarray) -> tuple[np.ndarray, float, np.ndarray]:
        """(seat use − seats, spend − budget, share·placed − group placed) — all ≤ 0 when feasible."""
        o = self.o
        t = o.training[chosen]
        seat = np.bincount(t[t >= 0], minlength=o.n_trainings) - o.seats
        spend = ((float(o.cost_eur[chosen].sum()) - self.budget) / self.cost_unit
                 if self.budget is not None else -np.inf)
        floor = -self.floor_coef[chosen].sum(axis=0) if self.floor_rows.size else np.zeros(0)
        return seat.astype(np.float64), spend, floor

    def dual_gradient(self, chosen: np.ndarray) -> np.ndarray:
        """Gradient of the Lagrangian bound in the price vector's order: capacity − use."""
        seat, spend, floor = self.violation(chosen)
        return -np.concatenate([seat, [spend if self.budget is not None else 0.0], floor])

    def feasible(self, chosen) -> bool:
        seat, spend, floor = self.violation(chosen)
        return bool(np.all(seat <= 0) and spend <= 1e-12 and np.all(floor <= 1e-9))

    # ------------------------------------------------------------------ repair

    def fallback(self, base: np.ndarray, vacancy_price: np.ndarray) -> np.ndarray:
        """Each seeker's best direct option net of its vacancy's price (0 if none is positive)."""
        best = np.zeros(self.o.n_seekers)
        if self.direct.size:
            net = base[self.direct] - vacancy_price[self.o.vacancy[self.direct]]
            best[self.direct_seekers] = np.maximum(np.maximum.reduceat(net, self.direct_starts), 0.0)
        return best

    def pathway_gain(self, base: np.ndarray, vacancy_price: np.ndarray, fallback: np.ndarray,
                     index: np.ndarray) -> np.ndarray:
        """What each pathway option in *index* adds over its seeker's *fallback*, with every
        vacancy at its price."""
        o = self.o
        return base[index] - vacancy_price[o.vacancy[index]] - fallback[o.seeker[index]]

    def repair_allowed(self, chosen: np.ndarray, base: np.ndarray, vacancy_price: np.ndarray) -> np.ndarray:
        """Options a feasible re-solve may use: every direct one, plus pathways of the
        (seeker, training) combinations that fit the seats and budget together.

        Parameters
        ----------
        chosen : ndarray
            A relaxed answer (may overfill trainings and overspend).
        base : ndarray
            Option weights the re-solve maximises.
        vacancy_price : ndarray of shape (n_vacancies,)
            The relaxed flow's vacancy prices (LP duals), in weight units.
        """
        o = self.o
        fallback = self.fallback(base, vacancy_price)

        def gain_of(index):
            return self.pathway_gain(base, vacancy_price, fallback, index)

        via = chosen[o.training[chosen] >= 0]
        kept = via[:0]
        if via.size:
            kept = via[_top_k_within(o.training[via], _unit_key(gain_of(via)), o.seats)]
            kept = self._within_budget(kept, gain_of, budget=self.budget)
        kept_combo = np.unique(self.combo[kept])
        kept_combo = np.union1d(kept_combo, self._fill(kept, kept_combo, gain_of))
        allowed = ~self.pathway
        if kept_combo.size:
            position = np.minimum(np.searchsorted(kept_combo, self.combo), len(kept_combo) - 1)
            allowed = allowed | (self.pathway & (kept_combo[position] == self.combo))
        return allowed

    def _within_budget(self, kept: np.ndarray, gain_of, budget) -> np.ndarray:
        """The best gain per euro, while the running total stays within *budget*."""
        if budget is None or kept.size == 0:
            return kept
        per_euro = gain_of(kept) / np.maximum(self.o.cost_eur[kept], 1e-9)
        kept = kept[np.argsort(-per_euro, kind="stable")]
        return kept[np.cumsum(self.o.cost_eur[kept]) <= budget + 1e-9]

    def best_per_combo(self, options: np.ndarray, gain: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """One option per (seeker, training) combination, its highest-gain one (ties: the
        first listed), ordered by combination; with the gains."""
        order = np.lexsort((-gain, self.combo[options]))
        options, gain = options[order], gain[order]
        first = np.r_[True, self.combo[options][1:] != self.combo[options][:-1]]
        return options[first], gain[first]

    def _fill(self, kept: np.ndarray, kept_combo: np.ndarray, gain_of):
        """New (seeker, training) combinations for the seats and money the kept ones leave.

        Each training admits at most as many new combinations as it has seats left, and
        all new ones together cost at most the money left, so the re-solve stays feasible
        whichever of them it takes.
        """
        o = self.o
        spare = o.seats - np.bincount(o.training[kept], minlength=o.n_trainings)
        left = self.budget - float(o.cost_eur[kept].sum()) if self.budget is not None else None
        candidates = self.via[spare[o.training[self.via]] > 0]
        if left is not None:
            candidates = candidates[o.cost_eur[candidates] <= left + 1e-9]
        candidates = candidates[~np.isin(self.combo[candidates], kept_combo)]
        if candidates.size == 0:
            return candidates
        gain = gain_of(candidates)
        candidates, gain = candidates[gain > 0], gain[gain > 0]
        if candidates.size == 0:
            return candidates
        candidates, gain = self.best_per_combo(candidates, gain)
        picked = candidates[_top_k_within(o.training[candidates], _unit_key(gain), spare)]
        picked = self._within_budget(picked, gain_of, budget=left)
        return self.combo[picked]


def _unit_key(values: np.ndarray) -> np.ndarray:
    """Order-preserving map into [0, 1], the key range ``_top_k_within`` expects."""
    if values.size == 0:
        return values
    low, high = float(values.min()), float(values.max())
    return (values - low) / (high - low) if high > low else np.zeros_like(values)
