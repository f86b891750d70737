"""Ranked lists with reasons: a seeker's best vacancies, an employer's best consenting candidates.

Both lists apply the knock-outs first (:func:`matching.candidates.knockout_codes`), score
the feasible pairs with the platform's scorer and explain the best ones
(:func:`matching.reasons.explain_pairs`). A seeker's own list needs no consent: it is
theirs. An employer's list holds only seekers whose consent names that employer or every
employer, and each candidate shown leaves an audit entry.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, replace
from typing import Annotated, Literal

import numpy as np
from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field

from matching.bits import count_bits, pack_bits, packed
from matching.candidates import (KNOCKOUT_TEXT, CandidateGraph, FeatureScorer, Knockout, NearMisses, knockout_codes,
                                 road_distance_km)
from matching.features import vacancy_importance_shares
from matching.parallel import score_pairs
from matching.pathways import generate_pathways, training_eligibility
from matching.reasons import course_texts, explain_pairs_columns
from matching.shortlist import seeker_shortlist
from passport.models import Passport, Vacancy
from passport.population import SeekerArrays, TrainingArrays, VacancyArrays
from passport.taxonomy import Taxonomy
from service.api.access import acting_for_seeker, employer_organisation
from service.api.audit import audit, audit_many
from service.api.catalogue import VacancyView, pair_scorer, snapshot
from service.api.deps import Context, Db, role_caller
from service.api.errors import ApiError, not_found
from service.api.list_workers import compute
from service.api.passport_store import passport_of, record_of_holder
from service.db.tables import VacancyRecord

router = APIRouter(tags=["recommendations"])

Language = Literal["en", "nl"]
# Rule-based reasons are measured against the other pairs explained with them, so at
# least this many are explained together, whatever k is: the reasons do not depend on k.
EXPLAIN_AT_LEAST = 10
PATHWAYS_SHOWN = 3
RECENT_LISTS = 1024
# Vacancies one course would open that are scored after the course (see _pathway_pool).
PATHWAY_POOL = 200

KNOCKOUT_TEXT_NL = {
    Knockout.NO_CONSENT: "niet meegenomen in het matchen (geen toestemming)",
    Knockout.HOURS: "de werktijden passen niet",
    Knockout.SECTOR_EXCLUDED: "je wilt niet in deze sector werken",
    Knockout.TRAVEL: "te ver reizen",
    Knockout.LANGUAGE: "je Nederlands is lager dan gevraagd",
    Knockout.MUST_HAVE: "er ontbreekt een verplicht certificaat of een verplichte vaardigheid",
}
_KNOCKOUT_WORDS = {"en": KNOCKOUT_TEXT, "nl": KNOCKOUT_TEXT_NL}


class TrainingSuggestion(BaseModel):
    training_id: str
    text: str = Field(description="What the course gives, in plain words.")
    probability_after: float = Field(description="The fit (calibrated probability) after the course.")


class Recommendation(BaseModel):
    vacancy_id: str
    title: str
    occupation_id: str
    employer_id: str
    score: float = Field(description="Calibrated probability that a placement here lasts.")
    distance_km: float = Field(description="Estimated road distance from home.")
    strengths: str
    gaps: str
    training: TrainingSuggestion | None = Field(description="The course that raises the fit most, if any does.")


class Pathway(BaseModel):
    """A vacancy that one course opens: today only a required certificate is missing."""

    vacancy_id: str
    title: str
    occupation_id: str
    employer_id: str
    distance_km: float
    certificate_id: str = Field(description="The missing must-have the course grants.")
    training: TrainingSuggestion


class KnockedOut(BaseModel):
    reason: str = Field(description="hours, travel, language, must_have or sector_excluded")
    text: str
    count: int = Field(description="Open vacancies left out for this reason (the first that applies).")


class Recommendations(BaseModel):
    seeker_id: str
    passport_id: str
    language: Language
    open_vacancies: int
    feasible: int
    items: list[Recommendation]
    pathways: list[Pathway]
    knocked_out: list[KnockedOut]


class SkillLevel(BaseModel):
    skill_id: str
    level: float
    se: float = Field(description="Standard error of the level.")


class Candidate(BaseModel):
    seeker_id: str
    passport_id: str
    score: float
    distance_km: float
    strengths: str
    gaps: str
    training: TrainingSuggestion | None
    profile: list[SkillLevel] = Field(description="Measured soft skills, level and standard error.")


class CandidateList(BaseModel):
    vacancy_id: str
    language: Language
    feasible: int = Field(description="Consenting seekers who pass every knock-out.")
    items: list[Candidate]


class LanguageLevel(BaseModel):
    language: str
    cefr: str


class HardSkillHeld(BaseModel):
    hard_skill_id: str
    evidence: str


class CandidatePassport(BaseModel):
    seeker_id: str
    passport_id: str
    version: int
    education_eqf: int
    languages: list[LanguageLevel]
    hard_skills: list[HardSkillHeld]
    profile: list[SkillLevel]


# --------------------------------------------------------------------------- ranking


def best_first(score: np.ndarray, k: int) -> np.ndarray:
    """Positions of the *k* highest scores, best first; ties go to the lower position."""
    if len(score) > k:
        threshold = np.partition(score, len(score) - k)[len(score) - k]
        candidates = np.flatnonzero(score >= threshold)
    else:
        candidates = np.arange(len(score))
    order = np.lexsort((candidates, -score[candidates].astype(np.float64)))
    return candidates[order][:k]


def _suggestion(explained: dict[str, np.ndarray], i: int) -> TrainingSuggestion | None:
    training_id = explained["training_id"][i]
    if not training_id:
        return None
    return TrainingSuggestion(training_id=training_id, text=explained["training_text"][i],
                              probability_after=round(float(explained["probability_after_training"][i]), 4))


def own_seeker_arrays(passport: Passport, taxonomy: Taxonomy) -> SeekerArrays:
    # A seeker's own list is theirs to see: batch-matching consent does not gate it.
    seeker = SeekerArrays.from_passports([passport], taxonomy)
    return replace(seeker, consent_matching=np.ones(1, dtype=bool))


def _pathway_pool(seeker: SeekerArrays, view: VacancyView, trainings: TrainingArrays, eligible: np.ndarray, codes,
                  failing) -> np.ndarray:
    """Rows knocked out only by one missing must-have that an eligible course grants.

    When there are many, the :data:`PATHWAY_POOL` with the least importance-weighted
    soft-skill shortfall are kept: scoring every such pair after every granting course
    would cost more than the whole ranked list.
    """
    lacking = ~seeker.hard[0]
    grantable = trainings.grants[eligible[0]].any(axis=0) & lacking
    rows = np.flatnonzero((codes == Knockout.MUST_HAVE) & ~failing[Knockout.SECTOR_EXCLUDED][0])
    must_have = packed(view.arrays, "must_have")[rows]
    n_missing = count_bits(must_have & pack_bits(lacking))
    n_grantable = count_bits(must_have & pack_bits(grantable))
    near = rows[(n_missing == 1) & (n_grantable == 1)]
    if len(near) <= PATHWAY_POOL:
        return near
    vacancies = view.arrays
    # Importance shares are kept per catalogue by the feature builder: no per-list division.
    share = vacancy_importance_shares(vacancies)
    gap = np.maximum(vacancies.required.take(near, axis=0) - seeker.levels[0], 0.0)
    shortfall = np.einsum("ij,ij->i", share.take(near, axis=0), gap)
    return np.sort(near[np.argpartition(shortfall, PATHWAY_POOL)[:PATHWAY_POOL]])


def _pathways(seeker: SeekerArrays, vacancies: VacancyView, trainings: TrainingArrays, codes, failing, chord_sq,
              scorer: FeatureScorer, taxonomy: Taxonomy, language: str) -> list[Pathway]:
    """The best vacancies one eligible course opens, scored on the profile after that course."""
    if trainings.n == 0:
        return []
    eligible = training_eligibility(seeker, trainings)
    pool = _pathway_pool(seeker, vacancies, trainings, eligible, codes, failing)
    if pool.size == 0:
        return []
    subset = vacancies.arrays.take(pool)
    nothing = np.empty(0, dtype=np.int32)
    # Every pool row fails on a must-have and nothing else: the near misses are the pool
    # itself, so the pathway stage need not run the knock-outs on it again.
    near = NearMisses(seeker=np.zeros(subset.n, np.int32), vacancy=np.arange(subset.n, dtype=np.int32),
                      distance_km=road_distance_km(chord_sq[0, pool]))
    direct = CandidateGraph(seeker=nothing, vacancy=nothing, score=np.empty(0, np.float32),
                            distance_km=np.empty(0, np.float32), n_seekers=1, n_vacancies=subset.n,
                            knockout_counts=np.zeros((1, len(Knockout)), np.int32), top_k=1, near_misses=near)
    options = generate_pathways(seeker, subset, trainings, scorer, direct,
                                eligible=eligible, completion_rate=1.0,
                                per_seeker=4 * PATHWAYS_SHOWN)
    # Best course per vacancy (several may grant the same certificate), best vacancies first.
    order = np.lexsort((options.vacancy, -options.score.astype(np.float64)))
    _, first = np.unique(options.vacancy[order], return_index=True)
    options = options.take(order[np.sort(first)][:PATHWAYS_SHOWN])
    if options.n == 0:
        return []
    texts = course_texts(seeker, subset, trainings, taxonomy, np.zeros(options.n, np.int64), options.vacancy,
                         options.training, language=language)
    hard_ids = np.asarray(taxonomy.hard_skill_ids, dtype=object)
    missing = subset.must_have[options.vacancy] & ~seeker.hard[0]
    out = []
    for i in range(options.n):
        row = pool[options.vacancy[i]]
        out.append(Pathway(
            vacancy_id=vacancies.arrays.ids[row], title=vacancies.titles[row],
            occupation_id=vacancies.occupation_ids[row], employer_id=vacancies.employer_ids[row],
            distance_km=round(float(options.distance_km[i]), 1),
            certificate_id=hard_ids[np.argmax(missing[i])],
            training=TrainingSuggestion(training_id=trainings.ids[options.training[i]], text=texts[i],
                                        probability_after=round(float(options.score[i]), 4))))
    return out


def recommend(passport: Passport, vacancies: VacancyView, trainings: TrainingArrays, scorer: FeatureScorer,
              taxonomy: Taxonomy, *, k: int, language: str) -> Recommendations:
    """A seeker's *k* best open vacancies with reasons, pathways and knock-out counts."""
    seeker = own_seeker_arrays(passport, taxonomy)
    codes, failing, chord_sq = knockout_codes(seeker, vacancies.arrays)
    codes = codes[0]
    feasible = np.flatnonzero(codes == Knockout.FEASIBLE)
    n_feasible = len(feasible)
    distance = road_distance_km(chord_sq[0, feasible])
    scored, score = seeker_shortlist(seeker, vacancies.arrays, 0, feasible, distance, scorer)
    feasible, distance = feasible[scored], distance[scored]
    explain = best_first(score, max(k, EXPLAIN_AT_LEAST))
    items = []
    if explain.size:
        v = feasible[explain]
        explained = explain_pairs_columns(seeker, vacancies.arrays, trainings, taxonomy,
                                          np.zeros(len(v), np.int64), v, scorer.scorer, language=language)
        for i, position in enumerate(explain[:k]):
            row = feasible[position]
            items.append(Recommendation(
                vacancy_id=vacancies.arrays.ids[row], title=vacancies.titles[row],
                occupation_id=vacancies.occupation_ids[row], employer_id=vacancies.employer_ids[row],
                score=round(float(score[position]), 4), distance_km=round(float(distance[position]), 1),
                strengths=explained["strengths"][i], gaps=explained["gaps"][i],
                training=_suggestion(explained, i)))
    counts = np.bincount(codes, minlength=len(Knockout))
    words = _KNOCKOUT_WORDS[language]
    knocked_out = [KnockedOut(reason=reason.name.lower(), text=words[reason], count=int(counts[reason]))
                   for reason in Knockout if reason != Knockout.FEASIBLE and counts[reason]]
    return Recommendations(
        seeker_id=passport.holder_id, passport_id=passport.passport_id, language=language,
        open_vacancies=vacancies.n, feasible=n_feasible, items=items,
        pathways=_pathways(seeker, vacancies, trainings, codes, failing, chord_sq, scorer, taxonomy, language),
        knocked_out=sorted(knocked_out, key=lambda item: -item.count))


