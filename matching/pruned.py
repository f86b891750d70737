"""Pruned candidate generation for a national market: reach, knock-outs by type, pre-screen, exact top-k.

:func:`matching.candidates.generate_candidates` tests every seeker against every vacancy;
for a million seekers and 200,000 vacancies that is 2·10¹¹ pairs. This generator touches
only the pairs that can matter and scores exactly only the few that might make a list:

1. **Reach.** Seekers are grouped in blocks of neighbours with similar travel limits; a
   grid over the vacancies (:mod:`matching.spatial_reach`) hands each block only the
   vacancies within its largest limit. The exact travel check then runs on those.
2. **Knock-outs by type.** Hours, language, sector and must-have checks are decided per
   vacancy *type* (:mod:`matching.vacancy_types`), so they cost ``block × types``, and the
   per-reason counts every explanation quotes stay exact.
3. **Pre-screen.** A linear stand-in for the scorer, fitted to it on a sample
   (:mod:`matching.prescreen`), ranks the feasible pairs of each block; a seeker's pairs
   within a measured margin of their ``top_k``-th best estimate go on (:class:`ShortlistRule`).
4. **Exact scores.** The shortlist is scored by the real scorer and each seeker keeps
   the ``top_k`` best. Separately, each vacancy keeps its ``per_opening × openings`` best
   candidates by pre-screen over the whole run, so that openings nobody ranks highly are
   not starved; those are scored exactly as well.

Memory is bounded by the block (``block_seekers × reachable vacancies``) plus the output.
:func:`candidate_recall` measures on a sample how many of the exact top-k pairs survive.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from matching.bits import packed
from matching.candidates import (N_REASONS, CandidateGraph, PairScoreFn, _group_then_best_key, _top_k_within,
                                generate_candidates, pair_road_km, rank_within_runs, seeker_units,
                                vacancy_units)
from matching.pair_kernels import FeasiblePairs, best_per_group, feasible_pairs, shortlist
from matching.parallel import THREADS, _executor, blas_serial, score_pairs
from matching.prescreen import TERMS, OccupationProxies, Prescreen, fit_prescreen, type_log_odds, type_terms
from matching.spatial_reach import GridProjection, VacancyGrid, near_box
from matching.timing import StageTimer
from matching.vacancy_types import block_eligibility, block_knockout_counts, vacancy_types
from passport.geography import EARTH_RADIUS_KM, ROAD_DETOUR, chord_squared_for_km
from passport.population import SeekerArrays, VacancyArrays

# Straight-line reach bands (km): a block mixes only seekers of one band, so a few
# long-distance travellers do not widen the reach of everyone near them.
REACH_BANDS_KM = np.array([5.0, 6.5, 8.0, 9.5, 11.0, 12.5, 14.0, 16.0, 18.5, 21.0, 24.0, 28.0, 33.0, 40.0, 50.0])
FIT_PAIRS = 40_000
# The shortlist for exact scoring is measured, not fixed: wide enough to keep this share of
# the exact top-k on a sample. At national density a seeker has ~1,300 feasible vacancies
# and a fixed list of 3 × top-k kept only 98.2-98.7 % of them.
PRESCREEN_RECALL_TARGET = 0.995
PRESCREEN_MAX_FACTOR = 15
CALIBRATION_SEEKERS = 1_000
HILBERT_CELL_KM = 0.5
HILBERT_ORDER = 16  # 2¹⁶ cells of 0.5 km: 32,000 km across, any country fits
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class ShortlistRule:
    """Which of a seeker's pairs the pre-screen passes on to exact scoring.

    The best *length* by pre-screen, and of those only the ones whose pre-screen log-odds
    are within *margin* of the seeker's top-k-th best (``None``: no margin, a fixed length).
    A margin adapts to each seeker: where the pre-screen leaves a clear gap below the top
    k, few pairs are scored; where many run close, more. For the same recall it scores
    fewer pairs than one length for everyone (1M × 200k, recall 0.995 on 3,000 seekers:
    57 pairs per seeker against 79).
    """

    length: int
    margin: float | None = None

    def select(self, local: np.ndarray, estimate: np.ndarray, top_k: int, n_rows: int) -> np.ndarray:
        """Positions of the shortlisted pairs among a block's pairs (*local*: seeker in the block)."""
        local = np.asarray(local)
        order = None
        if len(local) > 1 and np.any(local[1:] < local[:-1]):
            order = np.argsort(local, kind="stable")
            local, estimate = local[order], np.asarray(estimate)[order]
        start = np.searchsorted(local, np.arange(n_rows + 1))
        chosen = shortlist(start, estimate, top_k, self.margin, self.length)
        return chosen if order is None else order[chosen]


