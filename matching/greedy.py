"""Global greedy assignment of seekers to vacancy openings, vectorised by rounds.

The classic greedy walks the edges by descending score — ties go to the lower seeker
index, then to the lower vacancy index, then to the edge listed first — and takes an
edge when its seeker is still free and its vacancy still has a free opening. It is the
natural baseline for the optimal assignment: fast, simple, and for this b-matching
(each seeker one edge, each vacancy up to its capacity) it reaches at least half of the
optimum total score.

Walking twenty million edges one by one in Python is far too slow, so the same result
is reached in rounds. Call an edge *remaining* while its seeker is free and its vacancy
has a free opening. A remaining edge is *locally dominant* when it is

* its seeker's best remaining edge, and
* among the ``r`` best remaining edges of its vacancy, ``r`` being the vacancy's free
  openings.

Every locally dominant edge is taken by the sequential greedy as well: nothing before it
in the walk can take its seeker (it is the seeker's best edge), and fewer than ``r``
edges before it can take its vacancy. Taking it first changes no other decision — the
seeker's other edges would have been refused anyway, and the vacancy keeps exactly the
slack the walk would have left it. Several dominant edges can be taken at once: they
belong to different seekers, and at one vacancy they are all within its free openings.
The best remaining edge overall is always dominant, so every round takes at least one
edge. Chains of displacement can need many rounds in contrived cases, but on a random
instance of a million seekers and twenty million edges seven rounds take everything.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

_INT64_LIMIT = 2**63 - 1


@dataclass(frozen=True, eq=False)
class GreedyResult:
    """A greedy assignment and how many vectorised rounds it took.

    Attributes
    ----------
    chosen : ndarray of shape (n_edges,), bool
        The edges the sequential greedy takes.
    rounds : int
        Rounds of locally dominant edges needed (0 when nothing can be taken).
    """

    chosen: np.ndarray
    rounds: int


def greedy_assignment(seeker, vacancy, score, capacity, n_seekers: int) -> np.ndarray:
    """Edges taken by the global greedy (best score first) under the assignment rules.

    Parameters
    ----------
    seeker, vacancy : array-like of shape (n_edges,), int
        Edge endpoints, indices into ``range(n_seekers)`` and ``range(len(capacity))``.
    score : array-like of shape (n_edges,)
        Edge scores (floats or integers, finite). Every edge is eligible whatever its
        sign, exactly as in the sequential definition.
    capacity : array-like of shape (n_vacancies,), int
        Openings per vacancy (≥ 0).
    n_seekers : int

    Returns
    -------
    ndarray of shape (n_edges,), bool
        Equal to the sequential greedy: edges by descending score, ties to the lower
        seeker, then the lower vacancy, then the earlier edge; an edge is taken when its
        seeker is free and its vacancy has a free opening.
    """
    return run_greedy(seeker, vacancy, score, capacity, n_seekers).chosen


def run_greedy(seeker, vacancy, score, capacity, n_seekers: int) -> GreedyResult:
    """:func:`greedy_assignment`, also reporting the number of rounds it needed."""
    seeker, vacancy, score, capacity, n_seekers = _validated(seeker, vacancy, score, capacity, n_seekers)
    n_vacancies = len(capacity)
    chosen = np.zeros(len(seeker), dtype=bool)
    if len(seeker) == 0:
        return GreedyResult(chosen, 0)

    descending, n_levels = _descending_levels(score, n_vacancies, n_seekers)
    s, v, rank = _remaining_edges_by_vacancy(seeker, vacancy, descending, n_levels, capacity, n_seekers)
    free = np.ones(n_seekers, dtype=bool)
    openings_left = capacity.copy()
    taken_rank = np.full(n_seekers, -1, dtype=np.int64)
    best = np.empty(n_seekers, dtype=np.int64)
    rounds = 0
    while len(s):
        rounds += 1
        take = _locally_dominant(s, v, rank, openings_left, best)
        taken_rank[s[take]] = rank[take]
        free[s[take]] = False
        openings_left -= np.bincount(v[take], minlength=n_vacancies)
        remaining = free[s] & (openings_left[v] > 0)
        s, v, rank = s[remaining], v[remaining], rank[remaining]
    chosen = _first_edge_of_each_taken_pair(seeker, descending * n_vacancies + vacancy, taken_rank)
    return GreedyResult(chosen, rounds)


def _locally_dominant(s, v, rank, openings_left, best) -> np.ndarray:
    """Mask of the remaining edges that are their seeker's best and within their vacancy's free openings.

    The edges arrive grouped by vacancy, best first inside each group, so an edge's
    position inside its group is its rank at the vacancy.
    """
    best[s] = _INT64_LIMIT
    np.minimum.at(best, s, rank)
    candidate = np.flatnonzero(rank == best[s])
    per_vacancy = np.bincount(v, minlength=len(openings_left))
    group_start = np.cumsum(per_vacancy) - per_vacancy
    within_openings = candidate - group_start[v[candidate]] < openings_left[v[candidate]]
    take = np.zeros(len(s), dtype=bool)
    take[candidate[within_openings]] = True
    return take


def _remaining_edges_by_vacancy(seeker, vacancy, descending, n_levels, capacity, n_seekers):
    """Seeker, vacancy and seeker-rank of the edges the greedy may take, grouped by vacancy in greedy order.

    Inside a vacancy the greedy's order is (score descending, seeker). The three numbers fit
    in one int64 key, and sorting keys (not arg-sorting them) is several times faster in
    NumPy; edges are identified again by (seeker, vacancy, score) when the rounds are over.
    A repeat of an edge — same seeker, vacancy and score — gets an identical key and is
    dropped: it comes straight after its first copy in the walk, which either takes the
    seeker or finds the seeker or the vacancy gone, so the repeat is never taken.
    Vacancies without openings are dropped too.
    """
    n_seekers = max(n_seekers, 1)
    open_edge = capacity[vacancy] > 0
    if len(capacity) * n_levels * n_seekers <= _INT64_LIMIT:
        key = (vacancy[open_edge] * n_levels + descending[open_edge]) * n_seekers + seeker[open_edge]
        key.sort()
        first_copy = np.ones(len(key), dtype=bool)
        np.not_equal(key[1:], key[:-1], out=first_copy[1:])
        key = key[first_copy]
        s, rest = np.divmod(key, n_seekers)[::-1]
        v, d = np.divmod(rest, n_levels)
    else:
        # Too many score levels to pack: sort the three columns instead (slower, same order).
        edge = np.flatnonzero(open_edge)
        edge = edge[np.lexsort((seeker[edge], descending[edge], vacancy[edge]))]
        s, v, d = seeker[edge], vacancy[edge], descending[edge]
        first_copy = np.ones(len(edge), dtype=bool)
        first_copy[1:] = (s[1:] != s[:-1]) | (v[1:] != v[:-1]) | (d[1:] != d[:-1])
        s, v, d = s[first_copy], v[first_copy], d[first_copy]
    index_type = np.int32 if max(n_seekers, len(capacity)) < 2**31 else np.int64
    # One integer orders a seeker's edges: score first, then the lower vacancy.
    return s.astype(index_type), v.astype(index_type), d * len(capacity) + v


def _first_edge_of_each_taken_pair(seeker, seeker_rank, taken_rank) -> np.ndarray:
    """Edge mask from each matched seeker's taken (score, vacancy); the earliest copy when an edge repeats."""
    chosen = taken_rank[seeker] == seeker_rank
    n_taken = int(np.count_nonzero(taken_rank >= 0))
    if np.count_nonzero(chosen) > n_taken:
        edge = np.flatnonzero(chosen)
        _, first = np.unique(seeker[edge], return_index=True)
        chosen[:] = False
        chosen[edge[first]] = True
    return chosen


