"""Direct assignment of seekers to vacancy openings with OR-Tools min-cost flow.

Each seeker takes at most one vacancy, each vacancy at most its openings, and anyone
may stay unmatched; the total score (expected successful placements) is maximised.

Network: every seeker node supplies one unit; it flows either seeker → vacancy → sink
(a placement, cost ``−weight``) or seeker → sink directly (unmatched, cost 0). Vacancy
→ sink arcs carry the openings. Supplies balance by construction. Because the
constraint matrix is totally unimodular, the integral flow is an optimal assignment.

Integer costs: OR-Tools needs integer costs and silently truncates floats, so scores in
[0, 1] are multiplied by :data:`SCORE_SCALE` (10⁶) and rounded. The solution is optimal
for the rounded weights; against the exact float optimum it can lose at most
``(matched + optimum's matched) × 0.5 / SCORE_SCALE``, reported as ``rounding_gap_bound``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np
from ortools.graph.python import min_cost_flow

from matching.candidates import CandidateGraph

SCORE_SCALE = 1_000_000
_INT32_MAX = np.iinfo(np.int32).max
_COST_LIMIT = 2**62


class AssignmentError(RuntimeError):
    """The solver did not return an optimal flow."""

    def __init__(self, status: str, detail: str):
        self.status = status
        super().__init__(f"min-cost flow ended with status {status}: {detail}")


class InvalidAssignmentError(AssertionError):
    """An assignment breaks a rule it must keep (capacities, one option per seeker, …)."""


class Outcome(IntEnum):
    """Per-seeker result of an assignment."""

    MATCHED = 0
    NO_CONSENT = 1
    NO_CANDIDATES = 2
    OUTCOMPETED = 3


OUTCOME_TEXT = {
    Outcome.MATCHED: "placed",
    Outcome.NO_CONSENT: "not included: no consent for batch matching",
    Outcome.NO_CANDIDATES: "no vacancy passed the knock-outs",
    Outcome.OUTCOMPETED: "every suitable vacancy was filled by candidates with a better expected fit",
}


def scale_scores(score) -> np.ndarray:
    """Float scores in [0, 1] → int64 weights; refuses values the scaling cannot hold."""
    score = np.asarray(score, dtype=np.float64)
    if score.size and (not np.all(np.isfinite(score)) or score.min() < 0.0 or score.max() > 1.0):
        raise ValueError("scores must be finite and lie in [0, 1] to be scaled to integer costs")
    return np.rint(score * SCORE_SCALE).astype(np.int64)


def max_weight_assignment(seeker, vacancy, weight, capacity, n_seekers: int) -> tuple[np.ndarray, int, str]:
    """Maximum-weight capacitated assignment on integer weights.

    Parameters
    ----------
    seeker, vacancy : array-like of shape (n_edges,)
        Edge endpoints (indices into ``range(n_seekers)`` and ``range(len(capacity))``).
    weight : array-like of shape (n_edges,), int64
        Gain of each edge; edges with weight ≤ 0 are never chosen.
    capacity : array-like of shape (n_vacancies,), int
        Openings per vacancy.

    Returns
    -------
    chosen : ndarray of shape (n_edges,), bool
    total_weight : int
    status : str
    """
    # --- data (edge arrays are used as given: int64 copies of 20 M edges cost 0.3 GB each)
    seeker = np.asarray(seeker)
    vacancy = np.asarray(vacancy)
    weight = np.asarray(weight, dtype=np.int64)
    capacity = np.asarray(capacity, dtype=np.int64)
    if seeker.dtype.kind not in "iu" or vacancy.dtype.kind not in "iu":
        raise TypeError("seeker and vacancy must be integer index arrays")
    n_vacancies = len(capacity)
    chosen = np.zeros(len(seeker), dtype=bool)
    keep = weight > 0
    if np.any(capacity <= 0):
        keep &= capacity[vacancy] > 0
    # Usually every edge is useful: then no index array and no gathered copies at all.
    useful = None if keep.all() else np.flatnonzero(keep)
    del keep

    def on_useful(values):
        return values if useful is None else values[useful]

    n_useful = len(seeker) if useful is None else len(useful)
    if n_useful == 0:
        return chosen, 0, "OPTIMAL"
    if n_seekers + n_vacancies + 1 > _INT32_MAX:
        raise ValueError("too many nodes for int32 node ids")
    if int(on_useful(weight).max()) * n_seekers >= _COST_LIMIT:
        raise ValueError("weights too large: the total cost could overflow int64")

    # --- model: only seekers and vacancies that appear on a useful edge become nodes
    # (compacted by counting, not sorting: linear in the number of edges)
    s_node, seeker_present = _compact(on_useful(seeker), n_seekers)
    v_local, vacancy_present = _compact(on_useful(vacancy), n_vacancies)
    n_s, active_vacancies = int(seeker_present.sum()), np.flatnonzero(vacancy_present)
    n_v = len(active_vacancies)
    sink = n_s + n_v

    # --- variables (arcs), added in bulk: placements, bypasses, vacancy → sink. Each array
    # is filled in place and dropped once OR-Tools has copied it, so the Python side holds
    # little while the solver runs (the national batch's memory peak is in this step).
    n_arcs = n_useful + n_s + n_v
    tails = np.empty(n_arcs, dtype=np.int32)
    tails[:n_useful] = s_node
    tails[n_useful:] = np.arange(n_s + n_v, dtype=np.int32)
    del s_node
    heads = np.full(n_arcs, sink, dtype=np.int32)
    np.add(v_local, n_s, out=heads[:n_useful], casting="unsafe")
    del v_local
    capacities = np.ones(n_arcs, dtype=np.int64)
    capacities[n_useful + n_s:] = capacity[active_vacancies]
    # --- objective: minimise −weight
    costs = np.zeros(n_arcs, dtype=np.int64)
    np.negative(on_useful(weight), out=costs[:n_useful])

    solver = min_cost_flow.SimpleMinCostFlow()
    arcs = solver.add_arcs_with_capacity_and_unit_cost(tails, heads, capacities, costs)
    del tails, heads, capacities, costs
    # --- constraints: each seeker supplies one unit, the sink absorbs them all
    supplies = np.concatenate([np.ones(n_s, dtype=np.int64), np.zeros(n_v, dtype=np.int64), [-n_s]])
    solver.set_nodes_supplies(np.arange(sink + 1, dtype=np.int32), supplies)

    # --- solve and check every status
    status = solver.solve()
    if status != solver.OPTIMAL:
        detail = {
            solver.INFEASIBLE: "supplies cannot be routed (should not happen: every seeker has a bypass)",
            solver.UNBALANCED: "supplies do not balance",
            solver.BAD_RESULT: "the solver reported an inconsistent result",
            solver.BAD_COST_RANGE: "costs out of range (overflow risk)",
            solver.BAD_CAPACITY_RANGE: "capacities out of range",
            solver.NOT_SOLVED: "not solved",
            solver.FEASIBLE: "feasible but not proven optimal",
        }.get(status, "unknown status")
        raise AssignmentError(str(status).split(".")[-1], detail)

    # --- solution
    placed = np.flatnonzero(solver.flows(arcs[:n_useful]) > 0)
    chosen[placed if useful is None else useful[placed]] = True
    return chosen, -int(solver.optimal_cost()), "OPTIMAL"


def _compact(index: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Renumber the distinct values of *index* as 0…m−1, keeping their order; also the
    bool mask of the values present (``m`` is its count)."""
    present = np.bincount(index, minlength=size) > 0
    # int32 ids: node numbers are int32 for OR-Tools anyway, and half the memory of int64.
    new_id = np.cumsum(present, dtype=np.int32) - 1
    return new_id[index], present


