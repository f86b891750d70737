"""Records that speak the skills language: SkillProfile, Passport, Vacancy, TrainingOffer.

Pydantic validates field types and ranges at the edge (API, files); references to the
taxonomy (skill ids, occupations, certificates) are checked by ``check_references``,
which names the field at fault. These objects are for the edge and for tests; hot paths
use the array views in :mod:`passport.population`.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

from passport.errors import RecordReferenceError
from passport.taxonomy import CEFR_LEVELS, MASTERY_MAX, MASTERY_MIN, Taxonomy

SCHEMA_VERSION = "1.0"
# The passport document grew evidence, structured provenance and named-employer consent;
# vacancies and training offers did not change, so they keep 1.0.
PASSPORT_SCHEMA_VERSION = "1.1"
Cefr = Literal["A1", "A2", "B1", "B2", "C1", "C2"]
EvidenceSource = Literal["assessed", "self_declared", "verified", "training"]

# An unmeasured skill is not "zero": it is unknown. Matching treats it as the prior of
# the seeker population (mean 3, SD 1 on the 1–5 scale), so it neither helps nor sinks a
# candidate and its uncertainty shows in every probability computed from it.
PRIOR_LEVEL = 3.0
PRIOR_SE = 1.0


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SkillEstimate(_Record):
    """A level on the 1–5 mastery scale with its standard error."""

    level: float = Field(ge=MASTERY_MIN, le=MASTERY_MAX)
    se: float = Field(gt=0.0, le=4.0, description="Standard error of the level, same scale.")


class SkillProfile(_Record):
    """Soft-skill levels with standard errors; skills not listed are unmeasured."""

    skills: dict[str, SkillEstimate] = Field(default_factory=dict)

    def check_references(self, taxonomy: Taxonomy, field: str = "skills") -> None:
        unknown = sorted(set(self.skills) - set(taxonomy.skill_ids))
        if unknown:
            raise RecordReferenceError(f"{field}.{unknown[0]}", "unknown soft skill id")

    def to_arrays(self, taxonomy: Taxonomy) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Vectors in taxonomy order: levels, SEs (prior for unmeasured) and a measured mask."""
        self.check_references(taxonomy)
        levels = np.full(taxonomy.n_soft_skills, PRIOR_LEVEL)
        se = np.full(taxonomy.n_soft_skills, PRIOR_SE)
        measured = np.zeros(taxonomy.n_soft_skills, dtype=bool)
        for skill_id, estimate in self.skills.items():
            k = taxonomy.skill_index(skill_id)
            levels[k], se[k], measured[k] = estimate.level, estimate.se, True
        return levels, se, measured

    @classmethod
    def from_arrays(cls, taxonomy: Taxonomy, levels, se, measured=None) -> "SkillProfile":
        levels, se = np.asarray(levels, dtype=float), np.asarray(se, dtype=float)
        measured = np.ones(len(levels), dtype=bool) if measured is None else np.asarray(measured, dtype=bool)
        return cls(skills={
            skill_id: SkillEstimate(level=float(np.clip(levels[k], MASTERY_MIN, MASTERY_MAX)), se=float(se[k]))
            for k, skill_id in enumerate(taxonomy.skill_ids) if measured[k]
        })


class SkillEvidence(_Record):
    """One piece of evidence about one soft skill; :mod:`passport.evidence` combines them.

    Measurements (assessed, verified, self-declared) carry a level and its standard error;
    a completed training carries the uplift it gives on the mastery scale instead.
    """

    skill_id: str
    source: EvidenceSource
    level: float | None = Field(default=None, ge=MASTERY_MIN, le=MASTERY_MAX)
    se: float | None = Field(default=None, gt=0.0, le=4.0)
    uplift: float | None = Field(default=None, ge=0.0, le=2.0)
    observed_at: AwareDatetime
    recorded_by: str = Field(min_length=1, max_length=128,
                             description="Instrument, employer, trainer, training offer or 'holder'.")
    reference: str | None = Field(default=None, max_length=128, description="Session or training id.")

    @model_validator(mode="after")
    def _measurement_or_uplift(self):
        if self.source == "training":
            if self.uplift is None or self.level is not None:
                raise ValueError("training evidence carries an uplift and no level")
        elif self.level is None or self.se is None or self.uplift is not None:
            raise ValueError(f"{self.source} evidence carries a level and an se and no uplift")
        return self


