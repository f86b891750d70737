"""A seeker's own passport, its history, consent and details; the signed credential; the
export of everything stored about a person; and erasure on request.

The seeker, or their job coach, uses these. Employers see candidates elsewhere, through
consent only; administrators reach a person here only to carry out an erasure request.
"""

from __future__ import annotations

import threading
from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import APIRouter, status
from pydantic import BaseModel, Field, RootModel
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from passport.credential import issue_credential
from passport.history import FieldChange, PassportVersion
from passport.issuance import set_consent, update_details
from passport.keys import KeyStore, SigningKeyError
from passport.models import LanguageSkill, Location, Passport, Preferences
from service.api.access import acting_for_seeker
from service.api.audit import audit
from service.api.context import ServiceContext
from service.api.deps import Context, Db, role_caller
from service.api.errors import ApiError
from service.api.passport_store import history_of, passport_of, record_of_holder, save_history
from service.api.security import Principal
from service.db.catalogue import bump
from service.db.tables import (AccessToken, Account, ApiKey, AssessmentEvent, AuditEntry, BatchJob, CoachAssignment,
                               Connection, MonitoringAttribute, Organisation, Outcome, PassportRecord,
                               SkillsprintSessionRecord, utcnow)
from service.jobs.people_in_results import downloads_of, jobs_that_matched, rows_naming, scrub_person_from_jobs

router = APIRouter(tags=["passports"])

SeekerOrCoach = role_caller("seeker", "coach")
SeekerOrAdmin = role_caller("seeker", "admin")


# --------------------------------------------------------------------------- models


class PassportOut(BaseModel):
    passport_id: str
    version: int
    updated_at: datetime
    passport: Passport


class VersionOut(BaseModel):
    version: int
    recorded_at: datetime
    actor: str
    reason: str
    changes: list[FieldChange]


class HistoryOut(BaseModel):
    passport_id: str
    versions: list[VersionOut]


class ConsentIn(BaseModel):
    visible_to_employers: bool
    employer_ids: list[str] = Field(default_factory=list, description="Empty: every employer (when visible).")
    include_in_batch_matching: bool


class DetailsPatch(BaseModel):
    """Any of the details a holder or their coach may change; the rest follows from evidence."""

    education_eqf: int | None = Field(default=None, ge=1, le=8)
    languages: list[LanguageSkill] | None = None
    preferences: Preferences | None = None
    location: Location | None = None


class Credential(RootModel[dict[str, Any]]):
    """A W3C Verifiable Credential (Open Badges 3.0 style) carrying the passport, with an
    eddsa-jcs-2022 Data Integrity proof (JSON Schema: passport/schemas/credential.schema.json)."""


class AccountExport(BaseModel):
    account_id: str
    username: str
    role: str
    display_name: str
    organisation_id: str | None
    active: bool
    created_at: datetime


class EventExport(BaseModel):
    event_id: str
    instrument: str
    received_at: datetime
    payload: dict[str, Any]


class SessionExport(BaseModel):
    session_id: str
    status: str
    details: dict[str, Any] | None
    started_at: datetime
    finished_at: datetime | None
    passport_id: str | None
    events: list[EventExport]


class ConnectionExport(BaseModel):
    connection_id: str
    vacancy_id: str
    employer_id: str
    status: str
    message: str
    score: float | None
    created_at: datetime
    decided_at: datetime | None


class OutcomeExport(BaseModel):
    outcome_id: str
    connection_id: str | None
    vacancy_id: str | None
    employer_id: str | None
    occupation_id: str | None
    kind: str
    lasted: bool | None
    recorded_at: datetime


class CoachExport(BaseModel):
    coach_id: str
    since: datetime


class SignInExport(BaseModel):
    created_at: datetime
    expires_at: datetime


class AuditExport(BaseModel):
    at: datetime
    actor_id: str | None
    actor_role: str
    action: str
    resource: str
    resource_id: str | None
    detail: dict[str, Any] | None


class BatchResultExport(BaseModel):
    job_id: str
    partner_id: str
    finished_at: datetime | None
    assignment: list[dict[str, Any]] = Field(description="The person's row of the job's assignments, if placed")
    explanation: list[dict[str, Any]] = Field(description="Why the person was placed where they were, or not")