def _descending_levels(score: np.ndarray, n_vacancies: int, n_seekers: int) -> tuple[np.ndarray, int]:
    """Non-negative integers that order the scores descending (0 = best), and how many levels they span.

    Floats are mapped to integers by their bit patterns, which keeps their order without
    a sort. When that span is too wide to be packed with a vacancy and a seeker index into
    one int64, the scores are replaced by their dense ranks.
    """
    ordered = _order_preserving_integers(score)
    low, high = int(ordered.min()), int(ordered.max())
    n_levels = high - low + 1
    if n_levels * max(n_vacancies, 1) * max(n_seekers, 1) > _INT64_LIMIT:
        ordered, n_levels = _dense_rank(ordered, low, n_levels)
        high = n_levels - 1
    return (high - ordered).astype(np.int64), n_levels


def _order_preserving_integers(score: np.ndarray) -> np.ndarray:
    """int64 values in the same order as *score* (equal scores, including ±0.0, give equal values)."""
    if score.dtype.kind in "iub":
        return score.astype(np.int64)
    if score.dtype.itemsize <= 4:
        bits = score.astype(np.float32).view(np.int32).astype(np.int64)
        magnitude = np.int64(0x7FFFFFFF)
    else:
        bits = score.astype(np.float64).view(np.int64)
        magnitude = np.int64(0x7FFFFFFFFFFFFFFF)
    # IEEE floats order like their bit patterns when positive and in reverse when negative.
    return np.where(bits < 0, -(bits & magnitude), bits)


