"""Exact max-weight assignment on a working set of arcs, grown by dual pricing.

The pricing loop of :mod:`matching.programme` solves the same assignment dozens of times
with slightly different weights. Most of the ~600,000 candidate arcs never matter: an
optimum uses people's better options. So each solve runs min-cost flow on a *working
set* of arcs, then proves the result optimal for *all* arcs with LP duals: a utility
``u_s ≥ 0`` per seeker and a price ``p_v ≥ 0`` per vacancy such that
``u_s + p_v ≥ w_sv`` on every arc, with equality on the chosen ones, ``u_s = 0`` for the
unmatched and ``p_v = 0`` for vacancies with free openings. Arcs outside the set that
break ``u_s + p_v ≥ w_sv`` are added and the set is solved again; when none is left,
the working-set optimum is the whole-graph optimum (LP duality on a totally unimodular
problem). The set persists between solves, so later solves add few arcs.

Duals come from the optimal flow by Bellman–Ford on its residual graph, in vectorised
rounds: raise each full vacancy's price to the best value any non-assigned seeker puts on
it, lower the utility of the seekers assigned there, repeat until nothing moves. The
rounds terminate because an optimal flow has no positive cycle in its residual graph.
"""

from __future__ import annotations

import numpy as np

from matching.assignment import max_weight_assignment
from matching.candidates import _top_k_within

# Arcs per seeker and per vacancy opening that seed an empty working set.
SEED_PER_SEEKER = 4
SEED_PER_OPENING = 2
# Violated arcs added per seeker and round.
ADD_PER_SEEKER = 3


def assignment_duals(seeker, vacancy, weight, openings, chosen, n_seekers: int, *, max_rounds: int = 100_000):
    """Seeker utilities and vacancy prices certifying *chosen* as optimal.

    Parameters
    ----------
    seeker, vacancy, weight : ndarray of shape (n_arcs,)
        Arcs with integer weights.
    openings : ndarray of shape (n_vacancies,)
    chosen : ndarray of shape (n_arcs,), bool
        An optimal assignment on these arcs.

    Returns
    -------
    utility : ndarray of shape (n_seekers,), int64
    price : ndarray of shape (n_vacancies,), int64
    """
    weight = np.asarray(weight, dtype=np.int64)
    n_vacancies = len(openings)
    matched_vacancy = np.full(n_seekers, -1, dtype=np.int64)
    matched_weight = np.zeros(n_seekers, dtype=np.int64)
    matched_vacancy[seeker[chosen]] = vacancy[chosen]
    matched_weight[seeker[chosen]] = weight[chosen]
    full = np.bincount(vacancy[chosen], minlength=n_vacancies) >= openings
    free_arcs = ~chosen & full[vacancy]
    s_free, v_free, w_free = seeker[free_arcs], vacancy[free_arcs], weight[free_arcs]
    matched = matched_vacancy >= 0
    price = np.zeros(n_vacancies, dtype=np.int64)
    for _ in range(max_rounds):
        utility = np.where(matched, matched_weight - price[np.maximum(matched_vacancy, 0)], 0)
        offer = np.zeros(n_vacancies, dtype=np.int64)
        np.maximum.at(offer, v_free, w_free - utility[s_free])
        new_price = np.maximum(price, offer)
        if np.array_equal(new_price, price):
            return utility, price
        price = new_price
    raise RuntimeError("dual prices did not settle: the assignment is not optimal")


class WorkingSetAssignment:
    """Repeated exact assignments over fixed arcs with changing weights.

    Parameters
    ----------
    seeker, vacancy : ndarray of shape (n_arcs,)
        The arcs (each (seeker, vacancy) pair at most once).
    openings : ndarray of shape (n_vacancies,)
    n_seekers : int
    """

    def __init__(self, seeker, vacancy, openings, n_seekers: int):
        self.seeker = np.asarray(seeker, dtype=np.int64)
        self.vacancy = np.asarray(vacancy, dtype=np.int64)
        self.openings = np.asarray(openings, dtype=np.int64)
        self.n_seekers = n_seekers
        self.working = None
        self.rounds = 0
        self.proven = False
        # LP duals of the last solve's vacancies (integer weight units): what one more
        # opening would be worth. The programme's repair reads pathways through them.
        self.vacancy_price = np.zeros(len(self.openings), dtype=np.int64)

    def _seed(self, weight) -> np.ndarray:
        scale = max(float(weight.max()), 1.0) if weight.size else 1.0
        by_seeker = _top_k_within(self.seeker, weight / scale, SEED_PER_SEEKER)
        by_vacancy = _top_k_within(self.vacancy, weight / scale, SEED_PER_OPENING * self.openings)
        working = np.zeros(len(self.seeker), dtype=bool)
        working[by_seeker] = True
        working[by_vacancy] = True
        return working

    def solve(self, weight, max_rounds: int | None = None) -> np.ndarray:
        """Bool mask of the chosen arcs: optimal for *all* arcs under integer *weight*
        (arcs with weight ≤ 0 are never chosen).

        With *max_rounds*, stop after that many flow solves even if arcs outside the set
        still price above zero: the answer is then optimal on the working set only (still
        a valid assignment), :attr:`proven` is False, and the arcs found stay in the set
        for the next call.
        """
        weight = np.asarray(weight, dtype=np.int64)
        usable = weight > 0
        if self.working is None:
            self.working = self._seed(np.where(usable, weight, 0))
        working = self.working & usable
        rounds = 0
        while True:
            rounds += 1
            self.rounds += 1
            arcs = np.flatnonzero(working)
            local, _, _ = max_weight_assignment(self.seeker[arcs], self.vacancy[arcs], weight[arcs], self.openings,
                                                self.n_seekers)
            chosen = np.zeros(len(weight), dtype=bool)
            chosen[arcs[local]] = True
            utility, price = assignment_duals(self.seeker[arcs], self.vacancy[arcs], weight[arcs], self.openings,
                                              local, self.n_seekers)
            self.vacancy_price = price
            reduced = weight - utility[self.seeker] - price[self.vacancy]
            violated = usable & ~working & (reduced > 0)
            self.proven = not violated.any()
            if self.proven:
                self.working |= working
                return chosen
            # Partial pricing: each seeker's few most violated arcs, so the set stays small.
            candidates = np.flatnonzero(violated)
            scale = max(float(reduced[candidates].max()), 1.0)
            keep = _top_k_within(self.seeker[candidates], reduced[candidates] / scale, ADD_PER_SEEKER)
            working[candidates[keep]] = True
            if max_rounds is not None and rounds >= max_rounds:
                self.working |= working
                return chosen