def _profile(levels, se, measured, taxonomy: Taxonomy) -> list[SkillLevel]:
    return [SkillLevel(skill_id=skill, level=round(float(levels[j]), 2), se=round(float(se[j]), 2))
            for j, skill in enumerate(taxonomy.skill_ids) if measured[j]]


class RecentLists:
    """The most recently computed lists, by key (least recently used dropped first)."""

    def __init__(self, size: int):
        self._size, self._items, self._lock = size, OrderedDict(), threading.Lock()

    def get(self, key):
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
            return self._items.get(key)

    def put(self, key, value) -> None:
        with self._lock:
            self._items[key] = value
            if len(self._items) > self._size:
                self._items.popitem(last=False)


def _recent_lists(ctx) -> RecentLists:
    recent = ctx.caches.get("recommendations")
    return recent if recent is not None else ctx.caches.setdefault("recommendations", RecentLists(RECENT_LISTS))


# --------------------------------------------------------------------------- list tasks
# Module-level functions of (ctx, *args), so a list worker process can run them too
# (service/api/list_workers.py); each reads the catalogues as they are when it runs.


@dataclass(frozen=True)
class RenderedList:
    """A ranked list as its JSON response body, plus what its audit entry records.

    Lists are rendered once, where they are computed: the HTTP process neither
    re-validates nor re-serialises them (about a tenth of its time per request), and the
    bytes are what a list worker sends back and what the list cache keeps.
    """

    body: bytes
    shown: int
    pathways: int = 0
    subject_ids: tuple[str, ...] = ()