class HardSkillClaim(_Record):
    hard_skill_id: str
    evidence: EvidenceSource = "self_declared"
    obtained_on: datetime | None = None
    verified_by: str | None = Field(default=None, max_length=128)


class LanguageSkill(_Record):
    language: str = Field(pattern=r"^[a-z]{2}$", description="ISO 639-1 code, e.g. 'nl'.")
    cefr: Cefr


class Location(_Record):
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    municipality_id: str | None = None


class Preferences(_Record):
    sectors: list[str] = Field(default_factory=list, description="Empty means: any sector.")
    excluded_sectors: list[str] = Field(default_factory=list,
                                        description="Sectors the seeker will not work in: a hard knock-out.")
    hours_min: int = Field(default=8, ge=1, le=48)
    hours_max: int = Field(default=40, ge=1, le=48)
    max_travel_km: float = Field(default=25.0, gt=0, le=300)

    @model_validator(mode="after")
    def _hours_ordered(self):
        if self.hours_min > self.hours_max:
            raise ValueError("hours_min must not exceed hours_max")
        return self


class Consent(_Record):
    """What the holder allows. Nothing is shared until they say so.

    ``employer_ids`` narrows visibility to named employers; empty means every employer
    (when ``visible_to_employers`` is on at all).
    """

    visible_to_employers: bool = False
    employer_ids: list[str] = Field(default_factory=list)
    include_in_batch_matching: bool = False
    updated_at: datetime = Field(default_factory=lambda: datetime.now(timezone.utc))

    @field_validator("employer_ids")
    @classmethod
    def _distinct_employers(cls, employer_ids):
        if len(employer_ids) != len(set(employer_ids)):
            raise ValueError("an employer is named twice")
        if any(not e.strip() for e in employer_ids):
            raise ValueError("an employer id is empty")
        return employer_ids

    def allows_employer(self, employer_id: str) -> bool:
        return self.visible_to_employers and (not self.employer_ids or employer_id in self.employer_ids)


class InstrumentRun(_Record):
    """One finished instrument that fed the profile: what ran, when, scored how."""

    instrument_id: str = Field(min_length=1, max_length=64)
    session_id: str | None = Field(default=None, max_length=128)
    completed_at: AwareDatetime
    scoring_version: str = Field(min_length=1, max_length=32)
    norms_version: str | None = Field(default=None, max_length=32)


class Provenance(_Record):
    """Where the passport's content came from, so an employer can judge it."""

    issuer: str = Field(default="skillpass", min_length=1, max_length=128)
    issued_at: AwareDatetime | None = None
    method: Literal["skillsprint", "profile", "synthetic", "import"] = "profile"
    instruments: list[InstrumentRun] = Field(default_factory=list)
    measurement_model_version: str | None = Field(default=None, max_length=32)
    taxonomy_version: str | None = Field(default=None, max_length=64,
                                         description="The soft-skill order version the profile was written in.")


