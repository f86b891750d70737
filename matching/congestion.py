"""Congestion-aware rankings: entropic optimal transport over the candidate graph.

Why
---
A list sorted by relevance alone sends every seeker to the same few attractive
vacancies. A vacancy with one opening that tops a thousand lists wastes the attention
of 999 people, who would have done better to look at a nearly-as-good vacancy that
nobody is shown. We therefore re-rank each seeker's list so that attention is spread
roughly in proportion to openings, and we let one knob, ``strength`` in [0, 1], decide
how much relevance may be traded for that.

Model
-----
Attention is a transport problem on the candidate edges.

* **Supply.** Every seeker with at least one candidate has one unit of attention
  (``a_i = 1``); seekers without candidates take no part.
* **Demand.** Vacancy *j* should receive ``b_j = A · o_j / Σ o``, its share of openings
  times the total attention ``A = Σ a_i``. The sum runs over the vacancies that have at
  least one candidate: a vacancy nobody can reach cannot absorb attention, and counting
  its openings would make the targets unreachable by construction. A vacancy with no
  openings gets the weight ``ZERO_OPENINGS_WEIGHT`` instead of 0 (a millionth of one
  opening): it keeps a finite logarithm, and its target is so small that it sinks in
  every list it is in.
* **Kernel.** On edges only, ``K_e = exp((score_e − max score of the seeker) / ε)``.
  Subtracting each seeker's best score changes nothing in the plan (it is absorbed by
  the seeker's scaling) but keeps the kernel in (0, 1], so nothing overflows.
* **Unbalanced Sinkhorn.** The plan is ``π_e = u_i · K_e · v_j``. The row update is
  exact, ``log u_i = −logsumexp_j(log K_ij + log v_j)``, so each seeker's shares sum to
  one. The column update is relaxed,
  ``log v_j = strength · (log b_j − logsumexp_i(log u_i + log K_ij))``. This is the
  scaling algorithm for minimising
  ``−⟨score, π⟩ + ε·KL(π | K) + ρ·KL(π column sums | b)`` with exact row sums and
  ``ρ = ε · strength / (1 − strength)``: ``strength = 0`` means ρ = 0, congestion costs
  nothing, ``v = 1`` and every list is unchanged; ``strength = 1`` means ρ = ∞, the
  balanced problem whose column sums meet the targets wherever the graph allows it.
* **Translation.** The plan does not change when ``log v`` moves by a constant on one
  connected part of the graph (the seekers' ``log u`` absorb it), yet plain iterations
  close such a gap only by a factor ``strength`` per round, which is slow near 1. After
  each column update the constant of every part is set to its exact optimum (the
  translation-invariant Sinkhorn of Séjourné et al., 2022), which has a closed form:
  ``λ = (1/κ) · (logsumexp_j(log b_j − κ log v_j) − log A_part)`` with
  ``κ = (1 − strength) / strength``; in the balanced limit this tends to fixing the
  b-weighted mean of ``log v`` at zero. This also makes the balanced problem converge
  when a part's openings and seekers differ in total: its targets are then met up to one
  common factor, the best that exact row sums allow.

Outputs are in score units. ``adjusted = score + ε·log v_j`` orders each seeker's list
exactly as the plan does, since ``π_e = u_i · exp((adjusted_e − max score) / ε)``;
``vacancy_price = −ε·log v_j`` is how many points of probability a vacancy is pushed
down (negative: pulled up, because it is under-exposed).

Choice of ε
-----------
Two vacancies whose scores differ by Δ get kernel weights in the ratio ``exp(Δ/ε)``.
With the default ε = 0.05 a gap of 0.05 is a factor e ≈ 2.7 and a gap of 0.02 still
a factor 1.5, so a few points of probability keep ordering the list and the transport
has to pay for every point it gives away. Much smaller ε makes the plan nearly a hard
assignment (and Sinkhorn slow); much larger ε makes it nearly uniform, so relevance
would be washed out by congestion.

Limits
------
At ``strength = 1`` the balanced problem can be infeasible on a sparse graph, e.g. two
seekers whose only candidate is the same vacancy with one opening. Prices of such
vacancies then keep falling and ``converged`` is False; the lists of everybody else are
still the balanced ones. Any ``strength < 1`` converges (the update is a contraction
with factor ``strength``), but on such nearly infeasible graphs the number of rounds
grows like ``1 / (1 − strength)``; on well-connected graphs the translation keeps it
small (a few dozen rounds for a million edges).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

DEFAULT_EPSILON = 0.05
# Weight of a vacancy without openings, in openings: finite logarithm, negligible target.
ZERO_OPENINGS_WEIGHT = 1e-6
# Below this κ the translation's closed form loses digits to cancellation; its limit
# (the b-weighted mean) is then exact to well within any tolerance.
_BALANCED_KAPPA = 1e-6


@dataclass(frozen=True, eq=False)
class CongestionResult:
    """Congestion-aware scores for every candidate edge.

    Attributes
    ----------
    adjusted : ndarray of shape (n_pairs,), float64
        ``score + ε·log v_j``; sorting a seeker's edges by it gives the re-ranked list.
    plan : ndarray of shape (n_pairs,), float64
        The seeker's share of attention on each edge; sums to 1 per seeker with edges.
    vacancy_price : ndarray of shape (n_vacancies,), float64
        ``−ε·log v_j``: points of probability by which a congested vacancy is pushed
        down (negative when it is pulled up). 0 for vacancies without candidates.
    iterations : int
        Sinkhorn rounds performed.
    converged : bool
        Whether the largest change of ``log v`` fell below the tolerance.
    strength, epsilon : float
        The settings used.
    """

    adjusted: np.ndarray
    plan: np.ndarray
    vacancy_price: np.ndarray
    iterations: int
    converged: bool
    strength: float
    epsilon: float


def congestion_aware_scores(seeker, vacancy, score, openings, *, n_seekers: int | None = None,
                            n_vacancies: int | None = None, strength: float = 0.5,
                            epsilon: float = DEFAULT_EPSILON, max_iter: int = 500,
                            tol: float = 1e-4) -> CongestionResult:
    """Re-score candidate edges so that attention follows openings (see the module notes).

    Parameters
    ----------
    seeker, vacancy : array_like of int, shape (n_pairs,)
        The edges of the candidate graph; each pair at most once.
    score : array_like of float, shape (n_pairs,)
        The model's relevance, P(placement lasts).
    openings : array_like, shape (n_vacancies,)
        Openings per vacancy, ≥ 0.
    n_seekers : int, optional
        Number of seekers; defaults to one more than the largest index.
    n_vacancies : int, optional
        Number of vacancies; must equal ``len(openings)`` when given.
    strength : float
        0 keeps the relevance order, 1 meets the opening targets as far as the graph
        allows; values in between trade the two (marginal penalty ``ε·s/(1 − s)``).
    epsilon : float
        Entropic temperature on the score scale (default 0.05, see the module notes).
    max_iter : int
        Upper bound on Sinkhorn rounds.
    tol : float
        Stop once no ``log v_j`` moves by more than this in a round.

    Returns
    -------
    CongestionResult
        Arrays over the edges in the order they were given.
    """
    seeker, vacancy, score, openings = _validated_graph(seeker, vacancy, score, openings, n_seekers, n_vacancies)
    _validate_settings(strength, epsilon, max_iter, tol)
    strength, epsilon = float(strength), float(epsilon)
    n_pairs = len(seeker)
    if n_pairs == 0:
        return CongestionResult(adjusted=np.empty(0), plan=np.empty(0), vacancy_price=np.zeros(len(openings)),
                                iterations=0, converged=True, strength=strength, epsilon=epsilon)
    edges = _EdgeLayout.of(seeker, vacancy, len(openings))
    log_kernel = _log_kernel(edges, score[edges.row_order], epsilon)
    log_target = _log_targets(edges, openings)
    if strength == 0.0:
        log_v, iterations, converged = np.zeros(edges.n_cols), 0, True
    else:
        log_v, iterations, converged = _sinkhorn(edges, log_kernel, log_target, strength, max_iter, tol)
    log_u = -_logsumexp_runs(log_kernel + log_v[edges.col], edges.row_starts, edges.row_lengths)
    in_row_order = np.empty(n_pairs, dtype=np.intp)
    in_row_order[edges.row_order] = np.arange(n_pairs)  # position of each input edge in row order
    edge_log_v = log_v[edges.col][in_row_order]
    plan = np.exp(log_u[edges.row] + log_kernel + log_v[edges.col])[in_row_order]
    price = np.zeros(len(openings))
    price[edges.col_ids] = -epsilon * log_v + 0.0  # + 0.0: no −0.0 at strength 0
    return CongestionResult(adjusted=score + epsilon * edge_log_v, plan=plan, vacancy_price=price,
                            iterations=iterations, converged=converged, strength=strength, epsilon=epsilon)


def rerank(seeker, vacancy, score, openings, *, k: int = 10, strength: float = 0.5, **kw) -> pd.DataFrame:
    """Each seeker's *k* best vacancies after congestion-aware re-ranking.

    Parameters
    ----------
    seeker, vacancy, score, openings
        As in :func:`congestion_aware_scores`.
    k : int
        List length per seeker.
    strength : float
        See :func:`congestion_aware_scores`.
    **kw
        Passed on to :func:`congestion_aware_scores` (``epsilon``, ``max_iter``, …).

    Returns
    -------
    DataFrame
        ``seeker``, ``vacancy``, ``rank`` (1 = best), ``score`` (the original relevance,
        so the list still shows the model's honest probability) and ``adjusted``, sorted
        by seeker then rank. Ties in ``adjusted`` go to the higher score, then the lower
        vacancy index, so the lists do not depend on the order of the edges.
    """
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"k: must be an integer of at least 1, got {k!r}")
    result = congestion_aware_scores(seeker, vacancy, score, openings, strength=strength, **kw)
    seeker, vacancy, score = np.asarray(seeker), np.asarray(vacancy), np.asarray(score)
    order = np.lexsort((vacancy, -score.astype(np.float64), -result.adjusted, seeker))
    sorted_seeker = seeker[order]
    rank = np.arange(len(order)) - np.searchsorted(sorted_seeker, sorted_seeker, side="left")
    keep = order[rank < k]
    return pd.DataFrame({
        "seeker": seeker[keep], "vacancy": vacancy[keep], "rank": (rank[rank < k] + 1).astype(np.int32),
        "score": score[keep], "adjusted": result.adjusted[keep],
    })


@dataclass(frozen=True, eq=False)
class _EdgeLayout:
    """The edges sorted by (seeker, vacancy), with runs per seeker and per vacancy.

    Seekers and vacancies with edges get compact indices (``row``, ``col``); the
    canonical order makes every sum independent of the order the edges came in.
    """

    row_order: np.ndarray     # input position of each edge in (seeker, vacancy) order
    row: np.ndarray           # compact seeker index per edge, row order
    col: np.ndarray           # compact vacancy index per edge, row order
    row_starts: np.ndarray
    row_lengths: np.ndarray
    col_order: np.ndarray     # row-order positions sorted by (vacancy, seeker)
    col_starts: np.ndarray
    col_lengths: np.ndarray
    col_ids: np.ndarray       # vacancy index of each compact column
    n_rows: int
    n_cols: int

    @classmethod
    def of(cls, seeker, vacancy, n_vacancies: int) -> _EdgeLayout:
        key = seeker.astype(np.int64) * max(n_vacancies, 1) + vacancy
        row_order = np.argsort(key, kind="stable")
        sorted_key = key[row_order]
        repeated = np.flatnonzero(sorted_key[1:] == sorted_key[:-1])
        if len(repeated):
            e = row_order[repeated[0]]
            raise ValueError(f"vacancy: seeker {seeker[e]} has vacancy {vacancy[e]} more than once")
        s, v = seeker[row_order], vacancy[row_order]
        row_starts, row_lengths, _ = _runs(s)
        # Stable on vacancy alone: equal vacancies stay in seeker order.
        col_order = np.argsort(v, kind="stable")
        col_starts, col_lengths, col_ids = _runs(v[col_order])
        col = np.empty(len(v), dtype=np.intp)
        col[col_order] = np.repeat(np.arange(len(col_ids)), col_lengths)
        row = np.repeat(np.arange(len(row_starts)), row_lengths)
        return cls(row_order=row_order, row=row, col=col, row_starts=row_starts, row_lengths=row_lengths,
                   col_order=col_order, col_starts=col_starts, col_lengths=col_lengths, col_ids=col_ids,
                   n_rows=len(row_starts), n_cols=len(col_ids))


def _runs(sorted_group):
    """(starts, lengths, group id) of the runs of equal values in a sorted array."""
    n = len(sorted_group)
    starts = np.flatnonzero(np.r_[True, sorted_group[1:] != sorted_group[:-1]]) if n else np.empty(0, np.intp)
    lengths = np.diff(np.r_[starts, n])
    return starts, lengths, sorted_group[starts]


def _logsumexp_runs(values, starts, lengths) -> np.ndarray:
    """log Σ exp(values) over each run; runs are contiguous and non-empty."""
    peak = np.maximum.reduceat(values, starts)
    total = np.add.reduceat(np.exp(values - np.repeat(peak, lengths)), starts)
    return peak + np.log(total)


def _log_kernel(edges: _EdgeLayout, score, epsilon: float) -> np.ndarray:
    """(score − the seeker's best score) / ε per edge, in row order; at most 0."""
    score = score.astype(np.float64)
    best = np.maximum.reduceat(score, edges.row_starts)
    return (score - np.repeat(best, edges.row_lengths)) / epsilon


def _log_targets(edges: _EdgeLayout, openings) -> np.ndarray:
    """log b per compact column: the seekers' total attention split by openings."""
    weight = np.asarray(openings, dtype=np.float64)[edges.col_ids]
    weight = np.where(weight > 0, weight, ZERO_OPENINGS_WEIGHT)
    return np.log(edges.n_rows) + np.log(weight) - np.log(weight.sum())


def _sinkhorn(edges: _EdgeLayout, log_kernel, log_target, strength: float, max_iter: int, tol: float):
    """Translated unbalanced Sinkhorn; returns (log v per compact column, rounds, converged)."""
    translate = _Translation.of(edges, log_target, strength)
    kernel_by_col = log_kernel[edges.col_order]
    row_by_col = edges.row[edges.col_order]
    log_v = np.zeros(edges.n_cols)
    for iteration in range(1, max_iter + 1):
        log_u = -_logsumexp_runs(log_kernel + log_v[edges.col], edges.row_starts, edges.row_lengths)
        arriving = _logsumexp_runs(kernel_by_col + log_u[row_by_col], edges.col_starts, edges.col_lengths)
        updated = translate(strength * (log_target - arriving))
        change = np.max(np.abs(updated - log_v))
        log_v = updated
        if change < tol:
            return log_v, iteration, True
    return log_v, max_iter, False


@dataclass(frozen=True, eq=False)
class _Translation:
    """Optimal constant shift of log v on each connected part of the graph (see module notes)."""

    part: np.ndarray          # part label per compact column
    col_order: np.ndarray     # compact columns sorted by part
    starts: np.ndarray
    lengths: np.ndarray
    log_target: np.ndarray
    target: np.ndarray
    log_supply: np.ndarray    # log of the number of seekers per part
    kappa: float

    @classmethod
    def of(cls, edges: _EdgeLayout, log_target, strength: float) -> _Translation:
        n_nodes = edges.n_rows + edges.n_cols
        graph = coo_matrix((np.ones(len(edges.row), dtype=np.int8), (edges.row, edges.n_rows + edges.col)),
                           shape=(n_nodes, n_nodes))
        _, label = connected_components(graph, directed=False)
        part = label[edges.n_rows:]
        col_order = np.argsort(part, kind="stable")
        starts, lengths, _ = _runs(part[col_order])
        supply = np.bincount(label[:edges.n_rows], minlength=label.max() + 1)
        return cls(part=part, col_order=col_order, starts=starts, lengths=lengths, log_target=log_target,
                   target=np.exp(log_target), log_supply=np.log(supply), kappa=(1.0 - strength) / strength)

    def __call__(self, log_v) -> np.ndarray:
        if self.kappa < _BALANCED_KAPPA:
            weighted = np.bincount(self.part, self.target * log_v) / np.bincount(self.part, self.target)
            return log_v - weighted[self.part]
        exponent = (self.log_target - self.kappa * log_v)[self.col_order]
        shift = (_logsumexp_runs(exponent, self.starts, self.lengths) - self.log_supply) / self.kappa
        return log_v + shift[self.part]


def _validated_graph(seeker, vacancy, score, openings, n_seekers, n_vacancies):
    """The four arrays as numpy, after checking lengths, types, ranges and indices."""
    seeker, vacancy = _index_array("seeker", seeker), _index_array("vacancy", vacancy)
    score = np.asarray(score)
    openings = np.asarray(openings)
    if score.ndim != 1:
        raise ValueError(f"score: must be one-dimensional, got shape {score.shape}")
    if openings.ndim != 1:
        raise ValueError(f"openings: must be one-dimensional, got shape {openings.shape}")
    for name, values in (("vacancy", vacancy), ("score", score)):
        if len(values) != len(seeker):
            raise ValueError(f"{name}: has {len(values)} entries but seeker has {len(seeker)}")
    if score.size and (not np.issubdtype(score.dtype, np.number) or not np.all(np.isfinite(score))):
        raise ValueError("score: must hold finite numbers")
    if openings.size and (not np.issubdtype(openings.dtype, np.number) or not np.all(np.isfinite(openings))
                          or np.any(openings < 0)):
        raise ValueError("openings: must hold finite numbers ≥ 0")
    if n_vacancies is not None and n_vacancies != len(openings):
        raise ValueError(f"n_vacancies: is {n_vacancies} but openings has {len(openings)} entries")
    if n_seekers is None:
        n_seekers = int(seeker.max()) + 1 if len(seeker) else 0
    elif n_seekers < 0:
        raise ValueError(f"n_seekers: must be at least 0, got {n_seekers}")
    for name, index, bound in (("seeker", seeker, n_seekers), ("vacancy", vacancy, len(openings))):
        if len(index) and (index.min() < 0 or index.max() >= bound):
            raise ValueError(f"{name}: indices must lie in [0, {bound}), got {index.min()}…{index.max()}")
    return seeker, vacancy, score, openings


def _index_array(name: str, values) -> np.ndarray:
    values = np.asarray(values)
    if values.ndim != 1:
        raise ValueError(f"{name}: must be one-dimensional, got shape {values.shape}")
    if values.size == 0:
        return values.astype(np.int64)
    if not np.issubdtype(values.dtype, np.integer):
        raise ValueError(f"{name}: must hold integer indices, got dtype {values.dtype}")
    return values


def _validate_settings(strength, epsilon, max_iter, tol) -> None:
    if not 0.0 <= strength <= 1.0:  # also rejects NaN
        raise ValueError(f"strength: must lie in [0, 1], got {strength}")
    if not (epsilon > 0 and np.isfinite(epsilon)):
        raise ValueError(f"epsilon: must be a positive finite number, got {epsilon}")
    if isinstance(max_iter, bool) or not isinstance(max_iter, (int, np.integer)) or max_iter < 1:
        raise ValueError(f"max_iter: must be an integer of at least 1, got {max_iter!r}")
    if not tol > 0:
        raise ValueError(f"tol: must be positive, got {tol}")
