"""Passports in the database: the current document, its history and the consent columns.

Every change goes through :func:`save_history`, which keeps the document, the version
history and the filterable consent columns in step and counts the change for the caches.
"""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from passport.history import PassportHistory
from passport.models import Passport
from service.db.catalogue import bump
from service.db.tables import PassportRecord


def record_of_holder(session: Session, holder_id: str) -> PassportRecord | None:
    return session.scalar(select(PassportRecord).where(PassportRecord.holder_id == holder_id))


def history_of(record: PassportRecord) -> PassportHistory:
    return PassportHistory.from_json(record.history)


def passport_of(record: PassportRecord) -> Passport:
    return Passport.model_validate(record.document)


def save_history(session: Session, holder_id: str, history: PassportHistory,
                 record: PassportRecord | None = None) -> PassportRecord:
    """Store *history* as the holder's passport (new, or replacing *record*'s content)."""
    current = history.current
    if current.holder_id != holder_id:
        raise ValueError("the passport's holder_id must be the holder's account id")
    if record is None:
        record = PassportRecord(passport_id=current.passport_id, holder_id=holder_id)
        session.add(record)
    record.version = current.version
    record.document = current.model_dump(mode="json")
    record.history = history.to_json()
    record.visible_to_employers = current.consent.visible_to_employers
    record.include_in_batch_matching = current.consent.include_in_batch_matching
    record.updated_at = datetime.now(timezone.utc)
    bump(session, "passports")
    return record