def _dense_rank(values: np.ndarray, low: int, span: int) -> tuple[np.ndarray, int]:
    """0-based rank of each value among the distinct values, and how many distinct values there are."""
    n = len(values)
    if span * n <= _INT64_LIMIT:
        # Pack (value, position) so a plain sort — much faster than argsort — does the work.
        packed = (values - low) * n + np.arange(n)
        packed.sort()
        sorted_values, order = np.divmod(packed, n)
    else:
        order = np.argsort(values)
        sorted_values = values[order]
    is_new = np.empty(n, dtype=bool)
    is_new[0] = True
    np.not_equal(sorted_values[1:], sorted_values[:-1], out=is_new[1:])
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.cumsum(is_new) - 1
    return rank, int(rank.max()) + 1


def _validated(seeker, vacancy, score, capacity, n_seekers):
    seeker = _integer_vector("seeker", seeker)
    vacancy = _integer_vector("vacancy", vacancy)
    capacity = _integer_vector("capacity", capacity)
    score = np.asarray(score)
    if score.ndim != 1:
        raise ValueError(f"score: must be one-dimensional, got shape {score.shape}")
    if score.dtype.kind not in "iubf":
        raise ValueError(f"score: must be numeric, got dtype {score.dtype}")
    if isinstance(n_seekers, bool) or not isinstance(n_seekers, (int, np.integer)) or n_seekers < 0:
        raise ValueError(f"n_seekers: must be a non-negative integer, got {n_seekers!r}")
    n_seekers = int(n_seekers)
    for name, values in (("vacancy", vacancy), ("score", score)):
        if len(values) != len(seeker):
            raise ValueError(f"{name}: must have one entry per edge ({len(seeker)}), got {len(values)}")
    if score.dtype.kind == "u" and score.size and int(score.max()) > _INT64_LIMIT:
        raise ValueError(f"score: must fit in int64, got {int(score.max())}")
    if score.dtype.kind == "f" and not np.all(np.isfinite(score)):
        bad = int(np.flatnonzero(~np.isfinite(score))[0])
        raise ValueError(f"score: must be finite, got {score[bad]} at edge {bad}")
    _check_range("seeker", seeker, n_seekers, "n_seekers")
    _check_range("vacancy", vacancy, len(capacity), "len(capacity)")
    if np.any(capacity < 0):
        bad = int(np.flatnonzero(capacity < 0)[0])
        raise ValueError(f"capacity: must not be negative, got {capacity[bad]} at vacancy {bad}")
    return seeker, vacancy, score, capacity.astype(np.int64), n_seekers


def _integer_vector(name: str, values) -> np.ndarray:
    values = np.asarray(values)
    if values.ndim != 1:
        raise ValueError(f"{name}: must be one-dimensional, got shape {values.shape}")
    if values.size and values.dtype.kind not in "iu":
        raise ValueError(f"{name}: must hold integers, got dtype {values.dtype}")
    return values.astype(np.int64, copy=False)


def _check_range(name: str, index: np.ndarray, size: int, size_name: str) -> None:
    outside = (index < 0) | (index >= size)
    if outside.any():
        bad = int(np.flatnonzero(outside)[0])
        raise ValueError(f"{name}: must lie in [0, {size_name}={size}), got {index[bad]} at edge {bad}")
