"""Candidate generation: knock-outs with reasons, scoring of the survivors, top-k per seeker.

Seekers are processed in blocks so that memory stays bounded whatever the population:
a block's knock-out masks are ``block × n_vacancies`` booleans, and only the pairs that
survive are scored. Each knocked-out pair gets the first failing reason in
:class:`Knockout` order; per seeker, every failing reason is counted so explanations can
say "12 vacancies need a certificate you do not have yet".
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from enum import IntEnum
from typing import Callable

import numpy as np

from matching.bits import derived, packed
from matching.features import pair_features
from matching.parallel import map_ranges, score_pairs
from matching.timing import StageTimer
from passport.geography import (ROAD_DETOUR, chord_squared, chord_squared_for_km, km_from_chord_squared,
                                paired_chord_squared, road_km, unit_vectors)
from passport.population import SeekerArrays, VacancyArrays
from passport.taxonomy import Taxonomy


class Knockout(IntEnum):
    """Why a (seeker, vacancy) pair is not a candidate; checked in this order."""

    FEASIBLE = 0
    NO_CONSENT = 1
    HOURS = 2
    TRAVEL = 3
    LANGUAGE = 4
    MUST_HAVE = 5
    SECTOR_EXCLUDED = 6


KNOCKOUT_TEXT = {
    Knockout.NO_CONSENT: "not included in batch matching (no consent)",
    Knockout.HOURS: "working hours do not fit",
    Knockout.SECTOR_EXCLUDED: "you ruled out this sector",
    Knockout.TRAVEL: "too far to travel",
    Knockout.LANGUAGE: "Dutch language level below the minimum",
    Knockout.MUST_HAVE: "a required certificate or skill is missing",
}
N_REASONS = len(Knockout)

PairScoreFn = Callable[[SeekerArrays, VacancyArrays, np.ndarray, np.ndarray, np.ndarray], np.ndarray]


@dataclass(frozen=True, eq=False)
class NearMisses:
    """Pairs that fail the knock-outs only on missing must-haves or the Dutch level."""

    seeker: np.ndarray
    vacancy: np.ndarray
    distance_km: np.ndarray

    @classmethod
    def concatenate(cls, parts: list["NearMisses"]) -> "NearMisses":
        return cls(*(np.concatenate([getattr(p, name) for p in parts]) if parts else np.empty(0, dtype)
                     for name, dtype in (("seeker", np.int32), ("vacancy", np.int32), ("distance_km", np.float32))))


@dataclass(frozen=True, eq=False)
class CandidateGraph:
    """The candidate pairs: three parallel arrays plus what was knocked out.

    Attributes
    ----------
    seeker, vacancy : ndarray of shape (n_pairs,), int32
        Indices into the seeker and vacancy arrays; sorted by seeker, then best score first.
    score : ndarray of shape (n_pairs,), float32
        The scorer's P(success) for each pair.
    distance_km : ndarray of shape (n_pairs,), float32
    knockout_counts : ndarray of shape (n_seekers, N_REASONS), int32
        For each seeker, how many vacancies fail each knock-out (a vacancy may fail
        several); column 0 counts the feasible vacancies before the top-k cut.
    near_misses : NearMisses, optional
        Pairs knocked out only by must-haves or Dutch, when asked for: what a training
        could unlock (see :mod:`matching.pathways`).
    """

    seeker: np.ndarray
    vacancy: np.ndarray
    score: np.ndarray
    distance_km: np.ndarray
    n_seekers: int
    n_vacancies: int
    knockout_counts: np.ndarray
    top_k: int
    near_misses: "NearMisses | None" = None

    @property
    def n_pairs(self) -> int:
        return len(self.seeker)

    @property
    def n_feasible(self) -> np.ndarray:
        return self.knockout_counts[:, Knockout.FEASIBLE]

    def candidates_per_seeker(self) -> np.ndarray:
        return np.bincount(self.seeker, minlength=self.n_seekers)


def knockout_codes(seekers: SeekerArrays, vacancies: VacancyArrays, seeker_index=None, *,
                   max_travel_km: float | None = None):
    """Knock-out code per (seeker, vacancy) for a block of seekers against all vacancies.

    Returns
    -------
    codes : ndarray of shape (n_block, n_vacancies), uint8
        :class:`Knockout` value of the first failing check (0 when feasible).
    failing : dict of Knockout → bool ndarray of the same shape
        Every check's own failures, for per-reason counts.
    chord_sq : ndarray of shape (n_block, n_vacancies), float64
        Squared chord between home and workplace; :func:`road_distance_km` turns the
        entries that are needed into road kilometres.
    """
    s = np.arange(seekers.n) if seeker_index is None else np.asarray(seeker_index)
    chord_sq = chord_squared(seeker_units(seekers)[s], vacancy_units(vacancies))
    no_consent = np.broadcast_to(~seekers.consent_matching[s, None], chord_sq.shape)
    hours = (np.minimum(seekers.hours_max[s, None], vacancies.hours_max[None, :])
             < np.maximum(seekers.hours_min[s, None], vacancies.hours_min[None, :]))
    # Compare chords, not kilometres: no trigonometry for the pairs that fail anyway.
    own_limit = seekers.max_travel_km[s, None]
    if max_travel_km is not None:  # a programme may cap travel below what people accept
        own_limit = np.minimum(own_limit, np.float32(max_travel_km))
    travel = chord_sq > chord_squared_for_km(own_limit / ROAD_DETOUR)
    excluded = seekers.sector_excluded[s][:, vacancies.sector]
    language = seekers.dutch_cefr[s, None] < vacancies.min_dutch_cefr[None, :]
    must_have = _lacks_a_must_have(seekers, vacancies, s)
    failing = {Knockout.NO_CONSENT: no_consent, Knockout.HOURS: hours, Knockout.SECTOR_EXCLUDED: excluded,
               Knockout.TRAVEL: travel,
               Knockout.LANGUAGE: language, Knockout.MUST_HAVE: must_have}
    codes = np.zeros(chord_sq.shape, dtype=np.uint8)
    for reason in reversed(list(failing)):  # earliest reason written last, so it wins
        # Arithmetic rather than a masked store: a mask that is neither mostly true nor
        # mostly false makes the store mispredict its branches (measured on 100,000 pairs:
        # 0.41 ms masked against 0.02 ms this way).
        mask = failing[reason]
        codes *= ~mask
        codes += mask * np.uint8(reason)
    return codes, failing, chord_sq


# Up to this many seekers, packed bit words beat the matrix product (one seeker against
# 100,000 vacancies: 0.6 against 1.8 ms); a block of thousands is BLAS's to win.
BITWISE_MUST_HAVE_SEEKERS = 16


def _lacks_a_must_have(seekers: SeekerArrays, vacancies: VacancyArrays, s: np.ndarray) -> np.ndarray:
    """(n_block, n_vacancies) bool: the seeker lacks at least one of the vacancy's must-haves."""
    if len(s) <= BITWISE_MUST_HAVE_SEEKERS:
        lacking = ~packed(seekers, "hard")[s]
        return np.bitwise_or.reduce(packed(vacancies, "must_have")[None, :, :] & lacking[:, None, :], axis=2) != 0
    # Missing must-haves counted by one small matrix product instead of a pair loop.
    lacking = (~seekers.hard[s]).astype(np.float32)
    return (lacking @ must_have_columns(vacancies)) > 0.5


