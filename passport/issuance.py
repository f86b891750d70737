"""Issuing a passport and changing it; each change becomes a version in its history.

The soft-skill profile is never edited by hand: it always follows from the evidence by the
rules in :mod:`passport.evidence`, so every level can be traced to what it rests on.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from passport.evidence import COMBINATION_RULES_VERSION, evidence_from_profile, profile_from_evidence
from passport.history import HistoryError, PassportHistory, record_change, start_history
from passport.models import (Consent, HardSkillClaim, LanguageSkill, Location, Passport, Preferences, Provenance,
                             SkillEvidence, SkillProfile)
from passport.taxonomy import Taxonomy

# How strongly a hard-skill claim is backed; a new claim never weakens an existing one.
_CLAIM_STRENGTH = {"self_declared": 0, "assessed": 1, "training": 2, "verified": 3}
# Fields a holder (or their job coach) may change directly; the rest has its own operation.
_DETAIL_FIELDS = {"education_eqf", "languages", "preferences", "location"}


def issue_passport(taxonomy: Taxonomy, *, passport_id: str, holder_id: str, education_eqf: int,
                   location: Location, evidence: Sequence[SkillEvidence] = (),
                   hard_skills: Sequence[HardSkillClaim] = (), languages=(), preferences=None,
                   provenance: Provenance | None = None, actor: str, at: datetime) -> PassportHistory:
    """Version 1 of a passport, its profile computed from the evidence."""
    provenance = (provenance or Provenance()).model_copy(update={
        "issued_at": at, "taxonomy_version": taxonomy.soft_skill_order_version})
    fields = dict(passport_id=passport_id, holder_id=holder_id, education_eqf=education_eqf, location=location,
                  evidence=list(evidence), profile=profile_from_evidence(evidence), hard_skills=list(hard_skills),
                  languages=list(languages), provenance=provenance, consent=Consent(updated_at=at))
    if preferences is not None:
        fields["preferences"] = preferences
    passport = Passport(**fields)
    passport.check_references(taxonomy)
    return start_history(passport, actor=actor, reason=f"passport issued ({COMBINATION_RULES_VERSION})", at=at)


def issue_from_profile(taxonomy: Taxonomy, profile: SkillProfile, *, measured_at: datetime, recorded_by: str,
                       session_id: str | None = None, **fields) -> PassportHistory:
    """Issue from any soft-skill profile with standard errors (an assessment result, an import)."""
    profile.check_references(taxonomy)
    evidence = evidence_from_profile(profile, observed_at=measured_at, recorded_by=recorded_by, reference=session_id)
    return issue_passport(taxonomy, evidence=evidence, **fields)


def add_evidence(history: PassportHistory, taxonomy: Taxonomy, items: Iterable[SkillEvidence], *, actor: str,
                 reason: str, at: datetime) -> PassportHistory:
    current = history.current
    evidence = [*current.evidence, *items]
    updated = current.model_copy(update={"evidence": evidence, "profile": profile_from_evidence(evidence)})
    _check_storable(updated, taxonomy)
    return record_change(history, updated, actor=actor, reason=reason, at=at)


def add_hard_skill(history: PassportHistory, taxonomy: Taxonomy, claim: HardSkillClaim, *, actor: str, reason: str,
                   at: datetime) -> PassportHistory:
    """Add a certificate or hard skill, or strengthen the evidence of one already listed."""
    claims = list(history.current.hard_skills)
    existing = next((i for i, c in enumerate(claims) if c.hard_skill_id == claim.hard_skill_id), None)
    if existing is None:
        claims.append(claim)
    elif _CLAIM_STRENGTH[claim.evidence] >= _CLAIM_STRENGTH[claims[existing].evidence]:
        claims[existing] = claim
    else:
        raise HistoryError(f"{claim.hard_skill_id!r} is already backed by {claims[existing].evidence} evidence; "
                           f"{claim.evidence} evidence would weaken it")
    updated = history.current.model_copy(update={"hard_skills": claims})
    _check_storable(updated, taxonomy)
    return record_change(history, updated, actor=actor, reason=reason, at=at)


def set_consent(history: PassportHistory, *, visible_to_employers: bool, include_in_batch_matching: bool,
                employer_ids: Sequence[str] = (), actor: str, at: datetime) -> PassportHistory:
    """Record the holder's choice; the version's timestamp is when consent was given or withdrawn."""
    consent = Consent(visible_to_employers=visible_to_employers, employer_ids=list(employer_ids),
                      include_in_batch_matching=include_in_batch_matching, updated_at=at)
    if employer_ids and not visible_to_employers:
        raise HistoryError("employer_ids: naming employers needs visible_to_employers on")
    updated = history.current.model_copy(update={"consent": consent})
    words = ("visible to " + (", ".join(employer_ids) if employer_ids else "all employers")
             if visible_to_employers else "hidden from employers")
    words += "; " + ("included in" if include_in_batch_matching else "left out of") + " batch matching"
    return record_change(history, updated, actor=actor, reason=f"consent: {words}", at=at)


def withdraw_consent(history: PassportHistory, *, actor: str, at: datetime) -> PassportHistory:
    """Withdraw everything at once: hidden from every employer and out of batch matching."""
    return set_consent(history, visible_to_employers=False, include_in_batch_matching=False, actor=actor, at=at)


def update_details(history: PassportHistory, taxonomy: Taxonomy, *, actor: str, reason: str, at: datetime,
                   **changes) -> PassportHistory:
    """Change education, languages, preferences or location."""
    unknown = sorted(set(changes) - _DETAIL_FIELDS)
    if unknown:
        raise HistoryError(f"{unknown[0]}: not changed this way (allowed: {', '.join(sorted(_DETAIL_FIELDS))})")
    data = history.current.model_dump()
    data.update(changes)
    updated = Passport.model_validate(data)
    updated.check_references(taxonomy)
    return record_change(history, updated, actor=actor, reason=reason, at=at)


def _check_storable(passport: Passport, taxonomy: Taxonomy) -> None:
    # model_copy skips validation; re-validate so a change can never store what issuance would refuse.
    Passport.model_validate(passport.model_dump()).check_references(taxonomy)


class IssuanceRequest(BaseModel):
    """What an issuer sends to issue a passport from a measured profile (the CLI's input file)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    passport_id: str = Field(min_length=1, max_length=64)
    holder_id: str = Field(min_length=1, max_length=64)
    education_eqf: int = Field(ge=1, le=8)
    location: Location
    profile: SkillProfile
    measured_at: AwareDatetime
    recorded_by: str = Field(default="skillsprint", min_length=1, max_length=128)
    session_id: str | None = Field(default=None, max_length=128)
    hard_skills: list[HardSkillClaim] = Field(default_factory=list)
    languages: list[LanguageSkill] = Field(default_factory=list)
    preferences: Preferences = Field(default_factory=Preferences)
    provenance: Provenance = Field(default_factory=Provenance)


def issue_from_request(taxonomy: Taxonomy, request: IssuanceRequest, *, actor: str, at: datetime) -> PassportHistory:
    fields = {name: getattr(request, name) for name in type(request).model_fields
              if name not in {"profile", "measured_at", "recorded_by", "session_id"}}
    return issue_from_profile(taxonomy, request.profile, measured_at=request.measured_at,
                              recorded_by=request.recorded_by, session_id=request.session_id, actor=actor, at=at,
                              **fields)