def _kth_best(seeker: np.ndarray, estimate: np.ndarray, place: np.ndarray, k: int, n_rows: int) -> np.ndarray:
    """Each seeker's *k*-th best estimate, from each pair's 0-based place in its seeker's
    order; −∞ for seekers with fewer than *k* pairs (every pair of theirs is within any margin)."""
    kth = np.full(n_rows, -np.inf)
    at_k = place == k - 1
    kth[seeker[at_k]] = estimate[at_k]
    return kth


@dataclass(eq=False)
class PrunedCandidates:
    """The candidate graph and what the pruning did to get it."""

    graph: CandidateGraph
    prescreen: Prescreen
    n_types: int
    n_blocks: int
    reachable_pairs: int
    stats: dict = field(default_factory=dict)


def hilbert_index(x: np.ndarray, y: np.ndarray, order: int = HILBERT_ORDER) -> np.ndarray:
    """Position of integer cells (x, y) along a Hilbert curve over a 2^order square grid.

    Neighbouring positions are neighbouring cells (unlike a Z-order curve, which jumps), so
    runs of consecutive positions are compact areas.
    """
    size = 1 << order
    x = np.clip(np.asarray(x, dtype=np.int64), 0, size - 1)
    y = np.clip(np.asarray(y, dtype=np.int64), 0, size - 1)
    index = np.zeros(len(x), dtype=np.int64)
    s = size >> 1
    while s > 0:  # one pass per bit level, vectorised over all points
        rx = (x & s) > 0
        ry = (y & s) > 0
        index += s * s * ((3 * rx) ^ ry)
        # Rotate the quadrant so the curve stays continuous.
        flip = ~ry & rx
        x = np.where(flip, s - 1 - x, x)
        y = np.where(flip, s - 1 - y, y)
        swap = ~ry
        x, y = np.where(swap, y, x), np.where(swap, x, y)
        s >>= 1
    return index


