"""Skillsprint sessions: start, send events in batches, see progress, finish into a passport.

A seeker plays for themselves, or their job coach runs the session with them. Finishing
scores the events, and issues the seeker's passport from the result (with the details
given when the session started) or adds the result as new evidence to the passport they
have.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, status
from pydantic import BaseModel, Field
from sqlalchemy import update
from sqlalchemy.orm import Session

from assessment.quality import FLAGS
from assessment.skillsprint import BATTERY, Engine, SkillsprintResult, instrument
from passport.evidence import evidence_from_profile
from passport.issuance import add_evidence, issue_from_profile
from passport.models import LanguageSkill, Location, Passport, Preferences
from passport.taxonomy import Taxonomy
from service.api.access import acting_for_seeker
from service.api.audit import audit
from service.api.deps import Caller, Context, Db, role_caller
from service.api.errors import ApiError, not_found
from service.api.passport_store import history_of, record_of_holder, save_history
from service.api.security import Principal
from service.api.session_store import MAX_BATCH_EVENTS, ingest_events, load_session, stored_event_count
from service.db.tables import SkillsprintSessionRecord, new_id, utcnow

router = APIRouter(tags=["sessions"])

SeekerOrCoach = role_caller("seeker", "coach")
RESOURCE = "skillsprint_session"


class ScaleOut(BaseModel):
    id: str
    label_en: str
    label_nl: str
    meaning: str
    reliability: str


class EventFieldOut(BaseModel):
    name: str
    type: str
    description: str
    nullable: bool
    minimum: float | None = None
    maximum: float | None = None
    choices: list[str] | None = None


class EventSchemaOut(BaseModel):
    instrument: str
    keys: dict[str, str]
    fields: list[EventFieldOut]


class InstrumentOut(BaseModel):
    id: str
    version: str
    title_en: str
    title_nl: str
    trials: int
    min_trials: int
    scales: list[ScaleOut]
    events: EventSchemaOut


class PassportDetails(BaseModel):
    """What a first passport needs beside the measured profile."""

    education_eqf: int = Field(ge=1, le=8, description="Highest completed education, EQF level 1–8.")
    location: Location
    languages: list[LanguageSkill] = Field(default_factory=list)
    preferences: Preferences = Field(default_factory=Preferences)


class SessionStart(BaseModel):
    details: PassportDetails | None = Field(
        default=None, description="Used to issue the passport at finish when the seeker has none yet.")


class SessionOut(BaseModel):
    session_id: str
    seeker_id: str
    status: str
    started_at: datetime
    finished_at: datetime | None
    n_events: int
    passport_id: str | None
    has_details: bool


class InstrumentProgress(BaseModel):
    trials: int = Field(description="Distinct trials played.")
    of: int = Field(description="Trials in a full run.")
    completion: float
    finished: bool


class SessionProgress(SessionOut):
    progress: dict[str, InstrumentProgress]
    next_scenario: str | None = Field(description="The adaptive scenario test's next item; null when it has stopped.")


class EventBatch(BaseModel):
    events: list[dict[str, Any]] = Field(
        min_length=1, max_length=MAX_BATCH_EVENTS,
        description="Trial events, each with event_id (unique within the session), instrument and the "
                    "instrument's fields (GET /skillsprint/instruments).")


class BatchReceiptOut(BaseModel):
    accepted: int = Field(description="Events stored by this batch.")
    repeated: int = Field(description="Events already stored with the same content (harmless repeats).")
    stored_total: int


class FinishIn(BaseModel):
    details: PassportDetails | None = Field(
        default=None, description="Overrides the details given at start; needed when neither exists and the "
                                  "seeker has no passport yet. Ignored when the seeker has a passport (change "
                                  "its details with PATCH /seekers/{seeker_id}/passport).")


class QualityFlag(BaseModel):
    instrument: str
    flag: str
    effect: str
    message: str


class FinishOut(BaseModel):
    session_id: str
    finished_at: datetime
    issued: bool = Field(description="True when a new passport was issued; false when evidence was added.")
    passport_version: int
    passport: Passport
    quality_flags: list[QualityFlag]


def check_details(taxonomy: Taxonomy, details: PassportDetails, field: str) -> None:
    """Refuse sectors the taxonomy does not know, naming the field, before anything is stored."""
    for name in ("sectors", "excluded_sectors"):
        for i, sector in enumerate(getattr(details.preferences, name)):
            if sector not in taxonomy.sectors:
                raise ApiError(422, f"unknown sector {sector!r}", field=f"{field}.preferences.{name}[{i}]")


def session_acted_for(db: Session, caller: Principal, session_id: str) -> SkillsprintSessionRecord:
    """The session, if the caller acts for its holder; an unreachable one answers like a missing one."""
    record = db.get(SkillsprintSessionRecord, session_id)
    if record is not None:
        try:
            acting_for_seeker(db, caller, record.holder_id)
        except ApiError:
            record = None
    if record is None:
        raise not_found("Skillsprint session", session_id, "path.session_id")
    return record


def _session_out(record: SkillsprintSessionRecord) -> dict:
    return dict(session_id=record.id, seeker_id=record.holder_id, status=record.status, started_at=record.started_at,
                finished_at=record.finished_at, n_events=record.n_events, passport_id=record.passport_id,
                has_details=record.details is not None)


def _refuse_finished(record: SkillsprintSessionRecord) -> None:
    if record.status != "open":
        raise ApiError(409, f"Skillsprint session {record.id!r} is finished", field="path.session_id")


@router.get("/skillsprint/instruments", response_model=list[InstrumentOut],
            summary="The Skillsprint's instruments in play order, with the fields each event carries")
def list_instruments(caller: Caller) -> list[InstrumentOut]:
    return [InstrumentOut.model_validate(instrument(name).describe()) for name, _, _ in BATTERY]


@router.post("/seekers/{seeker_id}/sessions", response_model=SessionOut, status_code=status.HTTP_201_CREATED,
             summary="Start a Skillsprint session for a seeker (the seeker, or their job coach)")
def start_session(seeker_id: str, caller: SeekerOrCoach, db: Db, ctx: Context,
                  body: SessionStart | None = None) -> SessionOut:
    acting_for_seeker(db, caller, seeker_id)
    details = body.details if body else None
    if details is not None:
        check_details(ctx.taxonomy, details, "body.details")
    record = SkillsprintSessionRecord(id=new_id(), holder_id=seeker_id, status="open", started_at=utcnow(),
                                      details=details.model_dump(mode="json") if details else None, n_events=0)
    db.add(record)
    audit(db, caller, "session.start", resource=RESOURCE, resource_id=record.id, subject_id=seeker_id)
    db.commit()
    return SessionOut(**_session_out(record))


@router.post("/sessions/{session_id}/events", response_model=BatchReceiptOut,
             summary="Send a batch of Skillsprint events; repeats and any order are safe")
def send_events(session_id: str, body: EventBatch, caller: SeekerOrCoach, db: Db) -> BatchReceiptOut:
    record = session_acted_for(db, caller, session_id)
    _refuse_finished(record)
    receipt = ingest_events(db, record.id, body.events)
    audit(db, caller, "session.events", resource=RESOURCE, resource_id=record.id, subject_id=record.holder_id,
          detail={"accepted": receipt.accepted, "repeated": receipt.repeated})
    db.commit()
    return BatchReceiptOut(accepted=receipt.accepted, repeated=receipt.repeated, stored_total=receipt.stored_total)


@router.get("/sessions/{session_id}", response_model=SessionProgress,
            summary="A session's progress per instrument and the next adaptive scenario")
def get_session(session_id: str, caller: SeekerOrCoach, db: Db) -> SessionProgress:
    record = session_acted_for(db, caller, session_id)
    session = load_session(db, record.id)
    progress = {name: InstrumentProgress(**p) for name, p in session.progress().items()}
    next_scenario = session.next_scenario() if record.status == "open" else None
    audit(db, caller, "session.read", resource=RESOURCE, resource_id=record.id, subject_id=record.holder_id)
    db.commit()
    return SessionProgress(**_session_out(record), progress=progress, next_scenario=next_scenario)


def scoring_engine() -> Engine:
    """The scoring engine (taxonomy, measurement model, norms); built once per process."""
    return Engine.default()


def _quality_flags(result: SkillsprintResult) -> list[QualityFlag]:
    return [QualityFlag(instrument=row.instrument, flag=row.flag, effect=row.effect, message=FLAGS[row.flag].en)
            for row in result.flags.itertuples(index=False)]


@router.post("/sessions/{session_id}/finish", response_model=FinishOut,
             summary="Score the session and issue or extend the seeker's passport from it")
def finish_session(session_id: str, caller: SeekerOrCoach, db: Db, ctx: Context,
                   body: FinishIn | None = None) -> FinishOut:
    record = session_acted_for(db, caller, session_id)
    _refuse_finished(record)
    holder_id = record.holder_id
    details = body.details if body and body.details else None
    if details is not None:
        check_details(ctx.taxonomy, details, "body.details")
    elif record.details is not None:
        details = PassportDetails.model_validate(record.details)
    session = load_session(db, record.id)
    n_events = stored_event_count(session)
    if n_events == 0:
        raise ApiError(409, "the session has no events yet; play before finishing", field="path.session_id")
    existing = record_of_holder(db, holder_id)
    if existing is None and details is None:
        raise ApiError(422, "the seeker has no passport yet: give education_eqf and location (and optionally "
                            "languages and preferences) to issue one", field="body.details")
    result = session.score(scoring_engine())
    profile = result.profile(ctx.taxonomy, 0)
    if not profile.skills:
        raise ApiError(409, "the events played so far measure no skill; play more before finishing",
                       field="path.session_id")
    now = utcnow()
    if existing is None:
        history = issue_from_profile(
            ctx.taxonomy, profile, measured_at=now, recorded_by="skillsprint", session_id=record.id,
            passport_id=new_id(), holder_id=holder_id, education_eqf=details.education_eqf,
            location=details.location, languages=details.languages, preferences=details.preferences,
            provenance=session.provenance(result, now), actor=caller.account_id, at=now)
    else:
        evidence = evidence_from_profile(profile, observed_at=now, recorded_by="skillsprint", reference=record.id)
        history = add_evidence(history_of(existing), ctx.taxonomy, evidence, actor=caller.account_id,
                               reason=f"Skillsprint session {record.id} scored", at=now)
    save_history(db, holder_id, history, existing)
    # Only the events that were scored may close the session: a batch stored meanwhile
    # changes n_events, and this finish then refuses rather than ignore it.
    closed = db.execute(update(SkillsprintSessionRecord)
                        .where(SkillsprintSessionRecord.id == record.id, SkillsprintSessionRecord.status == "open",
                               SkillsprintSessionRecord.n_events == n_events)
                        .values(status="finished", finished_at=now, passport_id=history.passport_id)
                        .execution_options(synchronize_session=False)).rowcount
    if not closed:
        raise ApiError(409, "the session changed while it was being finished; try again", field="path.session_id")
    flags = _quality_flags(result)
    audit(db, caller, "session.finish", resource=RESOURCE, resource_id=record.id, subject_id=holder_id,
          detail={"passport_id": history.passport_id, "passport_version": history.current.version,
                  "issued": existing is None, "flags": len(flags)})
    db.commit()
    return FinishOut(session_id=record.id, finished_at=now, issued=existing is None,
                     passport_version=history.current.version, passport=history.current, quality_flags=flags)
