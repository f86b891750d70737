"""The assignment step and its peers, each timed on the same prepared arrays.

Every peer takes ``(seeker, vacancy, weight, capacity, n_seekers)`` — edge endpoints,
integer edge weights (scores scaled by :func:`matching.assignment.scale_scores`), openings
per vacancy and the number of seekers — and returns ``{"seconds", "objective",
"matched"}``: wall-clock seconds of the timed part, the total weight of the chosen edges
and how many seekers were placed. Only the solve itself is timed; checking the result and
counting the placements happen after the clock stops.

Peers:

``raw_ortools``
    The bare OR-Tools min-cost flow on the same network as ours, built in bulk from the
    arrays with every seeker and vacancy as a node (no compaction, no checks). The time
    covers adding the arcs, setting the supplies and solving: the floor for our step.
``ours``
    :func:`matching.assignment.max_weight_assignment`, everything included.
``scipy_matching``
    SciPy's sparse LAPJV (``min_weight_full_bipartite_matching``) through
    :func:`benchmarks.bench_assignment.scipy_peer_optimum`. That helper returns the optimum
    only, so ``matched`` is ``None``.
``greedy``
    :func:`matching.greedy.greedy_assignment` on the weights: fast, at least half the
    optimum.

All peers stay on NumPy arrays, so memory grows with a few arrays per edge, never with
Python objects per edge.
"""

from __future__ import annotations

import time
from typing import NamedTuple

import numpy as np
from ortools.graph.python import min_cost_flow

from benchmarks.bench_assignment import scipy_peer_optimum
from matching.assignment import AssignmentError, max_weight_assignment, scale_scores
from matching.greedy import greedy_assignment


class Instance(NamedTuple):
    """Prepared arrays of one assignment problem, in the order every peer takes them."""

    seeker: np.ndarray
    vacancy: np.ndarray
    weight: np.ndarray
    capacity: np.ndarray
    n_seekers: int


def random_instance(n_seekers: int, n_vacancies: int, edges_per_seeker: int, seed: int = 0,
                    mean_extra_openings: float = 1.5) -> Instance:
    """A uniform random instance: each seeker scores ``edges_per_seeker`` distinct vacancies.

    Scores are uniform in [0, 1) (float32, then scaled to integer weights); each vacancy
    has ``1 + Poisson(mean_extra_openings)`` openings. Edges are sorted by seeker.
    """
    if n_seekers < 0:
        raise ValueError(f"n_seekers: must not be negative, got {n_seekers}")
    if n_vacancies < 1:
        raise ValueError(f"n_vacancies: must be at least 1, got {n_vacancies}")
    if not 0 <= edges_per_seeker <= n_vacancies:
        raise ValueError(f"edges_per_seeker: must lie in [0, n_vacancies={n_vacancies}], got {edges_per_seeker}")
    rng = np.random.default_rng(seed)
    vacancy = _distinct_vacancies_per_seeker(rng, n_seekers, n_vacancies, edges_per_seeker)
    seeker = np.repeat(np.arange(n_seekers, dtype=np.int32), edges_per_seeker)
    weight = scale_scores(rng.random(vacancy.size, dtype=np.float32))
    capacity = 1 + rng.poisson(mean_extra_openings, n_vacancies).astype(np.int64)
    return Instance(seeker, vacancy.ravel(), weight, capacity, n_seekers)


def _distinct_vacancies_per_seeker(rng, n_seekers, n_vacancies, per_seeker) -> np.ndarray:
    """An (n_seekers, per_seeker) int32 table whose rows hold distinct vacancies."""
    table = rng.integers(0, n_vacancies, size=(n_seekers, per_seeker), dtype=np.int32)
    while True:
        table.sort(axis=1)
        repeat = table[:, 1:] == table[:, :-1]
        n_repeats = int(np.count_nonzero(repeat))
        if n_repeats == 0:
            return table
        # Redraw only the repeats; with per_seeker ≪ n_vacancies a few passes suffice.
        table[:, 1:][repeat] = rng.integers(0, n_vacancies, size=n_repeats, dtype=np.int32)


