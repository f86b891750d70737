"""Compiled inner loops of pruned candidate generation (:mod:`matching.pruned`).

At national scale a block of 256 seekers reaches ~16,000 vacancies; a fifth of that
rectangle passes the knock-outs by type and a tenth is a feasible pair. In NumPy every
test was a pass over the whole rectangle with a temporary of its size (eleven passes,
about 3.3 ns per cell, a third of the batch). Compiled:

* :func:`feasible_pairs` counts each seeker's vacancies within travel in one vectorised
  pass, then visits only the vacancies of the types the seeker is eligible for;
* :func:`shortlist` cuts each seeker's shortlist without sorting the block;
* :func:`best_per_group` keeps each vacancy's running best candidates by a counting sort;
* :func:`type_table` combines the pre-screen's per-type terms, reading each value once.

The kernels release the GIL, so the block threads run them side by side. Numba compiles
them on first use (about 11 s here) and caches the machine code beside this file, or in
the user's cache when that is read-only. Only the national batch imports this module.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numba
import numpy as np


@dataclass(eq=False)
class FeasiblePairs:
    """A block's feasible pairs, grouped by seeker (``start[b]:start[b + 1]`` are seeker *b*'s)."""

    local: np.ndarray         # seeker's position in the block
    column: np.ndarray        # vacancy's position in the block's reach
    travel_ratio: np.ndarray  # road km over the seeker's own limit, for the pre-screen
    estimate: np.ndarray | None  # pre-screen log-odds, when a table was given
    within: np.ndarray        # per seeker: reached vacancies inside the travel limit
    start: np.ndarray


def feasible_pairs(seeker_units: np.ndarray, vacancy_units: np.ndarray, dot_limit: np.ndarray,
                   travel_scale: np.ndarray, eligible: np.ndarray, reach_type: np.ndarray,
                   table: np.ndarray | None = None, vacancy_part: np.ndarray | None = None,
                   travel_weight: float = 0.0) -> FeasiblePairs:
    """Pairs of a block's seekers × its reached vacancies that are within travel and eligible.

    Parameters
    ----------
    seeker_units : (n_block, 3) unit vectors of the seekers' homes
    vacancy_units : (n_reach, 3) unit vectors of the reached workplaces
    dot_limit : (n_block,) cosine of each seeker's travel limit: inside when the cosine is at least this
    travel_scale : (n_block,) float32, turns a chord into road km over the seeker's own limit
    eligible : (n_block, n_types) bool, every knock-out but travel
    reach_type : (n_reach,) type of each reached vacancy
    table, vacancy_part, travel_weight : optional
        With them each pair also gets the pre-screen's log-odds:
        ``table[seeker, type] + vacancy_part[vacancy] + travel_weight · travel_ratio`` (float32).
    """
    n_block = len(dot_limit)
    with_estimate = table is not None
    if not with_estimate:
        table = np.zeros((n_block, 1), dtype=np.float32)
        vacancy_part = np.zeros(len(reach_type), dtype=np.float32)
    units = np.ascontiguousarray(np.asarray(vacancy_units, dtype=np.float64).T)
    seekers = np.ascontiguousarray(seeker_units, dtype=np.float64)
    local, column, ratio, estimate, within, start = _feasible_pairs(
        seekers, units[0], units[1], units[2], np.ascontiguousarray(dot_limit, dtype=np.float64),
        np.ascontiguousarray(travel_scale, dtype=np.float32), np.ascontiguousarray(eligible, dtype=np.bool_),
        np.ascontiguousarray(reach_type, dtype=np.int64), np.ascontiguousarray(table, dtype=np.float32),
        np.ascontiguousarray(vacancy_part, dtype=np.float32), np.float32(travel_weight), with_estimate)
    return FeasiblePairs(local=local, column=column, travel_ratio=ratio,
                         estimate=estimate if with_estimate else None, within=within, start=start)


@numba.njit(nogil=True, cache=True)
def _feasible_pairs(seekers, vx, vy, vz, dot_limit, travel_scale, eligible, reach_type, table, vacancy_part,
                    travel_weight, with_estimate):
    n_block, n_reach, n_types = seekers.shape[0], vx.shape[0], eligible.shape[1]
    # The reach grouped by type (a counting sort): a seeker then visits only the vacancies
    # of the types it is eligible for, about a fifth of the reach, in runs without a test.
    type_start = np.zeros(n_types + 1, dtype=np.int64)
    for j in range(n_reach):
        type_start[reach_type[j] + 1] += 1
    for t in range(n_types):
        type_start[t + 1] += type_start[t]
    by_type = np.empty(n_reach, dtype=np.int64)
    fill = type_start[:-1].copy()
    for j in range(n_reach):
        t = reach_type[j]
        by_type[fill[t]] = j
        fill[t] += 1
    gx, gy, gz = vx[by_type], vy[by_type], vz[by_type]

    capacity = max(1024, n_block * 2048)
    column = np.empty(capacity, dtype=np.int64)
    cosine = np.empty(capacity, dtype=np.float64)
    within = np.zeros(n_block, dtype=np.int64)
    start = np.zeros(n_block + 1, dtype=np.int64)
    n = 0
    for b in range(n_block):
        sx, sy, sz, limit = seekers[b, 0], seekers[b, 1], seekers[b, 2], dot_limit[b]
        inside = 0
        for j in range(n_reach):  # every cell, for the travel knock-out count: vectorised
            inside += (vx[j] * sx + vy[j] * sy + vz[j] * sz) >= limit
        within[b] = inside
        if n + n_reach > capacity:
            capacity = max(2 * capacity, n + n_reach)
            column = _grown(column, capacity, n)
            cosine = _grown(cosine, capacity, n)
        mine = eligible[b]
        for t in range(n_types):
            if not mine[t]:
                continue
            for g in range(type_start[t], type_start[t + 1]):
                c = gx[g] * sx + gy[g] * sy + gz[g] * sz
                # Branch-free: every cell is written and only those inside advance.
                column[n] = by_type[g]
                cosine[n] = c
                n += c >= limit
        start[b + 1] = n
    local = np.empty(n, dtype=np.int64)
    ratio = np.empty(n, dtype=np.float32)
    estimate = np.empty(n if with_estimate else 0, dtype=np.float32)
    for b in range(n_block):
        scale = travel_scale[b]
        for i in range(start[b], start[b + 1]):
            local[i] = b
            r = np.float32(np.sqrt(max(cosine[i] * -2.0 + 2.0, 0.0))) * scale
            ratio[i] = r
            if with_estimate:
                j = column[i]
                estimate[i] = (table[b, reach_type[j]] + vacancy_part[j]) + travel_weight * r
    return local, column[:n].copy(), ratio, estimate, within, start


@numba.njit(nogil=True, cache=True)
def _grown(values, capacity, used):
    out = np.empty(capacity, dtype=values.dtype)
    out[:used] = values[:used]
    return out


def shortlist(start: np.ndarray, estimate: np.ndarray, top_k: int, margin: float | None, length: int) -> np.ndarray:
    """Positions of the shortlisted pairs, for pairs grouped by seeker (``start`` as in :class:`FeasiblePairs`).

    A seeker keeps the pairs whose estimate is at least its *top_k*-th best minus *margin*
    (with ``None`` all of them), and of those at most the best *length*; ties at that cut
    go to the earlier pair. Seekers with fewer than *top_k* pairs keep every one, up to *length*.
    """
    return _shortlist(np.ascontiguousarray(start, dtype=np.int64), np.ascontiguousarray(estimate, dtype=np.float32),
                      int(top_k), -1.0 if margin is None else float(margin), int(length))


@numba.njit(nogil=True, cache=True)
def _shortlist(start, estimate, top_k, margin, length):
    keep = np.empty(len(estimate), dtype=np.int64)
    best = np.empty(top_k, dtype=np.float64)
    n = 0
    for b in range(len(start) - 1):
        lo, hi = start[b], start[b + 1]
        count = hi - lo
        if count == 0:
            continue
        threshold = -np.inf
        if margin >= 0.0 and count >= top_k:
            threshold = _kth_largest(estimate[lo:hi], best) - margin
        passing = 0
        for i in range(lo, hi):
            passing += estimate[i] >= threshold
        if passing <= length:
            for i in range(lo, hi):
                keep[n] = i
                n += estimate[i] >= threshold
        else:
            # Best first, ties to the earlier pair (a stable sort of the negated estimates).
            order = np.argsort(-estimate[lo:hi], kind="mergesort")
            chosen = np.sort(order[:length])
            for i in chosen:
                keep[n] = lo + i
                n += 1
    return keep[:n].copy()


@numba.njit(nogil=True, cache=True)
def _kth_largest(values, best):
    """The len(best)-th largest of *values* (at least that many), by a sorted buffer of the best so far.

    Past the first few hundred values nearly every one falls below the buffer's smallest
    and costs one comparison; a selection over the whole array touches each several times.
    """
    k = len(best)
    for i in range(k):
        best[i] = values[i]
    best.sort()  # ascending: best[0] is the k-th largest so far
    for i in range(k, len(values)):
        v = values[i]
        if v > best[0]:
            at = 0
            while at + 1 < k and best[at + 1] < v:
                best[at] = best[at + 1]
                at += 1
            best[at] = v
    return best[0]


def best_per_group(group: np.ndarray, value: np.ndarray, limit: np.ndarray) -> np.ndarray:
    """Positions of each group's best ``limit[g]`` values, by group, best first; ties go to the earlier position.

    A counting sort by group and a small sort per group: linear in the entries, where one
    sort of the whole pool (millions of entries, the vacancies' running candidate lists)
    took seconds.
    """
    limit = np.ascontiguousarray(limit, dtype=np.int64)
    return _best_per_group(np.ascontiguousarray(group, dtype=np.int64),
                           np.ascontiguousarray(value, dtype=np.float32), limit)


@numba.njit(nogil=True, cache=True)
def _best_per_group(group, value, limit):
    n_groups = len(limit)
    group_start = np.zeros(n_groups + 1, dtype=np.int64)
    for g in group:
        group_start[g + 1] += 1
    for g in range(n_groups):
        group_start[g + 1] += group_start[g]
    by_group = np.empty(len(group), dtype=np.int64)
    fill = group_start[:-1].copy()
    for i in range(len(group)):
        by_group[fill[group[i]]] = i
        fill[group[i]] += 1
    out = np.empty(len(group), dtype=np.int64)
    n = 0
    for g in range(n_groups):
        lo, hi = group_start[g], group_start[g + 1]
        keep = min(limit[g], hi - lo)
        if keep <= 0:
            continue
        members = by_group[lo:hi]
        ranked = members[np.argsort(-value[members], kind="mergesort")]
        out[n:n + keep] = ranked[:keep]
        n += keep
    return out[:n].copy()


def type_table(skill_terms: tuple, skill_weight: np.ndarray, term_weights: np.ndarray, occupation_of_type: np.ndarray,
               other_terms: list, intercept: float) -> np.ndarray:
    """The pre-screen's log-odds per (seeker, type) from its terms, ``(n_block, n_types)`` float32.

    *skill_terms* are the per-skill probability of meeting, shortfall and surplus against
    each occupation's average, ``(n_block, n_occupations, K)`` each; *skill_weight* the
    occupation's importance shares ``(n_occupations, K)``; *other_terms* the five
    ``(n_block, n_types)`` type terms in :data:`matching.prescreen.TYPE_TERMS` order.
    In NumPy the weighting, the sum over skills, the spread over types and the five
    weighted additions were nine passes over block-sized temporaries; here each value is
    read once.
    """
    p_meet, shortfall, surplus = (np.ascontiguousarray(t, dtype=np.float32) for t in skill_terms)
    others = np.ascontiguousarray(np.stack(other_terms), dtype=np.float32)
    return _type_table(p_meet, shortfall, surplus, np.ascontiguousarray(skill_weight, dtype=np.float32),
                       np.ascontiguousarray(term_weights, dtype=np.float32),
                       np.ascontiguousarray(occupation_of_type, dtype=np.int64), others, np.float32(intercept))


@numba.njit(nogil=True, cache=True)
def _type_table(p_meet, shortfall, surplus, skill_weight, w, occupation_of_type, others, intercept):
    n_block, n_occupations, n_skills = p_meet.shape
    n_types, n_others = len(occupation_of_type), others.shape[0]
    out = np.empty((n_block, n_types), dtype=np.float32)
    fit = np.empty(n_occupations, dtype=np.float32)
    for b in range(n_block):
        for o in range(n_occupations):
            total = np.float32(0.0)
            for k in range(n_skills):
                combined = (p_meet[b, o, k] * w[0] + shortfall[b, o, k] * w[1]) + surplus[b, o, k] * w[2]
                total += combined * skill_weight[o, k]
            fit[o] = total
        for t in range(n_types):
            value = fit[occupation_of_type[t]] + intercept
            for j in range(n_others):
                value += w[3 + j] * others[j, b, t]
            out[b, t] = value
    return out


def warm_up() -> float:
    """Compile every kernel, or load it from the cache, on tiny inputs; returns the seconds it took.

    Benchmarks call this before their clocks start, so that a timed run measures the work
    and the one-off compile (about 11 s on a cold cache) is reported on its own.
    """
    started = time.perf_counter()
    units = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    eligible, reach_type = np.ones((3, 2), dtype=bool), np.array([0, 1, 0])
    feasible_pairs(units, units, np.zeros(3), np.ones(3, np.float32), eligible, reach_type)
    pairs = feasible_pairs(units, units, np.zeros(3), np.ones(3, np.float32), eligible, reach_type,
                           np.zeros((3, 2), np.float32), np.zeros(3, np.float32), -1.0)
    shortlist(pairs.start, pairs.estimate, 1, 0.1, 2)
    best_per_group(pairs.local, pairs.estimate, np.ones(3, dtype=np.int64))
    terms = np.zeros((3, 2, 4), np.float32)
    type_table((terms, terms, terms), np.ones((2, 4), np.float32), np.ones(8, np.float32), np.array([0, 1]),
               [np.zeros((3, 2), np.float32)] * 5, 0.0)
    return time.perf_counter() - started