class _Context:
    """Everything the blocks share, computed once."""

    def __init__(self, seekers: SeekerArrays, vacancies: VacancyArrays, cell_km: float, max_travel_km):
        self.seekers, self.vacancies = seekers, vacancies
        self.types = vacancy_types(vacancies)
        self.proxies = OccupationProxies.from_vacancies(vacancies)
        self.requirement_above = self.proxies.requirement_above(vacancies)
        self.seeker_bits = packed(seekers, "hard")
        projection = GridProjection.covering((seekers.lat, seekers.lon), (vacancies.lat, vacancies.lon))
        self.grid = VacancyGrid(projection, vacancies.lat, vacancies.lon, cell_km)
        self.seeker_x, self.seeker_y = projection.xy(seekers.lat, seekers.lon)
        self.vacancy_x, self.vacancy_y = projection.xy(vacancies.lat, vacancies.lon)
        self.seeker_units = seeker_units(seekers)
        self.vacancy_units = vacancy_units(vacancies)
        limit = seekers.max_travel_km.astype(np.float64)
        if max_travel_km is not None:  # a programme may cap travel below what people accept
            limit = np.minimum(limit, np.float32(max_travel_km)).astype(np.float64)
        # The same threshold expression as the exact knock-outs, so both agree at the boundary.
        self.straight_limit = (np.asarray(limit, dtype=np.float32) / ROAD_DETOUR).astype(np.float64)
        self.dot_limit = 1.0 - 0.5 * chord_squared_for_km(np.asarray(limit, dtype=np.float32) / ROAD_DETOUR)
        # road km / own limit ≈ chord · R · detour / limit (arcsin x ≈ x: < 0.01 % off at 80 km)
        self.travel_scale = (EARTH_RADIUS_KM * ROAD_DETOUR / limit).astype(np.float32)

    def blocks(self, rows: np.ndarray, block_seekers: int) -> list[np.ndarray]:
        """*rows* cut into blocks of at most *block_seekers* neighbours in the same reach band.

        Within a band, seekers follow a Hilbert curve over a fine grid: consecutive seekers
        are close, so a block's bounding box is small where people live densely and grows
        only where they are sparse (and vacancies with them).
        """
        rows = np.asarray(rows, dtype=np.int64)
        if rows.size == 0:
            return []
        band = np.searchsorted(REACH_BANDS_KM, self.straight_limit[rows])
        curve = hilbert_index(np.floor(self.seeker_x[rows] / HILBERT_CELL_KM).astype(np.int64),
                              np.floor(self.seeker_y[rows] / HILBERT_CELL_KM).astype(np.int64))
        order = np.lexsort((curve, band))
        band = band[order]
        band_start = np.flatnonzero(np.r_[True, band[1:] != band[:-1]])
        position = np.arange(len(band)) - np.repeat(band_start, np.diff(np.r_[band_start, len(band)]))
        cut = np.flatnonzero((position % block_seekers) == 0)
        return np.split(rows[order], cut[1:])

    def reach(self, rows: np.ndarray) -> np.ndarray:
        """The vacancies that may be within travel of any of *rows* (a superset, in grid order).

        The grid reaches whole cells; a distance test on each reached vacancy against the
        block's box then drops the cells' corners (1M × 200k: 17,300 → 15,900 vacancies
        per seeker). Narrower blocks would drop more, but their fixed costs grow faster
        (one thread, 120 sampled blocks with the compiled pass: 91, 94 and 102 µs per seeker
        for blocks of 256, 128 and 64).
        """
        x, y = self.seeker_x[rows], self.seeker_y[rows]
        box = (x.min(), x.max(), y.min(), y.max(), float(self.straight_limit[rows].max()))
        reach = self.grid.reach(*box)
        return reach[near_box(self.vacancy_x.take(reach), self.vacancy_y.take(reach), *box)]


@dataclass(eq=False)
class _Block:
    """One block's reachable vacancies, its feasible pairs and what the fit and the run both need."""

    rows: np.ndarray
    reach: np.ndarray
    reach_type: np.ndarray
    eligibility: object
    terms: np.ndarray | None     # (block, types, TYPE_TERMS) to fit the pre-screen
    pairs: FeasiblePairs         # with the pre-screen's estimates when it is fitted


def _prepare_block(ctx: _Context, rows: np.ndarray, prescreen: Prescreen | None = None) -> _Block:
    """The block's pieces: the pre-screen's terms to fit it, or with *prescreen* each pair's estimate."""
    reach = ctx.reach(rows)
    reach_type = ctx.types.type_of[reach]
    eligibility = block_eligibility(ctx.seekers, ctx.seeker_bits, rows, ctx.types)
    terms = None
    estimate_parts = {}
    if prescreen is None:
        terms = type_terms(ctx.seekers, ctx.seeker_bits, rows, ctx.types, ctx.proxies)
    else:
        estimate_parts = {
            "table": type_log_odds(ctx.seekers, ctx.seeker_bits, rows, ctx.types, ctx.proxies, prescreen),
            "vacancy_part": np.float32(prescreen.vacancy_weight) * ctx.requirement_above[reach],
            "travel_weight": prescreen.travel_weight}
    pairs = feasible_pairs(ctx.seeker_units.take(rows, axis=0), ctx.vacancy_units.take(reach, axis=0),
                           ctx.dot_limit[rows], ctx.travel_scale[rows], eligibility.eligible, reach_type,
                           **estimate_parts)
    return _Block(rows=rows, reach=reach, reach_type=reach_type, eligibility=eligibility, terms=terms, pairs=pairs)


# --------------------------------------------------------------------------- pre-screen fit