def has_duplicate_pairs(seeker, vacancy, n_vacancies: int) -> bool:
    keys = np.sort(np.asarray(seeker, dtype=np.int64) * n_vacancies + vacancy)
    return bool(np.any(keys[1:] == keys[:-1]))


@dataclass(frozen=True, eq=False)
class AssignmentResult:
    """An assignment with its certificate and a per-seeker outcome.

    Attributes
    ----------
    seeker_index, vacancy_index : ndarray of shape (n_matched,)
    score : ndarray of shape (n_matched,)
        Scores of the chosen pairs (floats, before scaling).
    objective : float
        Sum of the chosen scores: expected successful placements under the scorer.
    outcome : ndarray of shape (n_seekers,), uint8
        :class:`Outcome` per seeker.
    certificate : dict
        ``status`` ('OPTIMAL'), ``method``, ``objective_scaled`` and ``rounding_gap_bound``.
    """

    seeker_index: np.ndarray
    vacancy_index: np.ndarray
    score: np.ndarray
    objective: float
    outcome: np.ndarray
    capacity: np.ndarray
    certificate: dict

    @property
    def n_matched(self) -> int:
        return len(self.seeker_index)

    @property
    def n_seekers(self) -> int:
        return len(self.outcome)

    def vacancy_of_seeker(self) -> np.ndarray:
        """Each seeker's vacancy, −1 when unmatched (the form stability checks take)."""
        vacancy = np.full(self.n_seekers, -1, dtype=np.int64)
        vacancy[self.seeker_index] = self.vacancy_index
        return vacancy

    def vacancy_fill(self) -> np.ndarray:
        return np.bincount(self.vacancy_index, minlength=len(self.capacity))

    def check_validity(self, graph: CandidateGraph | None = None) -> None:
        """Raise :class:`InvalidAssignmentError` unless every rule holds.

        Rules: a seeker is placed at most once; a vacancy gets at most its openings;
        outcomes agree with the placements; with *graph*: every placement is a candidate
        pair, and an unmatched seeker with candidates only has full vacancies left (else
        the assignment could not be optimal).
        """
        if np.any(np.bincount(self.seeker_index, minlength=self.n_seekers) > 1):
            raise InvalidAssignmentError("a seeker is placed more than once")
        over = np.flatnonzero(self.vacancy_fill() > self.capacity)
        if over.size:
            raise InvalidAssignmentError(f"vacancy {over[0]} has more placements than openings")
        matched = np.zeros(self.n_seekers, dtype=bool)
        matched[self.seeker_index] = True
        if not np.array_equal(matched, self.outcome == Outcome.MATCHED):
            raise InvalidAssignmentError("outcomes disagree with placements")
        if not np.isclose(self.score.sum(), self.objective, rtol=1e-6, atol=1e-6):
            raise InvalidAssignmentError("objective is not the sum of the chosen scores")
        if graph is None:
            return
        n_v = graph.n_vacancies
        pair_keys = graph.seeker.astype(np.int64) * n_v + graph.vacancy
        chosen_keys = self.seeker_index.astype(np.int64) * n_v + self.vacancy_index
        # Sorted search, not np.isin: NumPy 2's hashing isin is ~10× slower on millions of keys.
        sorted_keys = np.sort(pair_keys)
        position = np.minimum(np.searchsorted(sorted_keys, chosen_keys), max(len(sorted_keys) - 1, 0))
        if chosen_keys.size and (sorted_keys.size == 0 or not np.all(sorted_keys[position] == chosen_keys)):
            raise InvalidAssignmentError("a placement is not a candidate pair")
        full = self.vacancy_fill() >= self.capacity
        open_edge = ~matched[graph.seeker] & ~full[graph.vacancy] & (scale_scores(graph.score) > 0)
        if open_edge.any():
            raise InvalidAssignmentError("an unmatched seeker has a candidate vacancy with a free opening")


