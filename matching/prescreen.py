"""A cheap stand-in for the scorer, to choose which pairs are worth scoring exactly.

Scoring every reachable pair exactly costs tens of minutes at national scale. The pre-screen
approximates the scorer's log-odds by a linear model over terms that are cheap because
most of them depend on the vacancy only through its *type* (:mod:`matching.vacancy_types`):

* soft-skill fit against the vacancy's occupation, using the occupation's average
  requirements (probability of meeting them, expected shortfall and surplus) —
  ``seekers × occupations``, not ``seekers × vacancies``;
* nice-to-have coverage, language and education steps, sector preference, hours overlap —
  ``seekers × types``;
* how much harder the vacancy is than its occupation's average — one number per vacancy;
* travel as a share of the seeker's own limit — the only true pair term.

The weights are fitted by least squares to the real scorer's log-odds on a sample of
feasible pairs, so the same pre-screen serves the rule-based scorer and a learned model.
Its errors only decide which pairs get an exact score; the recall of the exact top-k is
measured, not assumed (:func:`matching.pruned.candidate_recall`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from matching.bits import count_bits, packed, set_count
from matching.features import skill_fit_terms
from matching.vacancy_types import VacancyTypes
from passport.population import SeekerArrays, VacancyArrays

TYPE_TERMS = ("fit_p_meet", "fit_shortfall", "fit_surplus", "nice_to_have_coverage", "language_steps",
              "education_steps", "sector_match", "hours_overlap")
VACANCY_TERM = "requirement_above_occupation"
PAIR_TERM = "travel_ratio"
TERMS = TYPE_TERMS + (VACANCY_TERM, PAIR_TERM)
# Used only when the sample has too few feasible pairs to fit: the rule-based scorer's signs
# and rough sizes, so the ordering stays sensible.
FALLBACK_WEIGHTS = np.array([-2.0, 2.0, -2.5, 0.3, 0.5, 0.2, 0.1, 0.4, 0.0, -1.0, -1.0])
MIN_FIT_PAIRS = 200


@dataclass(frozen=True, eq=False)
class OccupationProxies:
    """Average requirement and importance of each occupation's vacancies, shape (n_occupations, K)."""

    required: np.ndarray
    importance: np.ndarray
    weight_sum: np.ndarray

    @classmethod
    def from_vacancies(cls, vacancies: VacancyArrays) -> "OccupationProxies":
        n_occupations = int(vacancies.occupation.max()) + 1 if vacancies.n else 1
        per_occupation = np.bincount(vacancies.occupation, minlength=n_occupations).astype(np.float64)
        required = _sum_rows_by(vacancies.occupation, vacancies.required, n_occupations)
        importance = _sum_rows_by(vacancies.occupation, vacancies.importance, n_occupations)
        denominator = np.maximum(per_occupation, 1.0)[:, None]
        required, importance = required / denominator, importance / denominator
        # Occupations without vacancies are never looked up; give them a harmless profile.
        importance[per_occupation == 0] = 1.0
        return cls(required=required.astype(np.float32), importance=importance.astype(np.float32),
                   weight_sum=importance.sum(axis=1).astype(np.float32))

    def requirement_above(self, vacancies: VacancyArrays) -> np.ndarray:
        """Importance-weighted mean of (vacancy requirement − occupation average), per vacancy."""
        weight = vacancies.importance
        excess = (weight * (vacancies.required - self.required[vacancies.occupation])).sum(axis=1)
        return (excess / weight.sum(axis=1)).astype(np.float32)


def _sum_rows_by(group: np.ndarray, values: np.ndarray, n_groups: int) -> np.ndarray:
    out = np.zeros((n_groups, values.shape[1]), dtype=np.float64)
    np.add.at(out, group, values)
    return out


