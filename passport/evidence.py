"""From pieces of evidence to one level and standard error per soft skill.

The rules, in the order they apply to one skill:

1. **Measurements come first.** Assessed (Skillsprint instruments) and verified (an employer
   or trainer rating on the mastery scale, with its error) evidence are measurements.
   Self-declared evidence counts only for a skill with no measurement at all: a person's
   own rating never overrides a measured one.
2. **Newer supersedes older.** Of the assessments, only the newest session counts (a session
   is the evidence's ``reference``, or its day when it has none): people grow, and a
   re-assessment describes them now. Of each verifier's ratings only the newest counts.
   Any measurement more than :data:`STALE_AFTER` older than the newest one is dropped.
3. **Comparable measurements are precision-weighted.** What remains is on one scale with
   independent errors, so the combined level is the inverse-variance weighted mean and its
   standard error is ``(Σ 1/seᵢ²)^-½`` — the textbook fixed-effect combination, which never
   reports more certainty than the measurements jointly carry.
4. **Training raises what was measured.** A completed training newer than the estimate it
   raises (the newest measurement, else the self-declaration) adds its uplift, clipped to the
   scale, and adds half the uplift to the standard error in quadrature — an uplift is a
   programme's average effect and people differ. A training older than that estimate is
   already reflected in it and is skipped; with no measurement and no declaration the uplift
   applies to the population prior. One training (same ``recorded_by`` and ``reference``)
   counts once, however often it was recorded.
5. **Self-declared levels are weak evidence.** Their standard error is at least
   :data:`SELF_DECLARED_MIN_SE`; the newest declaration counts.
6. No evidence: the skill is unmeasured (matching then uses the population prior).

Ties in time never depend on the order evidence arrived in: sessions and ratings observed at
the same moment are ordered by their content (session label, level, error). The *basis*
reported is what the level finally rests on: ``training`` when a training raised it, else
``verified`` when an employer's or trainer's rating counted, else ``assessed``, else
``self_declared``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta

import numpy as np

from passport.errors import RecordReferenceError
from passport.models import (
    PRIOR_LEVEL,
    PRIOR_SE,
    Passport,
    SkillEstimate,
    SkillEvidence,
    SkillProfile,
)
from passport.taxonomy import MASTERY_MAX, MASTERY_MIN

STALE_AFTER = timedelta(days=730)
SELF_DECLARED_MIN_SE = 1.0
TRAINING_SPREAD_PER_UPLIFT = 0.5
COMBINATION_RULES_VERSION = "evidence-rules/1"


@dataclass(frozen=True)
class CombinedSkill:
    """A skill's level and standard error, and what they rest on."""

    level: float
    se: float
    basis: str  # "verified", "assessed", "training" or "self_declared": the strongest source used
    used: tuple[int, ...]  # positions, in the evidence list given, of the items that counted


def combine_skill_evidence(evidence: Sequence[SkillEvidence]) -> CombinedSkill | None:
    """Combine the evidence of one skill by the module's rules; None when there is none."""
    indexed = list(enumerate(evidence))
    skill_ids = {item.skill_id for _, item in indexed}
    if len(skill_ids) > 1:
        raise ValueError(f"evidence of several skills given together: {sorted(skill_ids)}")
    measurements = _current_measurements(indexed)
    trainings = _distinct_trainings(indexed)
    if measurements:
        level, se = _precision_weighted([e for _, e in measurements])
        newest = max(e.observed_at for _, e in measurements)
        used = [i for i, _ in measurements]
        basis = "verified" if any(e.source == "verified" for _, e in measurements) else "assessed"
    else:
        declared = [(i, e) for i, e in indexed if e.source == "self_declared"]
        if declared:
            i, newest_declaration = max(declared, key=lambda pair: _content_order(pair[1]))
            level, se = newest_declaration.level, max(newest_declaration.se, SELF_DECLARED_MIN_SE)
            newest, used, basis = newest_declaration.observed_at, [i], "self_declared"
        elif trainings:
            level, se, newest, used, basis = PRIOR_LEVEL, PRIOR_SE, None, [], "training"
        else:
            return None
    for i, training in sorted(trainings, key=lambda pair: _content_order(pair[1])):
        if newest is not None and training.observed_at <= newest:
            continue
        level = min(MASTERY_MAX, level + training.uplift)
        se = float(np.hypot(se, TRAINING_SPREAD_PER_UPLIFT * training.uplift))
        used.append(i)
        basis = "training"
    return CombinedSkill(level=float(np.clip(level, MASTERY_MIN, MASTERY_MAX)), se=float(se), basis=basis,
                         used=tuple(sorted(used)))