def solve_assignment(graph: CandidateGraph, capacity, consent=None) -> AssignmentResult:
    """Optimal direct assignment over a candidate graph.

    Parameters
    ----------
    graph : CandidateGraph
    capacity : array-like of shape (n_vacancies,)
        Openings per vacancy.
    consent : array-like of shape (n_seekers,), bool, optional
        Batch-matching consent, to tell "no consent" apart from "no candidates".
    """
    capacity = np.asarray(capacity, dtype=np.int64)
    if capacity.shape != (graph.n_vacancies,):
        raise ValueError(f"capacity must have shape ({graph.n_vacancies},), got {capacity.shape}")
    if np.any(capacity < 0):
        raise ValueError("capacity must not be negative")
    if has_duplicate_pairs(graph.seeker, graph.vacancy, graph.n_vacancies):
        raise ValueError("the candidate graph lists a (seeker, vacancy) pair twice")

    weight = scale_scores(graph.score)
    chosen, total_scaled, status = max_weight_assignment(graph.seeker, graph.vacancy, weight, capacity,
                                                         graph.n_seekers)
    seeker_index = graph.seeker[chosen]
    order = np.argsort(seeker_index, kind="stable")
    seeker_index = seeker_index[order]
    vacancy_index = graph.vacancy[chosen][order]
    score = graph.score[chosen][order].astype(np.float64)

    outcome = np.full(graph.n_seekers, Outcome.OUTCOMPETED, dtype=np.uint8)
    outcome[graph.candidates_per_seeker() == 0] = Outcome.NO_CANDIDATES
    if consent is not None:
        outcome[~np.asarray(consent, dtype=bool)] = Outcome.NO_CONSENT
    outcome[seeker_index] = Outcome.MATCHED
    bound_pairs = min(graph.n_seekers, int(capacity.sum()))
    certificate = {
        "status": status,
        "method": "OR-Tools SimpleMinCostFlow on an integral network (total unimodularity ⇒ optimal assignment)",
        "objective_scaled": total_scaled,
        "score_scale": SCORE_SCALE,
        "rounding_gap_bound": bound_pairs / SCORE_SCALE,
    }
    return AssignmentResult(seeker_index=seeker_index, vacancy_index=vacancy_index, score=score,
                            objective=float(score.sum()), outcome=outcome, capacity=capacity,
                            certificate=certificate)