class PersonExport(BaseModel):
    exported_at: datetime
    account: AccountExport
    passport: Passport | None
    passport_history: list[PassportVersion]
    sessions: list[SessionExport]
    connections: list[ConnectionExport]
    outcomes: list[OutcomeExport]
    monitoring_attributes: dict[str, str]
    coaches: list[CoachExport]
    sign_ins: list[SignInExport]
    batch_results: list[BatchResultExport]
    audit: list[AuditExport]


# --------------------------------------------------------------------------- passport


def _passport_record(db: Session, seeker_id: str) -> PassportRecord:
    record = record_of_holder(db, seeker_id)
    if record is None:
        raise ApiError(404, f"job seeker {seeker_id!r} has no passport yet (finish a Skillsprint session)",
                       field="path.seeker_id")
    return record


def _passport_out(record: PassportRecord) -> PassportOut:
    return PassportOut(passport_id=record.passport_id, version=record.version, updated_at=record.updated_at,
                       passport=passport_of(record))


@router.get("/seekers/{seeker_id}/passport", response_model=PassportOut, summary="A seeker's current passport")
def get_passport(seeker_id: str, caller: SeekerOrCoach, db: Db) -> PassportOut:
    acting_for_seeker(db, caller, seeker_id)
    record = _passport_record(db, seeker_id)
    audit(db, caller, "passport.read", resource="passport", resource_id=record.passport_id, subject_id=seeker_id,
          detail={"version": record.version})
    db.commit()
    return _passport_out(record)


@router.get("/seekers/{seeker_id}/passport/history", response_model=HistoryOut,
            summary="Every version of the passport: who changed what, when and why")
def get_history(seeker_id: str, caller: SeekerOrCoach, db: Db) -> HistoryOut:
    acting_for_seeker(db, caller, seeker_id)
    record = _passport_record(db, seeker_id)
    history = history_of(record)
    audit(db, caller, "passport.history", resource="passport", resource_id=record.passport_id, subject_id=seeker_id)
    db.commit()
    return HistoryOut(passport_id=record.passport_id, versions=[
        VersionOut(version=v.version, recorded_at=v.recorded_at, actor=v.actor, reason=v.reason, changes=v.changes)
        for v in history.versions])


@router.put("/seekers/{seeker_id}/passport/consent", response_model=PassportOut,
            summary="Set who may see the passport and whether it joins batch matching")
def put_consent(seeker_id: str, body: ConsentIn, caller: SeekerOrCoach, db: Db) -> PassportOut:
    acting_for_seeker(db, caller, seeker_id)
    record = _passport_record(db, seeker_id)
    if body.employer_ids and not body.visible_to_employers:
        raise ApiError(422, "naming employers needs visible_to_employers on", field="body.employer_ids")
    _check_employers(db, body.employer_ids)
    current = passport_of(record).consent
    unchanged = (current.visible_to_employers, current.employer_ids, current.include_in_batch_matching) == \
        (body.visible_to_employers, body.employer_ids, body.include_in_batch_matching)
    if not unchanged:
        history = set_consent(history_of(record), visible_to_employers=body.visible_to_employers,
                              include_in_batch_matching=body.include_in_batch_matching,
                              employer_ids=body.employer_ids, actor=caller.account_id, at=utcnow())
        save_history(db, seeker_id, history, record)
    audit(db, caller, "passport.consent", resource="passport", resource_id=record.passport_id, subject_id=seeker_id,
          detail={"visible_to_employers": body.visible_to_employers, "named_employers": len(body.employer_ids),
                  "include_in_batch_matching": body.include_in_batch_matching, "changed": not unchanged})
    db.commit()
    return _passport_out(record)


def _check_employers(db: Session, employer_ids: list[str]) -> None:
    known = set(db.scalars(select(Organisation.id).where(Organisation.id.in_(employer_ids),
                                                         Organisation.kind == "employer"))) if employer_ids else set()
    for i, employer_id in enumerate(employer_ids):
        if employer_id not in known:
            raise ApiError(422, f"no employer {employer_id!r}", field=f"body.employer_ids[{i}]")


@router.patch("/seekers/{seeker_id}/passport", response_model=PassportOut,
              summary="Change education, languages, preferences or location")