def raw_ortools(seeker, vacancy, weight, capacity, n_seekers: int) -> dict:
    """The bare OR-Tools min-cost flow on the arrays as given: the floor for our step."""
    seeker, vacancy, weight, capacity = _as_arrays(seeker, vacancy, weight, capacity)
    n_edges, n_vacancies = len(seeker), len(capacity)
    sink = n_seekers + n_vacancies
    # Placement arcs, then a bypass per seeker, then each vacancy's openings to the sink.
    tails = np.concatenate([seeker, np.arange(n_seekers), n_seekers + np.arange(n_vacancies)]).astype(np.int32)
    heads = np.concatenate([n_seekers + vacancy, np.full(n_seekers + n_vacancies, sink)]).astype(np.int32)
    capacities = np.concatenate([np.ones(n_edges + n_seekers, dtype=np.int64), capacity])
    costs = np.concatenate([-weight, np.zeros(n_seekers + n_vacancies, dtype=np.int64)])
    nodes = np.arange(sink + 1, dtype=np.int32)
    supplies = np.concatenate([np.ones(n_seekers, dtype=np.int64), np.zeros(n_vacancies, dtype=np.int64),
                               [-n_seekers]])

    start = time.perf_counter()
    solver = min_cost_flow.SimpleMinCostFlow()
    arcs = solver.add_arcs_with_capacity_and_unit_cost(tails, heads, capacities, costs)
    solver.set_nodes_supplies(nodes, supplies)
    status = solver.solve()
    seconds = time.perf_counter() - start

    if status != solver.OPTIMAL:
        raise AssignmentError(str(status).split(".")[-1], "the bare min-cost flow did not reach an optimum")
    flows = solver.flows(arcs[:n_edges])
    return _outcome(seconds, -int(solver.optimal_cost()), int(np.count_nonzero(flows)))


def ours(seeker, vacancy, weight, capacity, n_seekers: int) -> dict:
    """Our assignment step, :func:`matching.assignment.max_weight_assignment`, timed whole."""
    seeker, vacancy, weight, capacity = _as_arrays(seeker, vacancy, weight, capacity)
    start = time.perf_counter()
    chosen, total, _ = max_weight_assignment(seeker, vacancy, weight, capacity, n_seekers)
    seconds = time.perf_counter() - start
    return _outcome(seconds, total, int(np.count_nonzero(chosen)))


def scipy_matching(seeker, vacancy, weight, capacity, n_seekers: int) -> dict:
    """SciPy's sparse LAPJV on the per-opening expansion (``matched`` is ``None``: only the optimum is returned)."""
    seeker, vacancy, weight, capacity = _as_arrays(seeker, vacancy, weight, capacity)
    start = time.perf_counter()
    total = scipy_peer_optimum(seeker, vacancy, weight, capacity, n_seekers)
    seconds = time.perf_counter() - start
    return _outcome(seconds, total, None)


def greedy(seeker, vacancy, weight, capacity, n_seekers: int) -> dict:
    """The global greedy, :func:`matching.greedy.greedy_assignment`, on the integer weights."""
    seeker, vacancy, weight, capacity = _as_arrays(seeker, vacancy, weight, capacity)
    start = time.perf_counter()
    chosen = greedy_assignment(seeker, vacancy, weight, capacity, n_seekers)
    seconds = time.perf_counter() - start
    return _outcome(seconds, int(weight[chosen].sum()), int(np.count_nonzero(chosen)))


PEERS = {"raw_ortools": raw_ortools, "ours": ours, "scipy_matching": scipy_matching, "greedy": greedy}


def _as_arrays(seeker, vacancy, weight, capacity):
    return (np.asarray(seeker), np.asarray(vacancy), np.asarray(weight, dtype=np.int64),
            np.asarray(capacity, dtype=np.int64))


def _outcome(seconds: float, objective: int, matched: int | None) -> dict:
    return {"seconds": seconds, "objective": int(objective), "matched": matched}
