"""Skillsprint events in the database: idempotent batch ingest, and a session read back.

Ingest reuses the assessment session's checks (schema, repeats, conflicting resends) but
never loads a whole session: it validates the batch first
(:meth:`~assessment.session.SkillsprintSession.check_batch`), then under the session's
write lock loads only the stored events whose ids the batch names (one ``IN`` query), lets
:meth:`~assessment.session.SkillsprintSession.keep_checked` decide what is new, and
bulk-inserts just that. The events' own primary key (session, event id)
stops two concurrent batches from storing the same event twice.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from assessment.errors import AssessmentInputError
from assessment.session import SkillsprintSession
from service.api.errors import ApiError
from service.db.tables import AssessmentEvent, SkillsprintSessionRecord, utcnow

MAX_BATCH_EVENTS = 1000
MAX_EVENT_ID_CHARS = 128  # the width of assessment_events.event_id


@dataclass(frozen=True)
class IngestReceipt:
    accepted: int
    repeated: int
    stored_total: int


def ingest_events(db: Session, session_id: str, batch: list[dict]) -> IngestReceipt:
    """Store the new events of *batch* in an open session; a bad batch raises before any write."""
    _check_event_ids(batch)
    session = SkillsprintSession(session_id)
    # The schema checks are most of an ingest's time and need nothing stored: done before
    # the write lock, so concurrent batches hold it only for their reads and writes.
    checked = session.check_batch(batch)
    _lock_open_session(db, session_id)
    ids = {record["event_id"] for records in checked.values() for record in records}
    stored = _stored_with_ids(db, session_id, ids)
    for instrument, event_id, payload in stored:
        session.events.setdefault(instrument, {})[event_id] = payload
    receipt = session.keep_checked(checked)
    new_rows = _new_rows(session, {(instrument, event_id) for instrument, event_id, _ in stored},
                         {event_id for _, event_id, _ in stored})
    if new_rows:
        db.execute(insert(AssessmentEvent), new_rows)
    total = db.execute(update(SkillsprintSessionRecord).where(SkillsprintSessionRecord.id == session_id)
                       .values(n_events=SkillsprintSessionRecord.n_events + len(new_rows))
                       .returning(SkillsprintSessionRecord.n_events)
                       .execution_options(synchronize_session=False)).scalar_one()
    return IngestReceipt(accepted=receipt.accepted, repeated=receipt.repeated, stored_total=total)


def _lock_open_session(db: Session, session_id: str) -> None:
    """Take the session's write lock before reading its events, so concurrent batches of one
    session run one after the other and each sees what the one before stored."""
    locked = db.execute(update(SkillsprintSessionRecord)
                        .where(SkillsprintSessionRecord.id == session_id, SkillsprintSessionRecord.status == "open")
                        .values(n_events=SkillsprintSessionRecord.n_events)
                        .execution_options(synchronize_session=False)).rowcount
    if not locked:
        raise ApiError(409, f"Skillsprint session {session_id!r} is finished; it takes no more events",
                       field="path.session_id")


def load_session(db: Session, session_id: str) -> SkillsprintSession:
    """Every stored event of a session, as the assessment engine's session object."""
    session = SkillsprintSession(session_id)
    rows = db.execute(select(AssessmentEvent.instrument, AssessmentEvent.event_id, AssessmentEvent.payload)
                      .where(AssessmentEvent.session_id == session_id))
    for instrument, event_id, payload in rows:
        session.events.setdefault(instrument, {})[event_id] = payload
    return session


def stored_event_count(session: SkillsprintSession) -> int:
    return sum(len(events) for events in session.events.values())


def _check_event_ids(batch: list[dict]) -> None:
    # add_events checks presence; the column's width is the store's own limit.
    for event in batch:
        if isinstance(event, dict) and len(str(event.get("event_id", ""))) > MAX_EVENT_ID_CHARS:
            raise AssessmentInputError("skillsprint", f"an event id has at most {MAX_EVENT_ID_CHARS} characters",
                                       event_id=str(event["event_id"])[:MAX_EVENT_ID_CHARS] + "…", field="event_id")


def _stored_with_ids(db: Session, session_id: str, ids: set[str]) -> list[tuple[str, str, dict]]:
    if not ids:
        return []
    rows = db.execute(select(AssessmentEvent.instrument, AssessmentEvent.event_id, AssessmentEvent.payload)
                      .where(AssessmentEvent.session_id == session_id, AssessmentEvent.event_id.in_(ids)))
    return [tuple(row) for row in rows]


def _new_rows(session: SkillsprintSession, stored_keys: set[tuple[str, str]], stored_ids: set[str]) -> list[dict]:
    """Rows for the events add_events staged; an id may not move to another instrument."""
    received_at = utcnow()
    rows, seen = [], set()
    for instrument, events in session.events.items():
        for event_id, payload in events.items():
            if (instrument, event_id) in stored_keys:
                continue
            # add_events keys repeats by instrument, so the same id under two instruments
            # would pass it; the id is the session's key, so one of the two must be wrong.
            if event_id in stored_ids or event_id in seen:
                raise AssessmentInputError(instrument, "sent again with different content (another instrument)",
                                           event_id=event_id, field="instrument")
            seen.add(event_id)
            rows.append({"session_id": session.session_id, "event_id": event_id, "instrument": instrument,
                         "payload": payload, "received_at": received_at})
    return rows