def seeker_list(ctx, passport_document: dict, k: int, language: str) -> tuple[RenderedList, tuple[int, int]]:
    """The list for the stored passport document, and the (vacancies, trainings) catalogue versions it used."""
    passport = Passport.model_validate(passport_document)  # here, so a list worker's process pays for it
    with ctx.sessions() as db:
        catalogue = snapshot(ctx, db)
        result = recommend(passport, catalogue.vacancies, catalogue.trainings, pair_scorer(ctx), ctx.taxonomy,
                           k=k, language=language)
        versions = catalogue.version("vacancies"), catalogue.version("trainings")
    return RenderedList(result.model_dump_json().encode(), len(result.items), len(result.pathways)), versions


def candidate_list(ctx, vacancy_id: str, vacancy_document: dict, employer_id: str, k: int,
                   language: str) -> RenderedList:
    """The best *k* consenting seekers who pass the vacancy's knock-outs."""
    taxonomy = ctx.taxonomy
    vacancy = VacancyArrays.from_vacancies([Vacancy.model_validate(vacancy_document)], taxonomy)
    with ctx.sessions() as db:
        catalogue = snapshot(ctx, db)
        seekers, trainings, scorer = catalogue.seekers, catalogue.trainings, pair_scorer(ctx)
    allowed = np.flatnonzero(seekers.allows(employer_id))
    codes, _, chord_sq = knockout_codes(seekers.arrays, vacancy, allowed)
    ok = codes[:, 0] == Knockout.FEASIBLE
    s, distance = allowed[ok], road_distance_km(chord_sq[ok, 0])
    zeros = np.zeros(len(s), np.int64)
    score = score_pairs(scorer, seekers.arrays, vacancy, s, zeros, distance)
    explain = best_first(score, max(k, EXPLAIN_AT_LEAST))
    items = []
    if explain.size:
        explained = explain_pairs_columns(seekers.arrays, vacancy, trainings, taxonomy, s[explain], zeros[explain],
                                          scorer.scorer, competitors=(s, zeros, score), language=language)
        arrays = seekers.arrays
        for i, position in enumerate(explain[:k]):
            row = s[position]
            items.append(Candidate(
                seeker_id=seekers.holder_ids[row], passport_id=arrays.ids[row],
                score=round(float(score[position]), 4), distance_km=round(float(distance[position]), 1),
                strengths=explained["strengths"][i], gaps=explained["gaps"][i],
                training=_suggestion(explained, i),
                profile=_profile(arrays.levels[row], arrays.se[row], arrays.measured[row], taxonomy)))
    body = CandidateList(vacancy_id=vacancy_id, language=language, feasible=len(s), items=items)
    return RenderedList(body.model_dump_json().encode(), len(items), subject_ids=tuple(i.seeker_id for i in items))