def road_distance_km(chord_sq) -> np.ndarray:
    """Road kilometres from squared chords (see :func:`knockout_codes`), float32."""
    return road_km(km_from_chord_squared(chord_sq)).astype(np.float32)


def pair_road_km(seekers: SeekerArrays, vacancies: VacancyArrays, seeker_index, vacancy_index) -> np.ndarray:
    """Road kilometres of listed pairs, float32: the same bits whichever generator found the pair.

    Computed pair by pair from the cached unit vectors. The knock-out matrices' products
    round a cell differently depending on where it falls in the block, and a candidate
    list must not depend on how the work was blocked.
    """
    # take(): a row gather several times faster than fancy indexing.
    return road_distance_km(paired_chord_squared(seeker_units(seekers).take(seeker_index, axis=0),
                                                 vacancy_units(vacancies).take(vacancy_index, axis=0)))


def seeker_units(seekers: SeekerArrays) -> np.ndarray:
    """Every seeker's home as a unit vector, built once per population."""
    return derived(seekers, "_units", lambda: unit_vectors(seekers.lat, seekers.lon))


def vacancy_units(vacancies: VacancyArrays) -> np.ndarray:
    """Every vacancy's workplace as a unit vector, built once per catalogue."""
    return derived(vacancies, "_units", lambda: unit_vectors(vacancies.lat, vacancies.lon))


def must_have_columns(vacancies: VacancyArrays) -> np.ndarray:
    """Must-haves as a float32 (hard skills × vacancies) matrix, for counting missing ones by a product."""
    return derived(vacancies, "_must_columns", lambda: np.ascontiguousarray(vacancies.must_have.T, dtype=np.float32))