def _fit_on_sample(ctx: _Context, score_fn: PairScoreFn, sample_rows: np.ndarray, block_seekers: int,
                   rng: np.random.Generator) -> Prescreen:
    """Fit the pre-screen to the scorer on every feasible pair of a sample of seekers."""
    seeker, vacancy, rows_terms = [], [], []
    for rows in ctx.blocks(sample_rows, block_seekers):
        block = _prepare_block(ctx, rows)
        pairs = block.pairs
        v = block.reach[pairs.column]
        type_part = block.terms[pairs.local, block.reach_type[pairs.column]]
        rows_terms.append(np.column_stack([type_part, ctx.requirement_above[v], pairs.travel_ratio]))
        seeker.append(rows[pairs.local])
        vacancy.append(v)
    if not seeker:
        return fit_prescreen(np.empty((0, len(TERMS))), np.empty(0))
    terms = np.concatenate(rows_terms)
    pick = rng.permutation(len(terms))[:FIT_PAIRS]
    s, v = (np.concatenate(a)[pick] for a in (seeker, vacancy))
    d = pair_road_km(ctx.seekers, ctx.vacancies, s, v)
    score = np.asarray(score_fn(ctx.seekers, ctx.vacancies, s, v, d), dtype=np.float64)
    return fit_prescreen(terms[pick], score)


def _calibrate_shortlist(ctx: _Context, prescreen: Prescreen, score_fn: PairScoreFn, sample_rows: np.ndarray,
                         block_seekers: int, top_k: int) -> tuple[ShortlistRule, dict]:
    """The narrowest shortlist margin that keeps :data:`PRESCREEN_RECALL_TARGET` of the exact top-k.

    Every feasible pair of the sampled seekers is scored exactly. A pair of a seeker's exact
    top *k* is shortlisted when it is among the seeker's best ``length`` by pre-screen and
    its pre-screen log-odds fall at most the margin below the seeker's *k*-th best; the
    margin is the smallest that keeps the target share. Returns the rule and what it did
    on the sample: its recall, the pairs scored to measure it and the shortlist per seeker.
    """
    length = PRESCREEN_MAX_FACTOR * top_k
    needed_gap, needed_place, gaps, places, scored, n_seekers = [], [], [], [], 0, 0
    for rows in ctx.blocks(sample_rows, block_seekers):
        block = _prepare_block(ctx, rows, prescreen)
        pairs = block.pairs
        n_seekers += len(rows)
        if not len(pairs.local):
            continue
        estimate = pairs.estimate
        s, v = rows[pairs.local], block.reach[pairs.column]
        exact = score_pairs(score_fn, ctx.seekers, ctx.vacancies, s, v, pair_road_km(ctx.seekers, ctx.vacancies, s, v))
        scored += len(exact)
        order = np.argsort(_group_then_best_key(pairs.local, _squash(estimate)))
        place = np.empty(len(order), dtype=np.int64)
        place[order] = rank_within_runs(pairs.local[order]) + 1
        # How far each pair falls below its seeker's k-th best estimate (≤ 0: inside the top k).
        gap = _kth_best(pairs.local, estimate, place - 1, top_k, len(rows))[pairs.local] - estimate
        top = _top_k_within(pairs.local, exact, top_k)
        needed_gap.append(gap[top])
        needed_place.append(place[top])
        gaps.append(gap)
        places.append(place)
    if not needed_gap:
        return ShortlistRule(length=length), {"sample_recall": 1.0, "sample_pairs_scored": scored,
                                              "sample_shortlist_per_seeker": 0.0}
    needed_gap, needed_place = np.concatenate(needed_gap), np.concatenate(needed_place)
    reachable = np.sort(needed_gap[needed_place <= length])
    at = int(np.ceil(PRESCREEN_RECALL_TARGET * len(needed_gap))) - 1
    # Beyond what the longest list can hold no margin helps: then the list alone decides.
    margin = float(max(reachable[at], 0.0)) if at < len(reachable) else None
    rule = ShortlistRule(length=length, margin=margin)
    kept = needed_place <= length
    shortlisted = np.concatenate(places) <= length
    if margin is not None:
        kept &= needed_gap <= margin
        shortlisted &= np.concatenate(gaps) <= margin
    return rule, {"sample_recall": float(kept.mean()), "sample_pairs_scored": scored,
                  "sample_shortlist_per_seeker": float(shortlisted.sum() / max(n_seekers, 1))}