# --------------------------------------------------------------------------- endpoints

SeekerOrCoach = role_caller("seeker", "coach")
Employer = role_caller("employer")


@router.get("/seekers/{seeker_id}/recommendations", response_model=Recommendations,
            summary="A seeker's best open vacancies, with reasons and training pathways (the seeker or their coach)")
def seeker_recommendations(seeker_id: str, caller: SeekerOrCoach, db: Db, ctx: Context,
                           k: Annotated[int, Query(ge=1, le=50)] = 10,
                           language: Language = "en") -> Response:
    acting_for_seeker(db, caller, seeker_id)
    record = record_of_holder(db, seeker_id)
    if record is None:
        raise ApiError(404, f"job seeker {seeker_id!r} has no passport yet: finish a Skillsprint first",
                       field="path.seeker_id")
    catalogue = snapshot(ctx, db)
    # A list is a function of the passport version, the catalogues and the query: reloading the page is free.
    key = (record.passport_id, record.version, catalogue.version("vacancies"), catalogue.version("trainings"), k,
           language)
    recent = _recent_lists(ctx)
    rendered = recent.get(key)
    if rendered is None:
        rendered, versions = compute(ctx, seeker_list, record.document, k, language)
        # Filed under the catalogue versions it was computed on, which a change between
        # reading the counters here and computing may have moved on.
        recent.put((record.passport_id, record.version, *versions, k, language), rendered)
    audit(db, caller, "recommendations.read", resource="seeker", resource_id=seeker_id, subject_id=seeker_id,
          detail={"k": k, "shown": rendered.shown, "pathways": rendered.pathways})
    db.commit()
    return Response(rendered.body, media_type="application/json")