class FeatureScorer:
    """Adapts a fitted scikit-learn style scorer to candidate generation.

    Builds pair features, fits the scorer on the first batch if it is not fitted yet
    (rule-based scorers only check the schema), and returns P(success).
    """

    # Scoring is pure given a fitted scorer; the one-time fit is guarded by a lock.
    thread_safe = True

    def __init__(self, scorer, taxonomy: Taxonomy):
        self.scorer = scorer
        self.taxonomy = taxonomy
        self._fit_lock = threading.Lock()

    def __call__(self, seekers, vacancies, seeker_index, vacancy_index, distance_km):
        X = pair_features(seekers, vacancies, seeker_index, vacancy_index, self.taxonomy, distance_km=distance_km)
        if not hasattr(self.scorer, "n_features_in_"):
            if len(X) == 0:
                return np.empty(0, dtype=np.float32)
            with self._fit_lock:
                if not hasattr(self.scorer, "n_features_in_"):
                    self.scorer.fit(X)
        if hasattr(self.scorer, "score_pairs"):
            return self.scorer.score_pairs(X).astype(np.float32)
        return self.scorer.predict_proba(X)[:, 1].astype(np.float32)


def _top_k_within(group, score, k) -> np.ndarray:
    """Positions of each group's best pairs, ordered by group then descending score.

    *k* is one number for all groups or an array giving each group's own limit.
    """
    # Introsort, not the stable sort: twice as fast on these keys, and still deterministic
    # (ties between equal scores resolve the same way for the same input).
    order = np.argsort(_group_then_best_key(group, score))
    sorted_group = group[order]
    rank = rank_within_runs(sorted_group)
    limit = k if np.isscalar(k) else np.asarray(k)[sorted_group]
    return order[rank < limit]


def rank_within_runs(sorted_group: np.ndarray) -> np.ndarray:
    """0-based place of each entry within its run of equal neighbours (groups come sorted)."""
    # Each position's run start, by a running maximum over the boundaries (linear; a
    # searchsorted of the array into itself was a third of the cost of the top-k).
    position = np.arange(len(sorted_group))
    if not len(position):
        return position
    boundary = np.ones(len(position), dtype=bool)
    boundary[1:] = sorted_group[1:] != sorted_group[:-1]
    return position - np.maximum.accumulate(np.where(boundary, position, 0))


def _group_then_best_key(group, score) -> np.ndarray:
    """One float64 key that sorts by group, then by descending score.

    Scores lie in [0, 1], so ``group + (1 − score) / 2`` never crosses into the next group;
    float64 keeps float32 score differences distinct for groups up to 10⁸. A single-key
    sort is several times faster than ``np.lexsort`` on two keys.
    """
    return np.asarray(group, dtype=np.float64) + (1.0 - np.asarray(score, dtype=np.float64)) * 0.5