def combine_evidence(evidence: Iterable[SkillEvidence]) -> dict[str, CombinedSkill]:
    """Every skill with evidence, combined; keyed by skill id in first-seen order."""
    by_skill: dict[str, list[SkillEvidence]] = {}
    for item in evidence:
        by_skill.setdefault(item.skill_id, []).append(item)
    combined = {skill_id: combine_skill_evidence(items) for skill_id, items in by_skill.items()}
    return {skill_id: c for skill_id, c in combined.items() if c is not None}


def profile_from_evidence(evidence: Iterable[SkillEvidence]) -> SkillProfile:
    return SkillProfile(skills={skill_id: SkillEstimate(level=c.level, se=c.se)
                                for skill_id, c in combine_evidence(evidence).items()})


def check_profile_follows_evidence(passport: Passport) -> None:
    """Raise :class:`RecordReferenceError` naming the first skill whose level is not what its evidence gives.

    A passport whose profile was edited without evidence (by hand, or by tampering with an
    exported file) is refused rather than trusted.
    """
    expected = profile_from_evidence(passport.evidence).skills
    stated = passport.profile.skills
    for skill_id in sorted(set(expected) | set(stated)):
        if skill_id not in stated:
            raise RecordReferenceError(f"profile.skills.{skill_id}", "missing, though the evidence measures it")
        if skill_id not in expected:
            raise RecordReferenceError(f"profile.skills.{skill_id}", "stated without any evidence for it")
        e, s = expected[skill_id], stated[skill_id]
        if abs(e.level - s.level) > 1e-9 or abs(e.se - s.se) > 1e-9:
            raise RecordReferenceError(f"profile.skills.{skill_id}",
                                       f"level {s.level:g} ± {s.se:g} does not follow from its evidence "
                                       f"({e.level:g} ± {e.se:g})")


def evidence_from_profile(profile: SkillProfile, *, observed_at, recorded_by: str,
                          reference: str | None = None, source: str = "assessed") -> list[SkillEvidence]:
    """A profile measured elsewhere (an assessment engine, an import) as evidence items."""
    return [SkillEvidence(skill_id=skill_id, source=source, level=estimate.level, se=estimate.se,
                          observed_at=observed_at, recorded_by=recorded_by, reference=reference)
            for skill_id, estimate in profile.skills.items()]


def _current_measurements(indexed):
    assessed = [(i, e) for i, e in indexed if e.source == "assessed"]
    verified = [(i, e) for i, e in indexed if e.source == "verified"]
    kept = []
    if assessed:
        session_of = {i: e.reference or e.observed_at.date().isoformat() for i, e in assessed}
        newest_session = session_of[max(assessed, key=lambda pair: (pair[1].observed_at, session_of[pair[0]],
                                                                     *_content_order(pair[1])[1:]))[0]]
        kept += [(i, e) for i, e in assessed if session_of[i] == newest_session]
    newest_by_verifier = {}
    for i, e in verified:
        best = newest_by_verifier.get(e.recorded_by)
        if best is None or _content_order(e) > _content_order(best[1]):
            newest_by_verifier[e.recorded_by] = (i, e)
    kept += newest_by_verifier.values()
    if not kept:
        return []
    newest = max(e.observed_at for _, e in kept)
    return sorted((i, e) for i, e in kept if newest - e.observed_at <= STALE_AFTER)


def _content_order(item: SkillEvidence) -> tuple:
    """Newest first, then by content, so ties never depend on arrival order."""
    return (item.observed_at, item.reference or "", item.level or 0.0, -(item.se or 0.0), item.uplift or 0.0,
            item.recorded_by)


def _distinct_trainings(indexed):
    newest = {}
    for i, e in indexed:
        if e.source != "training":
            continue
        key = (e.recorded_by, e.reference)
        if key not in newest or _content_order(e) > _content_order(newest[key][1]):
            newest[key] = (i, e)
    return list(newest.values())


def _precision_weighted(measurements: list[SkillEvidence]) -> tuple[float, float]:
    if len(measurements) == 1:  # as measured, without a rounding step in between
        return measurements[0].level, measurements[0].se
    levels = np.array([m.level for m in measurements])
    precision = 1.0 / np.square([m.se for m in measurements])
    return float(precision @ levels / precision.sum()), float(precision.sum() ** -0.5)