# --------------------------------------------------------------------------- the run


@dataclass(eq=False)
class _BlockOutput:
    rows: np.ndarray
    counts: np.ndarray
    seeker: np.ndarray       # this block's seeker-side picks, grouped by seeker, best first
    vacancy: np.ndarray
    score: np.ndarray
    distance: np.ndarray
    rank: np.ndarray         # place within the seeker's own list
    entering: tuple          # (seeker, vacancy, pre-screen log-odds) beating the vacancy's cut-off
    reachable: int
    shortlisted: int         # pairs scored exactly


def _run_block(ctx: _Context, prescreen: Prescreen, score_fn: PairScoreFn, rows: np.ndarray, top_k: int,
               rule: ShortlistRule, vacancy_cutoff: np.ndarray | None) -> _BlockOutput:
    block = _prepare_block(ctx, rows, prescreen)
    pairs = block.pairs
    local, column, estimate = pairs.local, pairs.column, pairs.estimate
    counts = block_knockout_counts(block.eligibility, ctx.types, pairs.within, np.diff(pairs.start),
                                   ctx.vacancies.n)

    # Seeker side: the shortlist by pre-screen, then the best `top_k` by exact score.
    passed_on = rule.select(local, estimate, top_k, len(rows))
    s_local, col = local[passed_on], column[passed_on]
    s, v = rows[s_local], block.reach[col]
    d = pair_road_km(ctx.seekers, ctx.vacancies, s, v)
    exact = np.asarray(score_fn(ctx.seekers, ctx.vacancies, s, v, d), dtype=np.float32)
    best = _top_k_within(s_local, exact, top_k)
    picked_local = s_local[best]
    group_start = np.searchsorted(picked_local, picked_local, side="left")

    entering = (np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.float32))
    if vacancy_cutoff is not None:
        enter = np.flatnonzero(estimate > vacancy_cutoff[block.reach][column])
        entering = (rows[local[enter]], block.reach[column[enter]], estimate[enter])
    return _BlockOutput(rows=rows, counts=counts, seeker=s[best], vacancy=v[best], score=exact[best],
                        distance=d[best], rank=np.arange(len(best)) - group_start, entering=entering,
                        reachable=int(pairs.within.sum()), shortlisted=len(passed_on))


def _squash(log_odds: np.ndarray) -> np.ndarray:
    """Log-odds mapped into (0, 1), the key range the one-key group sorts need."""
    return 1.0 / (1.0 + np.exp(-np.asarray(log_odds, dtype=np.float64)))


class _VacancyBest:
    """Each vacancy's running best candidates by pre-screen log-odds, pruned when the buffer grows."""

    def __init__(self, limit: np.ndarray):
        self.limit = limit
        self.cutoff = np.full(len(limit), -np.inf, dtype=np.float32)
        self.parts: list[tuple] = []
        self.size = 0
        self.kept = (np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.float32))

    def add(self, entering: tuple) -> None:
        self.parts.append(entering)
        self.size += len(entering[0])
        if self.size > max(4 * int(self.limit.sum()), 2_000_000):
            self.prune()

    def prune(self) -> None:
        pool = [np.concatenate([k] + [p[i] for p in self.parts]) for i, k in enumerate(self.kept)]
        self.parts, self.size = [], 0
        keep = best_per_group(pool[1], pool[2], self.limit)
        self.kept = tuple(a[keep] for a in pool)
        vacancy, estimate = self.kept[1], self.kept[2]
        # Kept entries come by vacancy, best first: each list's last entry is its worst.
        listed = np.bincount(vacancy, minlength=len(self.limit))
        worst = np.full(len(self.limit), np.inf, dtype=np.float32)
        has_any = listed > 0
        worst[has_any] = estimate[(np.cumsum(listed) - 1)[has_any]]
        self.cutoff = np.where(listed >= self.limit, worst, -np.inf).astype(np.float32)