def block_size_for(n_vacancies: int, memory_budget_mb: float) -> int:
    # ~40 bytes per (seeker, vacancy) cell: distance, five masks, codes and temporaries.
    return int(max(1, memory_budget_mb * 1e6 // (40 * max(n_vacancies, 1))))


def _feasible_pairs(seekers, vacancies, lo: int, hi: int, counts: np.ndarray, max_travel_km, near_misses=False):
    """Feasible (seeker, vacancy, road km) for seekers lo…hi; fills their rows of *counts*.
    With *near_misses*, a fourth item: the block's :class:`NearMisses`."""
    codes, failing, chord_sq = knockout_codes(seekers, vacancies, np.arange(lo, hi), max_travel_km=max_travel_km)
    for reason, mask in failing.items():
        counts[lo:hi, reason] = mask.sum(axis=1)
    feasible = codes == Knockout.FEASIBLE
    counts[lo:hi, Knockout.FEASIBLE] = feasible.sum(axis=1)
    local_s, v = np.nonzero(feasible)
    found = (local_s + lo).astype(np.int32), v, pair_road_km(seekers, vacancies, local_s + lo, v)
    if not near_misses:
        return found
    return (*found, near_miss_pairs(failing, chord_sq, lo))


def near_miss_pairs(failing: dict, chord_sq: np.ndarray, lo: int) -> NearMisses:
    """The pairs of a knock-out block (seekers from *lo*) blocked only by must-haves or Dutch."""
    blocked_elsewhere = (failing[Knockout.NO_CONSENT] | failing[Knockout.HOURS] | failing[Knockout.TRAVEL]
                         | failing[Knockout.SECTOR_EXCLUDED])
    near = ~blocked_elsewhere & (failing[Knockout.MUST_HAVE] | failing[Knockout.LANGUAGE])
    local_s, v = np.nonzero(near)
    return NearMisses(seeker=(local_s + lo).astype(np.int32), vacancy=v.astype(np.int32),
                      distance_km=road_distance_km(chord_sq[local_s, v]))


def generate_candidates(seekers: SeekerArrays, vacancies: VacancyArrays, score_fn: PairScoreFn, *,
                        top_k: int = 100, per_opening: int = 20, memory_budget_mb: float = 256.0,
                        timer: StageTimer | None = None, max_travel_km: float | None = None,
                        keep_near_misses: bool = False) -> CandidateGraph:
    """Knock-outs, scoring, top-k per seeker and best candidates per vacancy, block by block.

    A pair is kept if it is among its seeker's *top_k* or among its vacancy's
    ``per_opening × openings`` best. The second rule keeps vacancies that nobody ranks
    highly from being starved of candidates, which top-k per seeker alone does: on the
    default demo market, top-40 alone reaches 87 % of the full-graph optimum, the
    defaults (100 per seeker, 20 per opening) 99.4 %.

    Parameters
    ----------
    score_fn : callable
        ``score_fn(seekers, vacancies, seeker_index, vacancy_index, distance_km) → scores``,
        e.g. a :class:`FeatureScorer`.
    top_k : int
        Candidates kept per seeker (the best by score).
    per_opening : int
        Candidates kept per vacancy opening (0 disables the per-vacancy rule).
    memory_budget_mb : float
        Bound on the per-block working memory.
    max_travel_km : float, optional
        A programme's travel cap on top of each seeker's own maximum.
    keep_near_misses : bool
        Also keep the pairs blocked only by must-haves or Dutch (``graph.near_misses``),
        so training pathways need not run the knock-outs a second time.
    """
    if top_k < 1:
        raise ValueError(f"top_k: must be at least 1, got {top_k}")
    timer = timer or StageTimer()
    block = block_size_for(vacancies.n, memory_budget_mb)
    counts = np.zeros((seekers.n, N_REASONS), dtype=np.int32)
    vacancy_limit = per_opening * vacancies.openings.astype(np.int64)
    parts = []
    best_for_vacancy = tuple(np.empty(0, dtype=t) for t in (np.int32, np.int32, np.float32, np.float32))
    # A pair enters a vacancy's running list only if it beats that list's current worst.
    vacancy_cutoff = np.full(vacancies.n, -np.inf, dtype=np.float32)
    near: list[NearMisses] = []
    for start in range(0, seekers.n, block):
        stop = min(start + block, seekers.n)
        with timer.stage("knock-outs"):
            found = map_ranges(lambda lo, hi: _feasible_pairs(seekers, vacancies, lo, hi, counts, max_travel_km,
                                                              keep_near_misses),
                               start, stop, rows_per_unit=vacancies.n)
            s, v, d = (np.concatenate([f[i] for f in found]) for i in range(3))
            if keep_near_misses:
                near.extend(f[3] for f in found)
        with timer.stage("scoring"):
            score = score_pairs(score_fn, seekers, vacancies, s, v, d)
        with timer.stage("top-k"):
            keep = _top_k_within(s, score, top_k)
            parts.append((s[keep], v[keep].astype(np.int32), score[keep], d[keep]))
            if per_opening > 0:
                # Running per-vacancy best across blocks: merge, then cut back to the limit.
                entering = score > vacancy_cutoff[v]
                pool = [np.concatenate([old, new[entering]]) for old, new in
                        zip(best_for_vacancy, (s, v.astype(np.int32), score, d))]
                kept = _top_k_within(pool[1], pool[2], vacancy_limit)
                best_for_vacancy = tuple(a[kept] for a in pool)
                kept_v, kept_score = best_for_vacancy[1], best_for_vacancy[2]
                full = np.bincount(kept_v, minlength=vacancies.n) >= vacancy_limit
                worst = np.full(vacancies.n, np.inf, dtype=np.float32)
                np.minimum.at(worst, kept_v, kept_score)
                vacancy_cutoff = np.where(full, worst, -np.inf).astype(np.float32)
    with timer.stage("top-k"):
        parts.append(best_for_vacancy)
        seeker, vacancy, score, distance = (np.concatenate([p[i] for p in parts]) for i in range(4))
        # A pair can be both a seeker's and a vacancy's pick: drop the second copy, then order.
        pair_key = seeker.astype(np.int64) * vacancies.n + vacancy
        by_pair = np.argsort(pair_key, kind="stable")
        repeat = np.zeros(len(by_pair), dtype=bool)
        repeat[1:] = pair_key[by_pair[1:]] == pair_key[by_pair[:-1]]
        unique = by_pair[~repeat]
        order = unique[np.argsort(_group_then_best_key(seeker[unique], score[unique]), kind="stable")]
        seeker, vacancy, score, distance = seeker[order], vacancy[order], score[order], distance[order]
    return CandidateGraph(seeker=seeker.astype(np.int32), vacancy=vacancy.astype(np.int32),
                          score=score.astype(np.float32), distance_km=distance.astype(np.float32),
                          n_seekers=seekers.n, n_vacancies=vacancies.n, knockout_counts=counts, top_k=top_k,
                          near_misses=NearMisses.concatenate(near) if keep_near_misses else None)
