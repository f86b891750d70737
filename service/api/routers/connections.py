"""Connections: an employer invites a consenting candidate; the seeker (or their coach) answers.

States: ``invited`` → ``accepted`` | ``declined`` (the seeker's side) or ``withdrawn`` (the
employer's side); nothing leaves those three. An accepted connection is a match and
records an :class:`~service.db.tables.Outcome`. One connection per vacancy and seeker.
A seeker who withdraws consent later keeps their connections; the employer then no
longer sees their candidate view.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated, Literal

import numpy as np
from fastapi import APIRouter, Query, status
from pydantic import BaseModel, Field
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from passport.models import Passport, Vacancy
from passport.population import SeekerArrays, VacancyArrays
from service.api.access import caseload_ids, coach_has, employer_organisation
from service.api.audit import audit, audit_many
from service.api.catalogue import pair_scorer
from service.api.deps import Caller, Context, Db, role_caller
from service.api.errors import ApiError, forbidden, not_found
from service.api.passport_store import passport_of, record_of_holder
from service.api.routers.recommendations import owned_vacancy
from service.api.security import Principal
from service.db.tables import Account, Connection, Outcome, VacancyRecord

router = APIRouter(prefix="/connections", tags=["connections"])

Status = Literal["invited", "accepted", "declined", "withdrawn"]


class ConnectionIn(BaseModel):
    vacancy_id: str = Field(min_length=1, max_length=64)
    seeker_id: str = Field(min_length=1, max_length=64, description="The candidate's account id.")
    message: str = Field(default="", max_length=2000, description="A short note to the candidate.")


class ConnectionOut(BaseModel):
    id: str
    vacancy_id: str
    vacancy_title: str
    seeker_id: str
    employer_id: str
    status: Status
    message: str
    score: float | None = Field(description="The pair's fit when the invitation was sent.")
    created_at: datetime
    decided_at: datetime | None


def _utc(moment: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes; everything stored is UTC.
    return moment.replace(tzinfo=timezone.utc) if moment is not None and moment.tzinfo is None else moment


def _out(connection: Connection, title: str) -> ConnectionOut:
    return ConnectionOut(id=connection.id, vacancy_id=connection.vacancy_id, vacancy_title=title,
                         seeker_id=connection.seeker_id, employer_id=connection.employer_id,
                         status=connection.status, message=connection.message, score=connection.score,
                         created_at=_utc(connection.created_at), decided_at=_utc(connection.decided_at))


def _title(db: Session, vacancy_id: str) -> str:
    return db.get(VacancyRecord, vacancy_id).document["title"]


def _fit(ctx, passport: Passport, vacancy: Vacancy) -> float:
    seeker = SeekerArrays.from_passports([passport], ctx.taxonomy)
    vacancies = VacancyArrays.from_vacancies([vacancy], ctx.taxonomy)
    one = np.zeros(1, np.int64)
    return round(float(pair_scorer(ctx)(seeker, vacancies, one, one, None)[0]), 4)


Employer = role_caller("employer")
SeekerOrCoach = role_caller("seeker", "coach")


@router.post("", response_model=ConnectionOut, status_code=status.HTTP_201_CREATED,
             summary="Invite a consenting candidate for your vacancy (the posting employer)")
def invite(body: ConnectionIn, caller: Employer, db: Db, ctx: Context) -> ConnectionOut:
    record = owned_vacancy(db, caller, body.vacancy_id, field="body.vacancy_id")
    if record.status != "open":
        raise ApiError(409, f"vacancy {body.vacancy_id!r} is closed", field="body.vacancy_id")
    account = db.get(Account, body.seeker_id)
    passport_record = record_of_holder(db, body.seeker_id)
    passport = None if passport_record is None else passport_of(passport_record)
    # Someone who does not share their passport with this employer answers as unknown.
    if account is None or account.erased_at is not None or passport is None \
            or not passport.consent.allows_employer(record.employer_id):
        raise ApiError(404, f"no candidate {body.seeker_id!r} who shares their passport with you",
                       field="body.seeker_id")
    taken = db.scalar(select(Connection.id).where(Connection.vacancy_id == body.vacancy_id,
                                                  Connection.seeker_id == body.seeker_id))
    if taken is not None:
        raise ApiError(409, f"this candidate was already invited for this vacancy (connection {taken})",
                       field="body.seeker_id")
    connection = Connection(vacancy_id=body.vacancy_id, seeker_id=body.seeker_id, employer_id=record.employer_id,
                            invited_by=caller.account_id, status="invited", message=body.message,
                            score=_fit(ctx, passport, Vacancy.model_validate(record.document)),
                            created_at=datetime.now(timezone.utc))
    db.add(connection)
    try:
        db.flush()
    except IntegrityError:  # a concurrent invitation for the same pair won the race
        db.rollback()
        raise ApiError(409, "this candidate was already invited for this vacancy", field="body.seeker_id") from None
    audit(db, caller, "connection.invite", resource="connection", resource_id=connection.id,
          subject_id=body.seeker_id, detail={"vacancy_id": body.vacancy_id})
    db.commit()
    return _out(connection, record.document["title"])


@router.get("", response_model=list[ConnectionOut],
            summary="Connections: a seeker's own, a coach's caseload's, an employer organisation's")
def list_connections(caller: Caller, db: Db,
                     seeker_id: Annotated[str | None, Query(max_length=64)] = None,
                     vacancy_id: Annotated[str | None, Query(max_length=64)] = None,
                     status_: Annotated[Status | None, Query(alias="status")] = None,
                     limit: Annotated[int, Query(ge=1, le=500)] = 100) -> list[ConnectionOut]:
    query = select(Connection, VacancyRecord.document["title"].as_string()) \
        .join(VacancyRecord, VacancyRecord.vacancy_id == Connection.vacancy_id)
    if caller.role == "seeker":
        if seeker_id not in (None, caller.account_id):
            raise not_found("job seeker you act for", seeker_id, "query.seeker_id")
        query = query.where(Connection.seeker_id == caller.account_id)
    elif caller.role == "coach":
        caseload = caseload_ids(db, caller.account_id)
        if seeker_id is not None and seeker_id not in caseload:
            raise not_found("job seeker you act for", seeker_id, "query.seeker_id")
        query = query.where(Connection.seeker_id.in_([seeker_id] if seeker_id else caseload))
    elif caller.role == "employer":
        query = query.where(Connection.employer_id == employer_organisation(caller))
        if seeker_id is not None:
            query = query.where(Connection.seeker_id == seeker_id)
    else:
        raise forbidden("connections are seen by the seeker, their coach and the inviting employer")
    if vacancy_id is not None:
        query = query.where(Connection.vacancy_id == vacancy_id)
    if status_ is not None:
        query = query.where(Connection.status == status_)
    rows = db.execute(query.order_by(Connection.created_at.desc(), Connection.id).limit(limit)).all()
    audit_many(db, caller, "connections.list", resource="connection",
               subject_ids=sorted({connection.seeker_id for connection, _ in rows}))
    db.commit()
    return [_out(connection, title) for connection, title in rows]


def _decide(db: Session, connection_id: str, new_status: str) -> Connection:
    """Move an invited connection to *new_status*; 409 from any other state."""
    moved = db.execute(update(Connection).where(Connection.id == connection_id, Connection.status == "invited")
                       .values(status=new_status, decided_at=datetime.now(timezone.utc))).rowcount
    connection = db.get(Connection, connection_id)
    db.refresh(connection)
    if not moved:
        raise ApiError(409, f"connection {connection_id!r} is {connection.status}; only an invitation can be "
                            f"{new_status}", field="path.connection_id")
    return connection


def _seekers_connection(db: Session, caller: Principal, connection_id: str) -> Connection:
    connection = db.get(Connection, connection_id)
    if connection is None or not (
            (caller.role == "seeker" and connection.seeker_id == caller.account_id)
            or (caller.role == "coach" and coach_has(db, caller.account_id, connection.seeker_id))):
        raise not_found("connection", connection_id, "path.connection_id")
    return connection


@router.post("/{connection_id}/accept", response_model=ConnectionOut,
             summary="Accept an invitation: a match (the seeker or their coach)")
def accept(connection_id: str, caller: SeekerOrCoach, db: Db) -> ConnectionOut:
    connection = _seekers_connection(db, caller, connection_id)
    vacancy = db.get(VacancyRecord, connection.vacancy_id)
    if vacancy.status != "open" and connection.status == "invited":
        raise ApiError(409, f"vacancy {connection.vacancy_id!r} has been closed; the invitation can only be declined",
                       field="path.connection_id")
    connection = _decide(db, connection_id, "accepted")
    db.add(Outcome(kind="match", connection_id=connection.id, seeker_id=connection.seeker_id,
                   vacancy_id=connection.vacancy_id, employer_id=connection.employer_id,
                   occupation_id=vacancy.document["occupation_id"]))
    audit(db, caller, "connection.accept", resource="connection", resource_id=connection.id,
          subject_id=connection.seeker_id, detail={"vacancy_id": connection.vacancy_id})
    db.commit()
    return _out(connection, vacancy.document["title"])


@router.post("/{connection_id}/decline", response_model=ConnectionOut,
             summary="Decline an invitation (the seeker or their coach)")
def decline(connection_id: str, caller: SeekerOrCoach, db: Db) -> ConnectionOut:
    _seekers_connection(db, caller, connection_id)
    connection = _decide(db, connection_id, "declined")
    audit(db, caller, "connection.decline", resource="connection", resource_id=connection.id,
          subject_id=connection.seeker_id, detail={"vacancy_id": connection.vacancy_id})
    db.commit()
    return _out(connection, _title(db, connection.vacancy_id))


@router.post("/{connection_id}/withdraw", response_model=ConnectionOut,
             summary="Withdraw an invitation (the inviting employer)")
def withdraw(connection_id: str, caller: Employer, db: Db) -> ConnectionOut:
    connection = db.get(Connection, connection_id)
    if connection is None or connection.employer_id != employer_organisation(caller):
        raise not_found("connection", connection_id, "path.connection_id")
    connection = _decide(db, connection_id, "withdrawn")
    audit(db, caller, "connection.withdraw", resource="connection", resource_id=connection.id,
          subject_id=connection.seeker_id, detail={"vacancy_id": connection.vacancy_id})
    db.commit()
    return _out(connection, _title(db, connection.vacancy_id))
