"""The platform's tables (SQLAlchemy 2 declarative).

Passports, vacancies and training offers are stored as their validated JSON documents
(the records of :mod:`passport.models`), with the columns that queries filter on pulled
out beside them. Identifiers are strings (UUID4 hex unless the record brings its own),
so exports and URLs never reveal counts. Times are UTC.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timezone

from sqlalchemy import JSON, Boolean, DateTime, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

ROLES = ("seeker", "coach", "employer", "partner", "analyst", "admin")
ORGANISATION_KINDS = ("employer", "partner", "platform")
JOB_STATES = ("queued", "running", "succeeded", "failed", "cancelled")
CONNECTION_STATES = ("invited", "accepted", "declined", "withdrawn")
SESSION_STATES = ("open", "finished")


def new_id() -> str:
    return uuid.uuid4().hex


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: DateTime(timezone=True), dict: JSON, list: JSON}


class Organisation(Base):
    """An employer, a labour-market partner (municipality, employment service) or the platform."""

    __tablename__ = "organisations"
    id: Mapped[str] = mapped_column(String(64), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Account(Base):
    """A person or system that signs in. Seekers' ``organisation_id`` is the partner whose
    caseload they belong to; employers', partners' and coaches' is where they work."""

    __tablename__ = "accounts"
    id: Mapped[str] = mapped_column(String(64), primary_key=True, default=new_id)
    username: Mapped[str] = mapped_column(String(128), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(256))  # None: cannot sign in with a password
    role: Mapped[str] = mapped_column(String(16), index=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    organisation_id: Mapped[str | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    erased_at: Mapped[datetime | None] = mapped_column()


class AccessToken(Base):
    """An OAuth2 bearer token; only its SHA-256 is stored, so a leaked table grants nothing."""

    __tablename__ = "access_tokens"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()


class ApiKey(Base):
    """A long-lived key for partners' systems (header ``X-API-Key``); stored as SHA-256."""

    __tablename__ = "api_keys"
    id: Mapped[str] = mapped_column(String(64), primary_key=True, default=new_id)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column()


class CoachAssignment(Base):
    """A job coach acts for the seekers in their caseload."""

    __tablename__ = "coach_assignments"
    coach_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True)
    seeker_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True,
                                           index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class MonitoringAttribute(Base):
    """Self-reported group membership (e.g. age band) kept only to measure fairness.

    Never read by matching or scoring; analysts see it only inside aggregates.
    """

    __tablename__ = "monitoring_attributes"
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True)
    attribute: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(64))


class PassportRecord(Base):
    """The current passport document and its full version history (PassportHistory JSON)."""

    __tablename__ = "passports"
    passport_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), unique=True)
    version: Mapped[int] = mapped_column(Integer)
    document: Mapped[dict] = mapped_column(JSON)
    history: Mapped[str] = mapped_column(Text)
    visible_to_employers: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    include_in_batch_matching: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class SkillsprintSessionRecord(Base):
    __tablename__ = "skillsprint_sessions"
    id: Mapped[str] = mapped_column(String(64), primary_key=True, default=new_id)
    holder_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="open")
    # Passport details to issue with when the holder has none yet (education, location, ...).
    details: Mapped[dict | None] = mapped_column(JSON)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column()
    passport_id: Mapped[str | None] = mapped_column(String(64))
    n_events: Mapped[int] = mapped_column(Integer, default=0)


class AssessmentEvent(Base):
    """One game event; (session, event id) is the idempotency key of ingest."""

    __tablename__ = "assessment_events"
    session_id: Mapped[str] = mapped_column(ForeignKey("skillsprint_sessions.id", ondelete="CASCADE"),
                                            primary_key=True)
    event_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    instrument: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict] = mapped_column(JSON)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class VacancyRecord(Base):
    __tablename__ = "vacancies"
    vacancy_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    employer_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)  # open | closed
    document: Mapped[dict] = mapped_column(JSON)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_by: Mapped[str | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class TrainingOfferRecord(Base):
    __tablename__ = "training_offers"
    training_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    partner_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    document: Mapped[dict] = mapped_column(JSON)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class CatalogueVersion(Base):
    """A counter per catalogue (``vacancies``, ``trainings``, ``passports``), bumped in the same
    transaction as every change, so in-memory array caches know when to rebuild."""

    __tablename__ = "catalogue_versions"
    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=0)


class Connection(Base):
    """An employer's invitation to a candidate for a vacancy; accepted, it is a match."""

    __tablename__ = "connections"
    __table_args__ = (UniqueConstraint("vacancy_id", "seeker_id", name="uq_connection_pair"),)
    id: Mapped[str] = mapped_column(String(64), primary_key=True, default=new_id)
    vacancy_id: Mapped[str] = mapped_column(ForeignKey("vacancies.vacancy_id", ondelete="CASCADE"), index=True)
    seeker_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    employer_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    invited_by: Mapped[str | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(16), default="invited")
    message: Mapped[str] = mapped_column(String(2000), default="")
    score: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column()


class Outcome(Base):
    """A recorded match (an accepted connection) and, later, whether it lasted."""

    __tablename__ = "outcomes"
    id: Mapped[str] = mapped_column(String(64), primary_key=True, default=new_id)
    connection_id: Mapped[str | None] = mapped_column(ForeignKey("connections.id", ondelete="SET NULL"))
    seeker_id: Mapped[str | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"), index=True)
    vacancy_id: Mapped[str | None] = mapped_column(ForeignKey("vacancies.vacancy_id", ondelete="SET NULL"))
    employer_id: Mapped[str | None] = mapped_column(ForeignKey("organisations.id"))
    occupation_id: Mapped[str | None] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16), default="match")
    lasted: Mapped[bool | None] = mapped_column(Boolean)
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


class BatchJob(Base):
    """A partner's batch matching job; the worker process claims, runs and reports it."""

    __tablename__ = "batch_jobs"
    id: Mapped[str] = mapped_column(String(64), primary_key=True, default=new_id)
    partner_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    submitted_by: Mapped[str | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(16), default="queued", index=True)
    policy: Mapped[dict] = mapped_column(JSON, default=dict)
    parameters: Mapped[dict] = mapped_column(JSON, default=dict)
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    stage: Mapped[str] = mapped_column(String(200), default="")
    error: Mapped[str | None] = mapped_column(Text)
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    worker_id: Mapped[str | None] = mapped_column(String(64))
    heartbeat_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column()
    finished_at: Mapped[datetime | None] = mapped_column()
    result_dir: Mapped[str | None] = mapped_column(String(500))
    summary: Mapped[dict | None] = mapped_column(JSON)


class AuditEntry(Base):
    """Who read or changed a person's data, when, and through what (EU AI Act traceability)."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_subject_at", "subject_id", "at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[str | None] = mapped_column(String(64), index=True)
    actor_role: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(64))  # e.g. passport.read, passport.consent, candidates.list
    subject_id: Mapped[str | None] = mapped_column(String(64))  # the person whose data it was
    resource: Mapped[str] = mapped_column(String(64))
    resource_id: Mapped[str | None] = mapped_column(String(128))
    detail: Mapped[dict | None] = mapped_column(JSON)