def generate_pruned_candidates(seekers: SeekerArrays, vacancies: VacancyArrays, score_fn: PairScoreFn, *,
                               top_k: int = 20, prescreen_k: int | None = None, per_opening: int = 5,
                               block_seekers: int = 256, cell_km: float = 2.0, max_travel_km: float | None = None,
                               fit_sample: int = 2_000, random_state: int = 0, timer: StageTimer | None = None,
                               progress: Progress | None = None) -> PrunedCandidates:
    """Candidates for a large market without testing every pair.

    Parameters
    ----------
    score_fn : callable
        ``score_fn(seekers, vacancies, seeker_index, vacancy_index, distance_km) → P(success)``,
        e.g. a :class:`matching.candidates.FeatureScorer`; called from two threads when it
        says it is ``thread_safe``.
    top_k : int
        Candidates kept per seeker, by exact score.
    prescreen_k : int, optional
        A fixed number of pairs per seeker for the pre-screen to pass on to exact scoring.
        By default the shortlist is measured instead: every feasible pair of 1,000 sampled
        seekers is scored exactly, and a seeker's pairs go on when their pre-screen
        log-odds are within a margin of the seeker's ``top_k``-th best, the narrowest
        margin that keeps 99.5 % of the sample's exact top-k (at most 15 × ``top_k``
        pairs). 1M × 200k, top-20: margin 0.20, 53 pairs per seeker, where one list length
        for everyone needed 78 for the same recall.
    per_opening : int
        Candidates kept per vacancy opening, by pre-screen (0 disables the rule).
    block_seekers : int
        Seekers per block; memory per block is about ``block × reachable vacancies × 20`` bytes.
    cell_km : float
        Grid cell size of the reach index. Whole cells are reached, so smaller cells reach
        fewer vacancies beyond the travel limits (1M × 200k: 18,700 per seeker with 4 km
        cells, 15,000 with 2 km; the candidate stage's CPU time 407 → 380 s) at the cost of
        more slices per block.
    fit_sample : int
        Seekers whose feasible pairs fit the pre-screen to the scorer.
    progress : callable, optional
        ``progress(seekers_done, seekers_total)`` after each batch of blocks.
    """
    if top_k < 1:
        raise ValueError(f"top_k: must be at least 1, got {top_k}")
    if prescreen_k is not None and prescreen_k < top_k:
        raise ValueError(f"prescreen_k: must be at least top_k ({top_k}), got {prescreen_k}")
    if per_opening < 0:
        raise ValueError(f"per_opening: must not be negative, got {per_opening}")
    if block_seekers < 1:
        raise ValueError(f"block_seekers: must be at least 1, got {block_seekers}")
    timer = timer or StageTimer()
    rng = np.random.default_rng(random_state)
    counts = np.zeros((seekers.n, N_REASONS), dtype=np.int32)

    with timer.stage("index"):
        ctx = _Context(seekers, vacancies, cell_km, max_travel_km)
        consenting = np.flatnonzero(seekers.consent_matching)
        sample = np.sort(rng.choice(consenting, size=min(fit_sample, len(consenting)), replace=False))
    # BLAS threads would fight the two block threads over two cores.
    with blas_serial():
        with timer.stage("pre-screen fit"):
            prescreen = _fit_on_sample(ctx, score_fn, sample, block_seekers, rng)
            calibration = {}
            if prescreen_k is None:
                calibration_rows = np.sort(rng.choice(sample, size=min(CALIBRATION_SEEKERS, len(sample)),
                                                      replace=False))
                rule, measured = _calibrate_shortlist(ctx, prescreen, score_fn, calibration_rows, block_seekers,
                                                      top_k)
                calibration = {f"shortlist_{key}": value for key, value in measured.items()}
            else:
                rule = ShortlistRule(length=prescreen_k)
        with timer.stage("blocks"):
            blocks = ctx.blocks(np.arange(seekers.n), block_seekers)
            vacancy_best = _VacancyBest(per_opening * vacancies.openings.astype(np.int64)) if per_opening else None
            outputs, done, reachable, shortlisted = [], 0, 0, 0
            threaded = THREADS > 1 and _thread_safe(score_fn)
            batch = 4 * THREADS

            def run(rows, cutoff):
                return _run_block(ctx, prescreen, score_fn, rows, top_k, rule, cutoff)

            def take_in(results):
                nonlocal done, reachable, shortlisted
                for out in results:
                    counts[out.rows] = out.counts
                    if vacancy_best:
                        vacancy_best.add(out.entering)
                    out.entering = None
                    reachable += out.reachable
                    shortlisted += out.shortlisted
                    done += len(out.rows)
                outputs.extend(results)
                if progress:
                    progress(done, seekers.n)

            # Pipelined: batch i runs with the vacancy cut-offs as they stood after batch
            # i − 2, while this thread takes in batch i − 1 (the cut-off buffer's pruning
            # took 9 s of the 1M run, with the block threads idle until it was done). The
            # cut-offs each batch sees do not depend on timing, so results stay reproducible.
            previous = None
            for start in range(0, len(blocks), batch):
                chunk = blocks[start:start + batch]
                cutoff = vacancy_best.cutoff if vacancy_best else None
                if threaded:
                    current = [_executor().submit(run, rows, cutoff) for rows in chunk]
                else:
                    current = [run(rows, cutoff) for rows in chunk]
                if previous is not None:
                    take_in([f.result() for f in previous] if threaded else previous)
                previous = current
            if previous is not None:
                take_in([f.result() for f in previous] if threaded else previous)
    with timer.stage("vacancy lists"):
        seeker_side = _seeker_major(outputs, seekers.n)
        extras = _vacancy_extras(ctx, score_fn, vacancy_best, seeker_side, top_k) if vacancy_best else None
        graph_arrays = _merge(seeker_side, extras)
    graph = CandidateGraph(seeker=graph_arrays[0], vacancy=graph_arrays[1], score=graph_arrays[2],
                           distance_km=graph_arrays[3], n_seekers=seekers.n, n_vacancies=vacancies.n,
                           knockout_counts=counts, top_k=top_k)
    stats = {"prescreen_r_squared": prescreen.r_squared, "prescreen_fit_pairs": prescreen.n_fit_pairs,
             "shortlist_length": rule.length, "shortlist_margin": rule.margin, **calibration,
             "shortlist_per_seeker": shortlisted / max(seekers.n, 1),
             "pairs_reached_within_travel": reachable, "pairs_in_graph": graph.n_pairs,
             "vacancy_extra_pairs": 0 if extras is None else len(extras[0])}
    return PrunedCandidates(graph=graph, prescreen=prescreen, n_types=ctx.types.n, n_blocks=len(blocks),
                            reachable_pairs=reachable, stats=stats)