def type_terms(seekers: SeekerArrays, seeker_bits: np.ndarray, rows: np.ndarray, types: VacancyTypes,
               proxies: OccupationProxies) -> np.ndarray:
    """The :data:`TYPE_TERMS` for a block of seekers against every type: ``(n_block, n_types, 8)``."""
    skill_terms, weight, other_terms = _type_term_parts(seekers, seeker_bits, rows, types, proxies)
    occupation_fit = [np.einsum("bok,ok->bo", term, weight)[:, types.occupation] for term in skill_terms]
    return np.stack(occupation_fit + other_terms, axis=2).astype(np.float32, copy=False)


def type_log_odds(seekers: SeekerArrays, seeker_bits: np.ndarray, rows: np.ndarray, types: VacancyTypes,
                  proxies: OccupationProxies, prescreen: "Prescreen") -> np.ndarray:
    """``prescreen``'s log-odds per (seeker, type) without the vacancy and travel terms, ``(n_block, n_types)``.

    Equal to ``type_terms(...) @ prescreen.type_weights + intercept`` up to float rounding,
    without the ``(n_block, n_types, 8)`` table: the terms are combined per skill and per
    type in one compiled pass (:func:`matching.pair_kernels.type_table`).
    """
    # Imported here: the pre-screen's other user, the API's per-seeker shortlist, then never
    # loads Numba (1.7 s and ~100 MB per process).
    from matching.pair_kernels import type_table

    skill_terms, weight, other_terms = _type_term_parts(seekers, seeker_bits, rows, types, proxies)
    return type_table(skill_terms, weight, prescreen.type_weights, types.occupation, other_terms, prescreen.intercept)


def _type_term_parts(seekers, seeker_bits, rows, types, proxies):
    """Per-skill soft-skill terms against each occupation's average, the skill weights, and
    the other type terms (nice-to-have coverage, language, education, sector, hours)."""
    levels, se = seekers.levels[rows][:, None, :], seekers.se[rows][:, None, :]
    skill_terms = skill_fit_terms(levels, se, proxies.required[None, :, :])
    weight = proxies.importance / proxies.weight_sum[:, None]

    held = np.zeros((len(rows), types.n), dtype=np.float32)
    for word in range(types.nice_bits.shape[1]):
        held += np.bitwise_count(types.nice_bits[None, :, word] & seeker_bits[rows, word][:, None])
    n_nice = np.bitwise_count(types.nice_bits).sum(axis=1).astype(np.float32)
    coverage = np.where(n_nice > 0, held / np.maximum(n_nice, 1.0), np.float32(1.0))

    language = np.clip(seekers.dutch_cefr[rows, None].astype(np.float32) - types.min_dutch_cefr[None, :], 0.0, 2.0)
    education = np.clip(seekers.eqf[rows, None].astype(np.float32) - types.min_eqf[None, :], -2.0, 2.0)
    sector = seekers.sector_pref[rows][:, types.sector].astype(np.float32)
    overlap = (np.minimum(seekers.hours_max[rows, None], types.hours_max[None, :])
               - np.maximum(seekers.hours_min[rows, None], types.hours_min[None, :])).astype(np.float32)
    span = np.maximum(types.hours_max - types.hours_min, 1).astype(np.float32)
    hours = np.clip(overlap / span[None, :], 0.0, 1.0)
    other_terms = [np.asarray(t, dtype=np.float32) for t in (coverage, language, education, sector, hours)]
    return skill_terms, weight.astype(np.float32), other_terms


