"""Training pathways: seeker → training offer → vacancy, generated and scored in bulk.

A pathway is worth proposing in two situations, and only those are generated:

* **unlock** — the pair fails the knock-outs *only* on a missing must-have certificate or
  on the Dutch level, and one eligible training grants exactly what is missing;
* **boost** — the pair is already a candidate, and a training raises soft skills the
  vacancy weighs where the seeker falls short (or grants a nice-to-have).

Each pathway is scored by the same scorer as direct pairs, on the seeker's profile *after*
the training (levels + uplift, hard skills + the granted one, Dutch + its uplift), times
the programme's assumed completion rate. Pathways that do not beat the same pair's direct
score are dropped: they would spend a seat and money for nothing. The best
``per_seeker`` pathways of each seeker are kept.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from matching.bits import packed
from matching.candidates import (CandidateGraph, NearMisses, _top_k_within, block_size_for, knockout_codes,
                                near_miss_pairs)
from matching.parallel import map_ranges, score_pairs
from matching.timing import StageTimer
from passport.population import SeekerArrays, TrainingArrays, VacancyArrays
from passport.taxonomy import MASTERY_MAX

MAX_CEFR_RANK = 6
# A boost must close at least this much importance-weighted shortfall (levels) to be scored.
MIN_GAP_CLOSED = 0.01


@dataclass(frozen=True, eq=False)
class PathwayOptions:
    """Scored pathway options as parallel arrays (one row per seeker–training–vacancy).

    ``score`` is P(success) after the training times the completion rate;
    ``direct_score`` the same pair's direct score (NaN when the pair is knocked out
    directly, i.e. the training unlocks it).
    """

    seeker: np.ndarray
    training: np.ndarray
    vacancy: np.ndarray
    score: np.ndarray
    direct_score: np.ndarray
    distance_km: np.ndarray

    @property
    def n(self) -> int:
        return len(self.seeker)

    @classmethod
    def empty(cls) -> "PathwayOptions":
        i, f = np.empty(0, np.int32), np.empty(0, np.float32)
        return cls(seeker=i, training=i, vacancy=i, score=f, direct_score=f, distance_km=f)

    def take(self, index) -> "PathwayOptions":
        return PathwayOptions(**{f.name: getattr(self, f.name)[index] for f in fields(self)})


def trained_profiles(seekers: SeekerArrays, trainings: TrainingArrays, seeker_index, training_index) -> SeekerArrays:
    """The seekers as they will be after the given trainings: one row per (seeker, training).

    Soft-skill uplift raises the level (capped at the top of the scale) and leaves the
    standard error alone; an unmeasured skill stays unmeasured (a course does not measure
    it) but its prior is lifted too. Granted hard skills are added; Dutch rises by the
    course's CEFR uplift.
    """
    s = np.asarray(seeker_index)
    t = np.asarray(training_index)
    base = seekers.take(s)
    levels = np.minimum(base.levels + trainings.uplift[t], MASTERY_MAX).astype(np.float32)
    dutch = np.minimum(base.dutch_cefr + trainings.dutch_cefr_uplift[t], MAX_CEFR_RANK).astype(np.int8)
    return SeekerArrays(**{**{f.name: getattr(base, f.name) for f in fields(base)},
                           "levels": levels, "hard": base.hard | trainings.grants[t], "dutch_cefr": dutch})


def training_eligibility(seekers: SeekerArrays, trainings: TrainingArrays, *, max_weeks: float | None = None,
                         max_cost_eur: float | None = None) -> np.ndarray:
    """Bool matrix (n_seekers, n_trainings): may this seeker take this offer, and would it add anything?

    Eligible means: included in batch matching, Dutch and education at the offer's
    minimum, holding its prerequisite certificate, the offer has seats, fits the
    programme's duration and budget caps, and it adds something the seeker lacks (a
    certificate not yet held, a higher Dutch level, or soft-skill uplift).
    """
    ok = (seekers.consent_matching[:, None]
          & (seekers.dutch_cefr[:, None] >= trainings.min_dutch_cefr[None, :])
          & (seekers.eqf[:, None] >= trainings.min_eqf[None, :])
          & (trainings.seats[None, :] > 0))
    needs = trainings.prerequisite.astype(np.float32)
    lacking = (~seekers.hard).astype(np.float32)
    ok &= (lacking @ needs.T) < 0.5
    grants_new = ((lacking @ trainings.grants.T.astype(np.float32)) > 0.5)
    adds = (grants_new | (trainings.dutch_cefr_uplift[None, :] > 0)
            | (trainings.uplift.sum(axis=1) > 0)[None, :])
    ok &= adds
    if max_weeks is not None:
        ok &= (trainings.duration_weeks <= max_weeks)[None, :]
    if max_cost_eur is not None:
        ok &= (trainings.cost_eur <= max_cost_eur)[None, :]
    return ok


def _grantor_table(trainings: TrainingArrays, n_hard: int) -> np.ndarray:
    """(n_hard_skills, g) table of the trainings granting each hard skill, −1 padded."""
    holders = [np.flatnonzero(trainings.grants[:, h]) for h in range(n_hard)]
    width = max([len(h) for h in holders] + [1])
    table = np.full((n_hard, width), -1, dtype=np.int32)
    for h, ts in enumerate(holders):
        table[h, : len(ts)] = ts
    return table


def _near_misses_of_block(seekers, vacancies, start, stop, max_travel_km) -> NearMisses:
    _, failing, chord_sq = knockout_codes(seekers, vacancies, np.arange(start, stop), max_travel_km=max_travel_km)
    return near_miss_pairs(failing, chord_sq, start)


def _unlock_triples(seekers, vacancies, trainings, eligible, near: NearMisses):
    """(seeker, training, vacancy, distance) where one training lifts the only knock-out of a near miss."""
    s, v = near.seeker, near.vacancy
    if s.size == 0:
        return None
    # Missing must-haves as packed words: where exactly one is missing, its id is its
    # word's index × 64 plus the bit's position (the set bits below it, counted).
    lacking = packed(vacancies, "must_have")[v] & ~packed(seekers, "hard")[s]
    n_missing = np.bitwise_count(lacking).sum(axis=1)
    cert_pairs = np.flatnonzero(n_missing == 1)
    single = lacking[cert_pairs]
    word = np.argmax(single != 0, axis=1)
    bit = single[np.arange(len(cert_pairs)), word]
    missing_id = word.astype(np.int64) * 64 + np.bitwise_count(bit - np.uint64(1))
    language_gap = vacancies.min_dutch_cefr[v].astype(np.int16) - seekers.dutch_cefr[s]
    parts = []
    # A certificate course may also lift Dutch; whether it lifts it far enough is checked below.
    grantors = _grantor_table(trainings, seekers.hard.shape[1])
    for column in range(grantors.shape[1]):
        t = grantors[missing_id, column]
        keep = t >= 0
        parts.append((cert_pairs[keep], t[keep]))
    language_pairs = np.flatnonzero((n_missing == 0) & (language_gap > 0))
    for t in np.flatnonzero(trainings.dutch_cefr_uplift > 0):
        closes = language_pairs[trainings.dutch_cefr_uplift[t] >= language_gap[language_pairs]]
        parts.append((closes, np.full(len(closes), t, dtype=np.int32)))
    pair = np.concatenate([p[0] for p in parts]).astype(np.int64)
    t = np.concatenate([p[1] for p in parts]).astype(np.int32)
    # A certificate course may still leave the Dutch level short of the vacancy's minimum.
    after_dutch = seekers.dutch_cefr[s[pair]] + trainings.dutch_cefr_uplift[t]
    keep = eligible[s[pair], t] & (after_dutch >= vacancies.min_dutch_cefr[v[pair]])
    pair, t = pair[keep], t[keep]
    return s[pair].astype(np.int32), t, v[pair].astype(np.int32), near.distance_km[pair]


def _boost_triples(seekers, vacancies, trainings, eligible, direct: CandidateGraph, boost_top: int,
                   boost_trainings: int):
    """Trainings that close soft-skill shortfall on a seeker's best direct candidates."""
    best = _top_k_within(direct.seeker, direct.score, boost_top)
    s, v = direct.seeker[best], direct.vacancy[best]
    if s.size == 0:
        return None
    weight = vacancies.importance[v]
    share = weight / weight.sum(axis=1, keepdims=True)
    shortfall = np.maximum(vacancies.required[v] - seekers.levels[s], 0.0)
    uplift = trainings.uplift.astype(np.float32)
    closed = np.zeros((len(s), trainings.n), dtype=np.float32)
    # Gap closed by each training: Σ_k share_k · min(uplift_tk, shortfall_k), over the
    # skills it lifts only: a course lifts one or two of the twenty, so this is a tenth
    # of the dense (pairs × trainings × skills) product.
    for t, k in zip(*np.nonzero(uplift > 0)):
        closed[:, t] += share[:, k] * np.minimum(uplift[t, k], shortfall[:, k])
    nice_granted = ((vacancies.nice_to_have[v] & ~seekers.hard[s]).astype(np.float32)
                    @ trainings.grants.T.astype(np.float32)) > 0.5
    gain = np.where(eligible[s], closed + 0.05 * nice_granted, 0.0)
    gain[gain < MIN_GAP_CLOSED] = 0.0
    top = np.argsort(-gain, axis=1, kind="stable")[:, :boost_trainings]
    row = np.repeat(np.arange(len(s)), top.shape[1])
    t = top.ravel().astype(np.int32)
    keep = gain[row, t] > 0
    row, t = row[keep], t[keep]
    return s[row], t, v[row], direct.distance_km[best][row], direct.score[best][row]


