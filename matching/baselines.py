"""Peer matchers measured beside ours in every run.

Both apply the same knock-outs and the same optimal solver, so the only difference is
the score: the random matcher knows nothing; the diploma/hard-skills matcher scores the
way job boards match today, on education level, certificates and distance, blind to
soft skills.
"""

from __future__ import annotations

import numpy as np

from passport.population import SeekerArrays, VacancyArrays


class RandomScorer:
    """Uniform random scores: a feasible but uninformed assignment."""

    def __init__(self, random_state: int = 0):
        self.rng = np.random.default_rng(random_state)

    def __call__(self, seekers, vacancies, seeker_index, vacancy_index, distance_km):
        return self.rng.uniform(0.01, 1.0, size=len(seeker_index)).astype(np.float32)


class DiplomaScorer:
    """Education level, hard-skill coverage and distance: how job boards rank today."""

    thread_safe = True

    def __call__(self, seekers: SeekerArrays, vacancies: VacancyArrays, seeker_index, vacancy_index, distance_km):
        s, v = np.asarray(seeker_index), np.asarray(vacancy_index)
        eqf_gap = seekers.eqf[s].astype(np.float32) - vacancies.min_eqf[v]
        education = np.clip(0.5 + 0.25 * eqf_gap, 0.0, 1.0)
        listed = vacancies.must_have[v] | vacancies.nice_to_have[v]
        n_listed = listed.sum(axis=1)
        coverage = np.where(n_listed > 0, (listed & seekers.hard[s]).sum(axis=1) / np.maximum(n_listed, 1), 1.0)
        proximity = 1.0 - np.clip(np.asarray(distance_km) / seekers.max_travel_km[s], 0.0, 1.0)
        return (0.05 + 0.45 * education + 0.35 * coverage + 0.15 * proximity).astype(np.float32) / 1.0
