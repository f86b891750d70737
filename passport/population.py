"""Array views of populations of seekers, vacancies and training offers.

The hot paths (candidate generation, scoring, assignment) work on these: one row per
person / vacancy / offer, soft-skill columns in taxonomy order, hard skills as boolean
indicator matrices. Protected attributes are deliberately absent: they live in a
separate table owned by the fairness metrics, so no scorer can reach them.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
import pandas as pd

from passport.models import Passport, TrainingOffer, Vacancy
from passport.taxonomy import CEFR_LEVELS, Taxonomy, cefr_rank


def _check_rows(obj, n: int) -> None:
    for f in fields(obj):
        value = getattr(obj, f.name)
        if isinstance(value, np.ndarray) and value.shape[:1] != (n,):
            raise ValueError(f"{type(obj).__name__}.{f.name}: expected {n} rows, got shape {value.shape}")


def _take(obj, index):
    index = np.asarray(index)
    return type(obj)(**{f.name: getattr(obj, f.name)[index] for f in fields(obj)})


@dataclass(frozen=True)
class SeekerArrays:
    """Job seekers as parallel arrays (``n`` rows).

    ``levels`` and ``se`` are the *observed* passport (shape ``(n, n_soft_skills)``);
    unmeasured skills carry the population prior and ``measured`` is False there.
    """

    ids: np.ndarray
    levels: np.ndarray
    se: np.ndarray
    measured: np.ndarray
    hard: np.ndarray
    eqf: np.ndarray
    dutch_cefr: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    max_travel_km: np.ndarray
    hours_min: np.ndarray
    hours_max: np.ndarray
    sector_pref: np.ndarray
    sector_excluded: np.ndarray
    consent_matching: np.ndarray

    def __post_init__(self):
        _check_rows(self, len(self.ids))
        if self.levels.shape != self.se.shape:
            raise ValueError("SeekerArrays.se must have the shape of levels")
        if np.any(self.se <= 0):
            raise ValueError("SeekerArrays.se must be positive")

    @property
    def n(self) -> int:
        return len(self.ids)

    def take(self, index) -> "SeekerArrays":
        return _take(self, index)

    @classmethod
    def from_passports(cls, passports: list[Passport], taxonomy: Taxonomy) -> "SeekerArrays":
        """Stack passports (edge objects) into arrays; references are checked first."""
        n, sectors = len(passports), taxonomy.sectors
        levels = np.empty((n, taxonomy.n_soft_skills))
        se, measured = np.empty_like(levels), np.empty(levels.shape, dtype=bool)
        hard = np.zeros((n, taxonomy.n_hard_skills), dtype=bool)
        sector_pref = np.zeros((n, len(sectors)), dtype=bool)
        sector_excluded = np.zeros((n, len(sectors)), dtype=bool)
        for i, p in enumerate(passports):
            p.check_references(taxonomy)
            levels[i], se[i], measured[i] = p.profile.to_arrays(taxonomy)
            hard[i] = taxonomy.hard_skill_mask(c.hard_skill_id for c in p.hard_skills)
            wanted = p.preferences.sectors or sectors
            sector_pref[i] = [s in wanted for s in sectors]
            sector_excluded[i] = [s in p.preferences.excluded_sectors for s in sectors]
        return cls(
            ids=np.array([p.passport_id for p in passports], dtype=object),
            levels=levels.astype(np.float32), se=se.astype(np.float32), measured=measured, hard=hard,
            eqf=np.array([p.education_eqf for p in passports], dtype=np.int8),
            dutch_cefr=np.array([p.dutch_cefr() for p in passports], dtype=np.int8),
            lat=np.array([p.location.lat for p in passports]), lon=np.array([p.location.lon for p in passports]),
            max_travel_km=np.array([p.preferences.max_travel_km for p in passports], dtype=np.float32),
            hours_min=np.array([p.preferences.hours_min for p in passports], dtype=np.int16),
            hours_max=np.array([p.preferences.hours_max for p in passports], dtype=np.int16),
            sector_pref=sector_pref, sector_excluded=sector_excluded,
            consent_matching=np.array([p.consent.include_in_batch_matching for p in passports], dtype=bool),
        )


@dataclass(frozen=True)
class VacancyArrays:
    """Vacancies as parallel arrays (``n`` rows); ``openings`` is the capacity."""

    ids: np.ndarray
    occupation: np.ndarray
    sector: np.ndarray
    required: np.ndarray
    importance: np.ndarray
    must_have: np.ndarray
    nice_to_have: np.ndarray
    min_dutch_cefr: np.ndarray
    min_eqf: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    hours_min: np.ndarray
    hours_max: np.ndarray
    openings: np.ndarray

    def __post_init__(self):
        _check_rows(self, len(self.ids))
        if np.any(self.openings < 1):
            raise ValueError("VacancyArrays.openings must be at least 1")
        if np.any(self.importance.sum(axis=1) <= 0):
            raise ValueError("VacancyArrays.importance: every vacancy needs a positive importance")

    @property
    def n(self) -> int:
        return len(self.ids)

    def take(self, index) -> "VacancyArrays":
        return _take(self, index)

    @classmethod
    def from_vacancies(cls, vacancies: list[Vacancy], taxonomy: Taxonomy) -> "VacancyArrays":
        for v in vacancies:
            v.check_references(taxonomy)
        skill_ids = taxonomy.skill_ids
        sectors = taxonomy.sectors
        occupation = np.array([taxonomy.occupation_ids.index(v.occupation_id) for v in vacancies], dtype=np.int16)
        return cls(
            ids=np.array([v.vacancy_id for v in vacancies], dtype=object),
            occupation=occupation,
            sector=np.array([sectors.index(taxonomy.occupations["sector"].iloc[o]) for o in occupation], dtype=np.int8),
            required=np.array([[v.requirements[s].level for s in skill_ids] for v in vacancies], dtype=np.float32)
            .reshape(len(vacancies), len(skill_ids)),
            importance=np.array([[v.requirements[s].importance for s in skill_ids] for v in vacancies],
                                dtype=np.float32).reshape(len(vacancies), len(skill_ids)),
            must_have=np.array([taxonomy.hard_skill_mask(v.must_have) for v in vacancies], dtype=bool)
            .reshape(len(vacancies), taxonomy.n_hard_skills),
            nice_to_have=np.array([taxonomy.hard_skill_mask(v.nice_to_have) for v in vacancies], dtype=bool)
            .reshape(len(vacancies), taxonomy.n_hard_skills),
            min_dutch_cefr=np.array([cefr_rank(v.min_dutch_cefr) for v in vacancies], dtype=np.int8),
            min_eqf=np.array([v.min_eqf for v in vacancies], dtype=np.int8),
            lat=np.array([v.location.lat for v in vacancies]), lon=np.array([v.location.lon for v in vacancies]),
            hours_min=np.array([v.hours_min for v in vacancies], dtype=np.int16),
            hours_max=np.array([v.hours_max for v in vacancies], dtype=np.int16),
            openings=np.array([v.openings for v in vacancies], dtype=np.int32),
        )


@dataclass(frozen=True)
class TrainingArrays:
    """Training offers as parallel arrays; ``seats`` is the capacity."""

    ids: np.ndarray
    uplift: np.ndarray
    grants: np.ndarray
    prerequisite: np.ndarray
    dutch_cefr_uplift: np.ndarray
    duration_weeks: np.ndarray
    cost_eur: np.ndarray
    seats: np.ndarray
    min_dutch_cefr: np.ndarray
    min_eqf: np.ndarray

    def __post_init__(self):
        _check_rows(self, len(self.ids))

    @property
    def n(self) -> int:
        return len(self.ids)

    def take(self, index) -> "TrainingArrays":
        return _take(self, index)

    @classmethod
    def from_taxonomy(cls, taxonomy: Taxonomy, seats=None) -> "TrainingArrays":
        """The catalogue as arrays; *seats* overrides the catalogue's seat counts."""
        catalogue = taxonomy.trainings
        return cls(
            ids=np.array(catalogue.index, dtype=object),
            uplift=taxonomy.training_uplift.astype(np.float32),
            grants=taxonomy.training_grants.copy(),
            prerequisite=taxonomy.training_prerequisite.copy(),
            dutch_cefr_uplift=catalogue["dutch_cefr_uplift"].to_numpy(dtype=np.int8),
            duration_weeks=catalogue["duration_weeks"].to_numpy(dtype=np.float32),
            cost_eur=catalogue["cost_eur"].to_numpy(dtype=np.float32),
            seats=np.asarray(catalogue["seats"] if seats is None else seats, dtype=np.int32),
            min_dutch_cefr=np.array([CEFR_LEVELS.index(c) + 1 for c in catalogue["min_dutch_cefr"]], dtype=np.int8),
            min_eqf=catalogue["min_eqf"].to_numpy(dtype=np.int8),
        )

    @classmethod
    def from_offers(cls, offers: list[TrainingOffer], taxonomy: Taxonomy) -> "TrainingArrays":
        """Offers (e.g. partners' stored offers) as arrays; references are checked first.

        A TrainingOffer does not carry a Dutch-language uplift, so it comes from the
        catalogue row with the same id (0 for offers the catalogue does not know).
        """
        for offer in offers:
            offer.check_references(taxonomy)
        n = len(offers)
        ids = np.array([o.training_id for o in offers], dtype=object)
        skill_index = pd.Index(taxonomy.skill_ids)
        uplift_rows = [(i, skill_id, amount) for i, o in enumerate(offers) for skill_id, amount in o.uplift.items()]
        uplift = np.zeros((n, taxonomy.n_soft_skills), dtype=np.float32)
        if uplift_rows:
            rows, skills, amounts = zip(*uplift_rows, strict=True)
            uplift[np.asarray(rows), skill_index.get_indexer(skills)] = amounts
        return cls(
            ids=ids, uplift=uplift,
            grants=_hard_indicator([o.grants_hard_skill for o in offers], taxonomy),
            prerequisite=_hard_indicator([o.prerequisite_hard_skill for o in offers], taxonomy),
            dutch_cefr_uplift=taxonomy.trainings["dutch_cefr_uplift"].reindex(ids).fillna(0).to_numpy(dtype=np.int8),
            duration_weeks=np.array([o.duration_weeks for o in offers], dtype=np.float32),
            cost_eur=np.array([o.cost_eur for o in offers], dtype=np.float32),
            seats=np.array([o.seats for o in offers], dtype=np.int32),
            min_dutch_cefr=np.array([cefr_rank(o.min_dutch_cefr) for o in offers], dtype=np.int8),
            min_eqf=np.array([o.min_eqf for o in offers], dtype=np.int8),
        )


def _hard_indicator(hard_ids: list[str | None], taxonomy: Taxonomy) -> np.ndarray:
    """One row per entry, True at the named hard skill (no column for None)."""
    matrix = np.zeros((len(hard_ids), taxonomy.n_hard_skills), dtype=bool)
    named = np.flatnonzero([h is not None for h in hard_ids])
    matrix[named, pd.Index(taxonomy.hard_skill_ids).get_indexer([hard_ids[i] for i in named])] = True
    return matrix