def _thread_safe(score_fn) -> bool:
    return bool(getattr(score_fn, "thread_safe", False))


def _seeker_major(outputs: list[_BlockOutput], n_seekers: int) -> tuple:
    """Scatter the blocks' lists into one seeker-major array set (each seeker's list stays best first)."""
    seeker = np.concatenate([o.seeker for o in outputs]) if outputs else np.empty(0, np.int64)
    per_seeker = np.bincount(seeker, minlength=n_seekers)
    offset = np.cumsum(per_seeker) - per_seeker
    destination = offset[seeker] + np.concatenate([o.rank for o in outputs]) if outputs else seeker
    arrays = []
    for name, dtype in (("seeker", np.int32), ("vacancy", np.int32), ("score", np.float32),
                        ("distance", np.float32)):
        values = np.concatenate([getattr(o, name) for o in outputs]) if outputs else np.empty(0, dtype)
        placed = np.empty(len(values), dtype=dtype)
        placed[destination] = values
        arrays.append(placed)
    return tuple(arrays)


def _vacancy_extras(ctx: _Context, score_fn: PairScoreFn, vacancy_best: _VacancyBest, seeker_side: tuple,
                    top_k: int) -> tuple:
    """Each vacancy's best candidates by pre-screen that the seekers' own lists lack, scored exactly."""
    vacancy_best.prune()
    s, v, _ = vacancy_best.kept
    # A seeker's list is at most top_k long: pad it into a row and compare.
    n_seekers = ctx.seekers.n
    per_seeker = np.bincount(seeker_side[0], minlength=n_seekers)
    offset = np.cumsum(per_seeker) - per_seeker
    listed = np.full((n_seekers, top_k), -1, dtype=np.int32)
    rank = np.arange(len(seeker_side[0])) - offset[seeker_side[0]]
    listed[seeker_side[0], rank] = seeker_side[1]
    new = ~(listed[s] == v[:, None]).any(axis=1)
    s, v = s[new], v[new]
    d = pair_road_km(ctx.seekers, ctx.vacancies, s, v)
    score = score_pairs(score_fn, ctx.seekers, ctx.vacancies, s, v, d)
    return s.astype(np.int32), v.astype(np.int32), score, d