def _distinct_combos(combo: np.ndarray, n_cells: int):
    """``np.unique(combo, return_inverse=True)`` for seeker × training cells.

    Seekers × trainings is a small grid (6,000 × 40 regionally), so marking the cells
    used and numbering them by a running count is linear, where ``np.unique`` sorts all
    ~900,000 pathways (36 of 40 ms).
    """
    if n_cells > 64 * max(len(combo), 1):
        return np.unique(combo, return_inverse=True)
    used = np.zeros(n_cells, dtype=bool)
    used[combo] = True
    row_of_cell = np.cumsum(used, dtype=np.int64) - 1
    return np.flatnonzero(used), row_of_cell[combo]


def generate_pathways(seekers: SeekerArrays, vacancies: VacancyArrays, trainings: TrainingArrays, score_fn,
                      direct: CandidateGraph, *, eligible: np.ndarray, completion_rate: float = 0.85,
                      per_seeker: int = 30, boost_top: int = 10, boost_trainings: int = 3,
                      max_travel_km: float | None = None, memory_budget_mb: float = 256.0,
                      timer: StageTimer | None = None) -> PathwayOptions:
    """Unlock and boost pathways, scored after training; the best ``per_seeker`` per seeker.

    Parameters
    ----------
    direct : CandidateGraph
        The direct candidates (from :func:`matching.candidates.generate_candidates`).
    eligible : ndarray of shape (n_seekers, n_trainings), bool
        From :func:`training_eligibility`.
    completion_rate : float
        Multiplies the after-training P(success): not everyone finishes a course.
    """
    timer = timer or StageTimer()
    if trainings.n == 0 or not eligible.any():
        return PathwayOptions.empty()
    with timer.stage("pathways: generate"):
        parts = []
        near = direct.near_misses
        if near is None:  # the direct graph was built without them: run the knock-outs again
            block = block_size_for(vacancies.n, memory_budget_mb)
            near = NearMisses.concatenate([
                found for start in range(0, seekers.n, block)
                for found in map_ranges(lambda lo, hi: _near_misses_of_block(seekers, vacancies, lo, hi,
                                                                             max_travel_km),
                                        start, min(start + block, seekers.n), rows_per_unit=vacancies.n)])
        found = _unlock_triples(seekers, vacancies, trainings, eligible, near)
        if found is not None:
            parts.append((*found, np.full(len(found[0]), np.nan, dtype=np.float32)))
        boost = _boost_triples(seekers, vacancies, trainings, eligible, direct, boost_top, boost_trainings)
        if boost is not None:
            parts.append(boost)
        if not parts:
            return PathwayOptions.empty()
        s, t, v, d, direct_score = (np.concatenate([p[i] for p in parts]) for i in range(5))
    with timer.stage("pathways: scoring"):
        unique_combo, combo_row = _distinct_combos(s.astype(np.int64) * trainings.n + t, seekers.n * trainings.n)
        after = trained_profiles(seekers, trainings, unique_combo // trainings.n, unique_combo % trainings.n)
        score = score_pairs(score_fn, after, vacancies, combo_row, v, d) * np.float32(completion_rate)
    with timer.stage("pathways: top-k"):
        # Dominated pathways (no better than going straight) would only spend seats.
        useful = np.isnan(direct_score) | (score > direct_score)
        options = PathwayOptions(seeker=s.astype(np.int32), training=t.astype(np.int32), vacancy=v.astype(np.int32),
                                 score=score, direct_score=direct_score.astype(np.float32),
                                 distance_km=d.astype(np.float32)).take(np.flatnonzero(useful))
        keep = _top_k_within(options.seeker, options.score, per_seeker)
        return options.take(keep)


__all__ = ["PathwayOptions", "generate_pathways", "trained_profiles", "training_eligibility"]