class Passport(_Record):
    """A job seeker's skills passport."""

    schema_version: Literal["1.1"] = PASSPORT_SCHEMA_VERSION
    passport_id: str = Field(min_length=1, max_length=64)
    holder_id: str = Field(min_length=1, max_length=64)
    version: int = Field(default=1, ge=1)
    profile: SkillProfile = Field(default_factory=SkillProfile)
    evidence: list[SkillEvidence] = Field(default_factory=list)
    hard_skills: list[HardSkillClaim] = Field(default_factory=list)
    education_eqf: int = Field(ge=1, le=8)
    languages: list[LanguageSkill] = Field(default_factory=list)
    preferences: Preferences = Field(default_factory=Preferences)
    location: Location
    consent: Consent = Field(default_factory=Consent)
    provenance: Provenance = Field(default_factory=Provenance)

    @field_validator("hard_skills")
    @classmethod
    def _no_duplicate_hard_skills(cls, claims):
        ids = [c.hard_skill_id for c in claims]
        if len(ids) != len(set(ids)):
            raise ValueError("a hard skill is listed twice")
        return claims

    def dutch_cefr(self) -> int:
        """CEFR rank of Dutch (1 = A1 … 6 = C2), 0 when not stated."""
        ranks = [CEFR_LEVELS.index(lang.cefr) + 1 for lang in self.languages if lang.language == "nl"]
        return max(ranks, default=0)

    def check_references(self, taxonomy: Taxonomy) -> None:
        self.profile.check_references(taxonomy, "profile.skills")
        for i, item in enumerate(self.evidence):
            if item.skill_id not in taxonomy.skill_ids:
                raise RecordReferenceError(f"evidence[{i}].skill_id", f"unknown soft skill {item.skill_id!r}")
        for i, claim in enumerate(self.hard_skills):
            if claim.hard_skill_id not in taxonomy.hard_skill_ids:
                raise RecordReferenceError(f"hard_skills[{i}].hard_skill_id", f"unknown hard skill {claim.hard_skill_id!r}")
        for i, sector in enumerate(self.preferences.sectors):
            if sector not in taxonomy.sectors:
                raise RecordReferenceError(f"preferences.sectors[{i}]", f"unknown sector {sector!r}")
        for i, sector in enumerate(self.preferences.excluded_sectors):
            if sector not in taxonomy.sectors:
                raise RecordReferenceError(f"preferences.excluded_sectors[{i}]", f"unknown sector {sector!r}")


class Requirement(_Record):
    level: float = Field(ge=MASTERY_MIN, le=MASTERY_MAX)
    importance: float = Field(ge=0, le=3)


class Vacancy(_Record):
    """A skill-based vacancy with one or more openings."""

    schema_version: Literal["1.0"] = SCHEMA_VERSION
    vacancy_id: str = Field(min_length=1, max_length=64)
    employer_id: str = Field(min_length=1, max_length=64)
    occupation_id: str
    title: str = Field(min_length=1, max_length=200)
    requirements: dict[str, Requirement]
    must_have: list[str] = Field(default_factory=list)
    nice_to_have: list[str] = Field(default_factory=list)
    min_dutch_cefr: Cefr = "A2"
    min_eqf: int = Field(default=1, ge=1, le=8)
    location: Location
    hours_min: int = Field(ge=1, le=48)
    hours_max: int = Field(ge=1, le=48)
    openings: int = Field(default=1, ge=1, le=10_000)

    @model_validator(mode="after")
    def _consistent(self):
        if self.hours_min > self.hours_max:
            raise ValueError("hours_min must not exceed hours_max")
        overlap = set(self.must_have) & set(self.nice_to_have)
        if overlap:
            raise ValueError(f"{sorted(overlap)[0]!r} is both must-have and nice-to-have")
        return self

    def check_references(self, taxonomy: Taxonomy) -> None:
        if self.occupation_id not in taxonomy.occupation_ids:
            raise RecordReferenceError("occupation_id", f"unknown occupation {self.occupation_id!r}")
        missing = [s for s in taxonomy.skill_ids if s not in self.requirements]
        if missing:
            raise RecordReferenceError(f"requirements.{missing[0]}", "every soft skill needs a requirement (importance 0 to ignore it)")
        unknown = sorted(set(self.requirements) - set(taxonomy.skill_ids))
        if unknown:
            raise RecordReferenceError(f"requirements.{unknown[0]}", "unknown soft skill id")
        for field in ("must_have", "nice_to_have"):
            for i, hard_id in enumerate(getattr(self, field)):
                if hard_id not in taxonomy.hard_skill_ids:
                    raise RecordReferenceError(f"{field}[{i}]", f"unknown hard skill {hard_id!r}")

    @classmethod
    def from_occupation(cls, taxonomy: Taxonomy, occupation_id: str, *, vacancy_id: str, employer_id: str,
                        location: Location, openings: int = 1, **overrides) -> "Vacancy":
        """Start a vacancy from an occupation profile, as employers do in the service."""
        if occupation_id not in taxonomy.occupation_ids:
            raise RecordReferenceError("occupation_id", f"unknown occupation {occupation_id!r}")
        o = taxonomy.occupation_ids.index(occupation_id)
        row = taxonomy.occupations.loc[occupation_id]
        hard_ids = np.array(taxonomy.hard_skill_ids)
        fields = dict(
            vacancy_id=vacancy_id, employer_id=employer_id, occupation_id=occupation_id, title=row["label_en"],
            requirements={s: Requirement(level=float(taxonomy.occupation_levels[o, k]),
                                         importance=float(taxonomy.occupation_importance[o, k]))
                          for k, s in enumerate(taxonomy.skill_ids)},
            must_have=hard_ids[taxonomy.occupation_essential[o]].tolist(),
            nice_to_have=hard_ids[taxonomy.occupation_optional[o]].tolist(),
            min_dutch_cefr=row["min_dutch_cefr"], min_eqf=max(1, int(row["eqf_level"]) - 1),
            location=location, hours_min=int(row["hours_min"]), hours_max=int(row["hours_max"]), openings=openings,
        )
        fields.update(overrides)
        return cls(**fields)