def _merge(seeker_side: tuple, extras: tuple | None) -> tuple:
    """Insert the extras into the seeker-major arrays, keeping each seeker's list best first."""
    if extras is None or len(extras[0]) == 0:
        return seeker_side
    order = np.argsort(_group_then_best_key(extras[0], extras[2]), kind="stable")
    extras = tuple(a[order] for a in extras)
    position = np.searchsorted(_group_then_best_key(seeker_side[0], seeker_side[2]),
                               _group_then_best_key(extras[0], extras[2]), side="right")
    return tuple(np.insert(a, position, e) for a, e in zip(seeker_side, extras))


# --------------------------------------------------------------------------- recall

# Scores of the same pair may differ in the last float32 bits between the pruned and the
# exact route (distances are computed along different paths).
SCORE_TOLERANCE = 1e-6


def candidate_recall(graph: CandidateGraph, seekers: SeekerArrays, vacancies: VacancyArrays,
                     score_fn: PairScoreFn, *, top_k: int, sample_size: int = 500, random_state: int = 0,
                     max_travel_km: float | None = None) -> dict:
    """How much of the exact top-k of a sample of seekers the graph keeps.

    The exact lists come from :func:`matching.candidates.generate_candidates`, which tests
    the sampled seekers against every vacancy. ``recall`` is the share of the exact
    top-k pairs that the graph contains. ``recall_by_score`` also counts an exact pair at
    rank r as kept when the graph lists r pairs for that seeker scoring at least as high:
    a scorer with many equal scores (a boosted model's leaves) has no single exact top-k,
    and which of the tied pairs fills the last places is arbitrary on both sides.
    """
    rng = np.random.default_rng(random_state)
    consenting = np.flatnonzero(seekers.consent_matching)
    sample = np.sort(rng.choice(consenting, size=min(sample_size, len(consenting)), replace=False))
    exact = generate_candidates(seekers.take(sample), vacancies, score_fn, top_k=top_k, per_opening=0,
                                max_travel_km=max_travel_km)
    exact_seeker = sample[exact.seeker]
    exact_keys = exact_seeker.astype(np.int64) * vacancies.n + exact.vacancy
    graph_keys = np.sort(graph.seeker.astype(np.int64) * vacancies.n + graph.vacancy)
    position = np.minimum(np.searchsorted(graph_keys, exact_keys), max(len(graph_keys) - 1, 0))
    found = graph_keys[position] == exact_keys if len(graph_keys) else np.zeros(len(exact_keys), bool)

    # Exact lists come best first per seeker: a pair's rank is its place in its seeker's run.
    rank = rank_within_runs(exact_seeker) + 1
    # Graph pairs per seeker scoring at least as high, by one sorted key (seeker, then best first).
    graph_order = np.sort(_group_then_best_key(graph.seeker, graph.score))
    at_least = _group_then_best_key(exact_seeker, np.minimum(exact.score.astype(np.float64) - SCORE_TOLERANCE, 1.0))
    group_start = np.searchsorted(graph_order, exact_seeker.astype(np.float64), side="left")
    as_good = np.searchsorted(graph_order, at_least, side="right") - group_start
    kept = found | (as_good >= rank)
    return {"sample_seekers": len(sample), "exact_pairs": int(len(exact_keys)), "found": int(found.sum()),
            "recall": float(found.mean()) if len(found) else 1.0,
            "recall_by_score": float(kept.mean()) if len(kept) else 1.0}