def patch_details(seeker_id: str, body: DetailsPatch, caller: SeekerOrCoach, db: Db, ctx: Context) -> PassportOut:
    acting_for_seeker(db, caller, seeker_id)
    record = _passport_record(db, seeker_id)
    given = body.model_fields_set
    if not given:
        raise ApiError(422, "send at least one of education_eqf, languages, preferences, location", field="body")
    nulls = sorted(name for name in given if getattr(body, name) is None)
    if nulls:
        raise ApiError(422, "cannot be null", field=f"body.{nulls[0]}")
    current = passport_of(record)
    changes = {name: getattr(body, name) for name in given if getattr(body, name) != getattr(current, name)}
    if changes:
        history = update_details(history_of(record), ctx.taxonomy, actor=caller.account_id,
                                 reason="details changed: " + ", ".join(sorted(changes)), at=utcnow(), **changes)
        save_history(db, seeker_id, history, record)
    audit(db, caller, "passport.update", resource="passport", resource_id=record.passport_id, subject_id=seeker_id,
          detail={"fields": sorted(changes)})
    db.commit()
    return _passport_out(record)


# --------------------------------------------------------------------------- credential

_key_lock = threading.Lock()


def _signing_key(ctx: ServiceContext, now: datetime):
    """The platform's active issuer key; the key store is created on first use."""
    store = KeyStore(ctx.settings.data_dir / "keys")
    try:
        with _key_lock:
            if not store.exists():
                store.init(now=now, issuer="skillpass")
        return store.signing_key(now=now), store.keyring().issuer
    except SigningKeyError as error:
        raise ApiError(503, f"the platform cannot sign credentials now: {error}") from None


@router.get("/seekers/{seeker_id}/passport/credential", response_model=Credential,
            summary="The passport as a signed, portable verifiable credential")
def get_credential(seeker_id: str, caller: SeekerOrCoach, db: Db, ctx: Context) -> Credential:
    acting_for_seeker(db, caller, seeker_id)
    record = _passport_record(db, seeker_id)
    now = utcnow()
    signing, issuer = _signing_key(ctx, now)
    document = issue_credential(passport_of(record), ctx.taxonomy, signing, issuer_name=issuer, now=now)
    audit(db, caller, "passport.credential", resource="passport", resource_id=record.passport_id,
          subject_id=seeker_id, detail={"version": record.version, "key_id": signing[0].key_id})
    db.commit()
    return Credential(document)


# --------------------------------------------------------------------------- export and erasure


@router.get("/seekers/{seeker_id}/export", response_model=PersonExport,
            summary="Everything stored about a seeker, as one document (right of access)")
def export_person(seeker_id: str, caller: SeekerOrCoach, db: Db) -> PersonExport:
    account = acting_for_seeker(db, caller, seeker_id)
    record = record_of_holder(db, seeker_id)
    sessions = list(db.scalars(select(SkillsprintSessionRecord).where(SkillsprintSessionRecord.holder_id == seeker_id)
                               .order_by(SkillsprintSessionRecord.started_at)))
    events: dict[str, list[EventExport]] = {s.id: [] for s in sessions}
    for row in db.scalars(select(AssessmentEvent).where(AssessmentEvent.session_id.in_(list(events)))
                          .order_by(AssessmentEvent.instrument, AssessmentEvent.received_at)):
        events[row.session_id].append(EventExport(event_id=row.event_id, instrument=row.instrument,
                                                  received_at=row.received_at, payload=row.payload))
    export = PersonExport(
        exported_at=utcnow(),
        account=AccountExport(account_id=account.id, username=account.username, role=account.role,
                              display_name=account.display_name, organisation_id=account.organisation_id,
                              active=account.active, created_at=account.created_at),
        passport=passport_of(record) if record else None,
        passport_history=history_of(record).versions if record else [],
        sessions=[SessionExport(session_id=s.id, status=s.status, details=s.details, started_at=s.started_at,
                                finished_at=s.finished_at, passport_id=s.passport_id, events=events[s.id])
                  for s in sessions],
        connections=[ConnectionExport(connection_id=c.id, vacancy_id=c.vacancy_id, employer_id=c.employer_id,
                                      status=c.status, message=c.message, score=c.score, created_at=c.created_at,
                                      decided_at=c.decided_at)
                     for c in db.scalars(select(Connection).where(Connection.seeker_id == seeker_id))],
        outcomes=[OutcomeExport(outcome_id=o.id, connection_id=o.connection_id, vacancy_id=o.vacancy_id,
                                employer_id=o.employer_id, occupation_id=o.occupation_id, kind=o.kind, lasted=o.lasted,
                                recorded_at=o.recorded_at)
                  for o in db.scalars(select(Outcome).where(Outcome.seeker_id == seeker_id))],
        monitoring_attributes={m.attribute: m.value for m in db.scalars(
            select(MonitoringAttribute).where(MonitoringAttribute.account_id == seeker_id))},
        coaches=[CoachExport(coach_id=c.coach_id, since=c.created_at) for c in db.scalars(
            select(CoachAssignment).where(CoachAssignment.seeker_id == seeker_id))],
        sign_ins=[SignInExport(created_at=t.created_at, expires_at=t.expires_at) for t in db.scalars(
            select(AccessToken).where(AccessToken.account_id == seeker_id))],
        batch_results=[_batch_result(job, seeker_id) for job in jobs_that_matched(db, seeker_id)],
        audit=[AuditExport(at=a.at, actor_id=a.actor_id, actor_role=a.actor_role, action=a.action, resource=a.resource,
                           resource_id=a.resource_id, detail=a.detail)
               for a in db.scalars(select(AuditEntry).where(AuditEntry.subject_id == seeker_id)
                                   .order_by(AuditEntry.at, AuditEntry.id))])
    audit(db, caller, "person.exported", resource="person", resource_id=seeker_id, subject_id=seeker_id,
          detail={"sessions": len(sessions), "events": sum(len(e) for e in events.values())})
    db.commit()
    return export