class TrainingOffer(_Record):
    """A training offer: what it raises or grants, what it costs, how many seats."""

    schema_version: Literal["1.0"] = SCHEMA_VERSION
    training_id: str = Field(min_length=1, max_length=64)
    kind: Literal["elearning", "short_course", "certificate_course"]
    label: str
    sector: str = "all"
    duration_weeks: float = Field(gt=0, le=52)
    cost_eur: float = Field(ge=0, le=1_000_000)
    seats: int = Field(ge=0, le=100_000)
    uplift: dict[str, float] = Field(default_factory=dict)
    grants_hard_skill: str | None = None
    prerequisite_hard_skill: str | None = None
    min_dutch_cefr: Cefr = "A1"
    min_eqf: int = Field(default=1, ge=1, le=8)

    @field_validator("uplift")
    @classmethod
    def _uplift_range(cls, uplift):
        for skill_id, amount in uplift.items():
            if not 0 <= amount <= 2:
                raise ValueError(f"uplift of {skill_id!r} must lie in 0–2 levels")
        return uplift

    def check_references(self, taxonomy: Taxonomy) -> None:
        if self.sector != "all" and self.sector not in taxonomy.sectors:
            raise RecordReferenceError("sector", f"unknown sector {self.sector!r}; expected 'all' or one of "
                                                 f"{', '.join(taxonomy.sectors)}")
        unknown = sorted(set(self.uplift) - set(taxonomy.skill_ids))
        if unknown:
            raise RecordReferenceError(f"uplift.{unknown[0]}", "unknown soft skill id")
        for field in ("grants_hard_skill", "prerequisite_hard_skill"):
            hard_id = getattr(self, field)
            if hard_id is not None and hard_id not in taxonomy.hard_skill_ids:
                raise RecordReferenceError(field, f"unknown hard skill {hard_id!r}")


SCHEMA_MODELS = {"passport": Passport, "vacancy": Vacancy, "training_offer": TrainingOffer}
SCHEMA_DIR = Path(__file__).parent / "schemas"


PUBLISHED_SCHEMAS = (*SCHEMA_MODELS, "credential")


def json_schema(name: str) -> dict:
    """The published JSON Schema of a record type (``passport``, ``vacancy``, ``training_offer``, ``credential``)."""
    if name == "credential":
        # imported here: the credential schema embeds the passport model defined above
        from passport.credential_schema import credential_json_schema
        return credential_json_schema()
    schema = SCHEMA_MODELS[name].model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    version = SCHEMA_MODELS[name].model_fields["schema_version"].default
    schema["$id"] = f"https://skillpass.example/schemas/{name}-{version}.json"
    return schema


def write_json_schemas(directory: Path = SCHEMA_DIR) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name in PUBLISHED_SCHEMAS:
        path = directory / f"{name}.schema.json"
        path.write_text(json.dumps(json_schema(name), indent=2, sort_keys=True) + "\n")
        written.append(path)
    return written