def owned_vacancy(db, caller, vacancy_id: str, field: str = "path.vacancy_id") -> VacancyRecord:
    """The vacancy, if the caller's employer organisation posted it (404 unknown, 403 someone else's)."""
    organisation = employer_organisation(caller)
    record = db.get(VacancyRecord, vacancy_id)
    if record is None:
        raise not_found("vacancy", vacancy_id, field)
    if record.employer_id != organisation:
        raise ApiError(403, "only the employer that posted this vacancy may do this")
    return record


@router.get("/vacancies/{vacancy_id}/candidates", response_model=CandidateList,
            summary="The best consenting candidates for your vacancy, with reasons (the posting employer)")
def vacancy_candidates(vacancy_id: str, caller: Employer, db: Db, ctx: Context,
                       k: Annotated[int, Query(ge=1, le=100)] = 20,
                       language: Language = "en") -> Response:
    record = owned_vacancy(db, caller, vacancy_id)
    if record.status != "open":
        raise ApiError(409, f"vacancy {vacancy_id!r} is closed; reopen it to see candidates", field="path.vacancy_id")
    rendered = compute(ctx, candidate_list, vacancy_id, record.document, record.employer_id, k, language)
    audit_many(db, caller, "candidates.list", resource="vacancy", resource_id=vacancy_id,
               subject_ids=list(rendered.subject_ids))
    db.commit()
    return Response(rendered.body, media_type="application/json")


@router.get("/vacancies/{vacancy_id}/candidates/{seeker_id}", response_model=CandidatePassport,
            summary="One consenting candidate's passport for your vacancy (the posting employer)")
def vacancy_candidate(vacancy_id: str, seeker_id: str, caller: Employer, db: Db, ctx: Context) -> CandidatePassport:
    record = owned_vacancy(db, caller, vacancy_id)
    passport_record = record_of_holder(db, seeker_id)
    passport = None if passport_record is None else passport_of(passport_record)
    if passport is None or not passport.consent.allows_employer(record.employer_id):
        raise ApiError(404, f"no candidate {seeker_id!r} who shares their passport with you", field="path.seeker_id")
    levels, se, measured = passport.profile.to_arrays(ctx.taxonomy)
    audit(db, caller, "candidates.read", resource="vacancy", resource_id=vacancy_id, subject_id=seeker_id,
          detail={"passport_version": passport.version})
    db.commit()
    return CandidatePassport(
        seeker_id=seeker_id, passport_id=passport.passport_id, version=passport.version,
        education_eqf=passport.education_eqf,
        languages=[LanguageLevel(language=lang.language, cefr=lang.cefr) for lang in passport.languages],
        hard_skills=[HardSkillHeld(hard_skill_id=c.hard_skill_id, evidence=c.evidence) for c in passport.hard_skills],
        profile=_profile(levels, se, measured, ctx.taxonomy))