def _batch_result(job: BatchJob, seeker_id: str) -> BatchResultExport:
    rows = rows_naming(Path(job.result_dir), seeker_id)
    return BatchResultExport(job_id=job.id, partner_id=job.partner_id, finished_at=job.finished_at,
                             assignment=rows.get("assignments", []), explanation=rows.get("seekers", []))


def _erasable_seeker(db: Session, caller: Principal, seeker_id: str) -> Account:
    if caller.role == "seeker":
        return acting_for_seeker(db, caller, seeker_id)
    account = db.get(Account, seeker_id)
    if account is None or account.role != "seeker" or account.erased_at is not None:
        raise ApiError(404, f"no job seeker {seeker_id!r}", field="path.seeker_id")
    return account


@router.delete("/seekers/{seeker_id}", status_code=status.HTTP_204_NO_CONTENT,
               summary="Erase a seeker on request (the seeker, or an administrator processing the request)")
def erase_person(seeker_id: str, caller: SeekerOrAdmin, db: Db) -> None:
    account = _erasable_seeker(db, caller, seeker_id)
    session_ids = select(SkillsprintSessionRecord.id).where(SkillsprintSessionRecord.holder_id == seeker_id)
    # Events are deleted explicitly rather than by the foreign key's cascade, which needs
    # SQLite's foreign_keys pragma on the connection that runs this.
    db.execute(delete(AssessmentEvent).where(AssessmentEvent.session_id.in_(session_ids)))
    db.execute(delete(SkillsprintSessionRecord).where(SkillsprintSessionRecord.holder_id == seeker_id))
    db.execute(delete(PassportRecord).where(PassportRecord.holder_id == seeker_id))
    # An outcome stays as a count for the employer and the programme, no longer tied to anyone.
    db.execute(update(Outcome).where(Outcome.seeker_id == seeker_id).values(seeker_id=None, connection_id=None))
    db.execute(delete(Connection).where(Connection.seeker_id == seeker_id))
    db.execute(delete(MonitoringAttribute).where(MonitoringAttribute.account_id == seeker_id))
    db.execute(delete(CoachAssignment).where(CoachAssignment.seeker_id == seeker_id))
    db.execute(delete(AccessToken).where(AccessToken.account_id == seeker_id))
    db.execute(delete(ApiKey).where(ApiKey.account_id == seeker_id))
    account.username = f"erased-{seeker_id}"
    account.password_hash = None
    account.display_name = ""
    account.organisation_id = None
    account.active = False
    account.erased_at = utcnow()
    bump(db, "passports")
    # Before the commit: if a result folder cannot be rewritten, the erasure fails whole
    # and can be asked for again.
    rewritten = scrub_person_from_jobs(db, seeker_id)
    matched_in = [job.id for job in jobs_that_matched(db, seeker_id)]
    audit(db, caller, "person.erased", resource="person", resource_id=seeker_id, subject_id=seeker_id,
          detail={"job_results_rewritten": rewritten,
                  "job_results_downloaded_before": downloads_of(db, matched_in)})
    db.commit()
    # Again after the commit, for a job that loaded the person and finished meanwhile
    # (see service.jobs.people_in_results); a folder already rewritten is left as it is.
    if scrub_person_from_jobs(db, seeker_id):
        db.commit()
