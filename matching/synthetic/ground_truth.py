"""The hidden outcome model of the synthetic market.

``GroundTruth`` knows each seeker's *true* soft skills and every vacancy's full
occupation profile (including the essential skills an employer did not list as
must-have). It answers one question: the probability that a given seeker placed in a
given vacancy is still working there after six months. Only metrics and benchmarks may
call it; scorers receive the observed passport arrays and never this object.

The model is deliberately *not* the rule-based scorer: it adds effects a passport cannot
show (dependability and stress tolerance matter in every job, missing on-the-job skills
hurt even when the employer did not ask for them, long commutes cause drop-out) so that
any scorer is tested against a truth it does not contain.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from matching.pathways import trained_profiles
from passport.geography import haversine_km, road_km
from passport.population import SeekerArrays, VacancyArrays


@dataclass(frozen=True, eq=False)
class GroundTruth:
    """True profiles and the outcome model. See the module docstring for who may use it."""

    true_levels: np.ndarray          # (n_seekers, n_soft_skills)
    occupation_essential: np.ndarray  # (n_occupations, n_hard_skills)
    occupation_levels: np.ndarray     # (n_occupations, n_soft_skills)
    occupation_eqf: np.ndarray        # (n_occupations,)
    dependability_index: int
    stress_tolerance_index: int
    intercept: float = 1.4
    shortfall_weight: float = 2.6
    surplus_weight: float = 0.25
    universal_weight: float = 0.35
    missing_skill_weight: float = 0.55
    nice_to_have_weight: float = 0.4
    language_weight: float = 0.45
    commute_weight_per_km: float = 0.03
    sector_motivation: float = 0.45
    education_weight: float = 0.12
    completion_base: float = 0.93
    completion_loss_per_week: float = 0.012

    def logit(self, seekers: SeekerArrays, vacancies: VacancyArrays, seeker_index, vacancy_index, *,
              true_levels=None) -> np.ndarray:
        """Log-odds of a lasting placement; *true_levels* (one row per pair) overrides the
        stored true profile, for people whose skills a training has changed."""
        s = np.asarray(seeker_index)
        v = np.asarray(vacancy_index)
        true = self.true_levels[s] if true_levels is None else np.asarray(true_levels)
        required = vacancies.required[v]
        weight = vacancies.importance[v]
        gap = required - true
        # Shortfall hurts more than linearly: a full level short is far worse than two halves.
        shortfall = np.maximum(gap, 0.0)
        shortfall = (weight * (shortfall + 0.5 * shortfall**2)).sum(axis=1) / weight.sum(axis=1)
        surplus = (weight * np.minimum(np.maximum(-gap, 0.0), 1.0)).sum(axis=1) / weight.sum(axis=1)
        universal = (true[:, self.dependability_index] - 3.0) + 0.5 * (true[:, self.stress_tolerance_index] - 3.0)

        occupation = vacancies.occupation[v]
        has = seekers.hard[s]
        missing_essential = (self.occupation_essential[occupation] & ~has).sum(axis=1)
        nice = vacancies.nice_to_have[v]
        n_nice = nice.sum(axis=1)
        nice_coverage = np.where(n_nice > 0, (nice & has).sum(axis=1) / np.maximum(n_nice, 1), 1.0)

        language_gap = np.maximum(vacancies.min_dutch_cefr[v].astype(float) - seekers.dutch_cefr[s], 0.0)
        distance = road_km(haversine_km(seekers.lat[s], seekers.lon[s], vacancies.lat[v], vacancies.lon[v]))
        motivated = seekers.sector_pref[s, vacancies.sector[v]]
        education_gap = np.minimum(seekers.eqf[s].astype(float) - self.occupation_eqf[occupation], 0.0)

        return (
            self.intercept
            - self.shortfall_weight * shortfall
            + self.surplus_weight * surplus
            + self.universal_weight * universal
            - self.missing_skill_weight * missing_essential
            + self.nice_to_have_weight * nice_coverage
            - self.language_weight * language_gap
            - self.commute_weight_per_km * distance
            + self.sector_motivation * motivated
            + self.education_weight * education_gap
        )

    def probability(self, seekers: SeekerArrays, vacancies: VacancyArrays, seeker_index, vacancy_index) -> np.ndarray:
        """P(placement lasts six months) for each (seeker, vacancy) pair."""
        return 1.0 / (1.0 + np.exp(-self.logit(seekers, vacancies, seeker_index, vacancy_index)))

    def completion(self, trainings, training_index) -> np.ndarray:
        """True chance of finishing a training: longer courses lose more people."""
        weeks = np.asarray(trainings.duration_weeks, dtype=float)[np.asarray(training_index)]
        return np.clip(self.completion_base - self.completion_loss_per_week * weeks, 0.4, 0.97)

    def probability_via_training(self, seekers: SeekerArrays, vacancies: VacancyArrays, trainings, seeker_index,
                                 training_index, vacancy_index) -> np.ndarray:
        """P(the seeker finishes the training and the placement then lasts six months).

        The training's nominal uplift is taken as its true effect on the true profile;
        granted certificates and Dutch uplift count as held.
        """
        s, t = np.asarray(seeker_index), np.asarray(training_index)
        after = trained_profiles(seekers, trainings, s, t)
        true_after = np.minimum(self.true_levels[s] + trainings.uplift[t], 5.0)
        local = np.arange(len(s))
        p = 1.0 / (1.0 + np.exp(-self.logit(after, vacancies, local, vacancy_index, true_levels=true_after)))
        return self.completion(trainings, t) * p