def pair_terms(seekers: SeekerArrays, vacancies: VacancyArrays, seeker_index, vacancy_index, travel_ratio,
               proxies: OccupationProxies, requirement_above: np.ndarray) -> np.ndarray:
    """All :data:`TERMS` for given pairs, ``(n_pairs, len(TERMS))`` float32.

    The same quantities as :func:`type_terms` plus the vacancy and travel terms, read per
    pair instead of per type: for a few seekers against many vacancies there is nothing
    to gain from grouping vacancies first.
    """
    s, v = np.asarray(seeker_index), np.asarray(vacancy_index)
    out = np.empty((len(s), len(TERMS)), dtype=np.float32)
    if len(s) == 0:
        return out
    people, local = np.unique(s, return_inverse=True)
    p_meet, shortfall, surplus = skill_fit_terms(seekers.levels[people][:, None, :], seekers.se[people][:, None, :],
                                                 proxies.required[None, :, :])
    weight = proxies.importance[None, :, :] / proxies.weight_sum[None, :, None]
    occupation = vacancies.occupation[v]
    for column, term in enumerate((p_meet, shortfall, surplus)):
        out[:, column] = (weight * term).sum(axis=2)[local, occupation]

    # Packed bits: one AND and popcount per 64 hard skills instead of a (pairs × hard skills) table.
    n_nice = set_count(vacancies, "nice_to_have")[v]
    held = count_bits(packed(vacancies, "nice_to_have")[v] & packed(seekers, "hard")[s])
    out[:, 3] = np.where(n_nice > 0, held / np.maximum(n_nice, 1.0), 1.0)
    out[:, 4] = np.clip(seekers.dutch_cefr[s].astype(np.float32) - vacancies.min_dutch_cefr[v], 0.0, 2.0)
    out[:, 5] = np.clip(seekers.eqf[s].astype(np.float32) - vacancies.min_eqf[v], -2.0, 2.0)
    out[:, 6] = seekers.sector_pref[s, vacancies.sector[v]]
    overlap = (np.minimum(seekers.hours_max[s], vacancies.hours_max[v])
               - np.maximum(seekers.hours_min[s], vacancies.hours_min[v])).astype(np.float32)
    span = np.maximum(vacancies.hours_max[v] - vacancies.hours_min[v], 1).astype(np.float32)
    out[:, 7] = np.clip(overlap / span, 0.0, 1.0)
    out[:, 8] = requirement_above[v]
    out[:, 9] = travel_ratio
    return out


@dataclass(frozen=True)
class Prescreen:
    """Fitted weights: intercept, then one per :data:`TERMS`; and how they were obtained."""

    weights: np.ndarray
    n_fit_pairs: int
    r_squared: float

    @property
    def intercept(self) -> float:
        return float(self.weights[0])

    @property
    def type_weights(self) -> np.ndarray:
        return self.weights[1:1 + len(TYPE_TERMS)].astype(np.float32)

    @property
    def vacancy_weight(self) -> float:
        return float(self.weights[1 + len(TYPE_TERMS)])

    @property
    def travel_weight(self) -> float:
        return float(self.weights[-1])

    def estimate(self, terms: np.ndarray) -> np.ndarray:
        """Log-odds estimate for rows of all :data:`TERMS` (see :func:`pair_terms`)."""
        return terms @ self.weights[1:].astype(np.float32) + np.float32(self.intercept)


def fit_prescreen(terms: np.ndarray, score: np.ndarray) -> Prescreen:
    """Least-squares weights for ``logit(score) ≈ w₀ + Σ wᵢ · termᵢ``.

    Parameters
    ----------
    terms : ndarray of shape (n_pairs, len(TERMS))
    score : ndarray of shape (n_pairs,), the scorer's probabilities for the same pairs
    """
    terms = np.asarray(terms, dtype=np.float64)
    score = np.asarray(score, dtype=np.float64)
    if terms.ndim != 2 or terms.shape[1] != len(TERMS):
        raise ValueError(f"terms: expected shape (n_pairs, {len(TERMS)}), got {terms.shape}")
    if score.shape != (len(terms),):
        raise ValueError(f"score: expected shape ({len(terms)},), got {score.shape}")
    if len(terms) < MIN_FIT_PAIRS:
        return Prescreen(weights=FALLBACK_WEIGHTS.copy(), n_fit_pairs=len(terms), r_squared=float("nan"))
    p = np.clip(score, 1e-6, 1.0 - 1e-6)
    target = np.log(p / (1.0 - p))
    design = np.column_stack([np.ones(len(terms)), terms])
    weights, *_ = np.linalg.lstsq(design, target, rcond=None)
    residual = target - design @ weights
    total = ((target - target.mean()) ** 2).sum()
    r_squared = 1.0 - (residual ** 2).sum() / total if total > 0 else 1.0
    return Prescreen(weights=weights, n_fit_pairs=len(terms), r_squared=float(r_squared))
