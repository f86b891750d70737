"""The audit log: every read or change of a person's data leaves a line.

Entries are written in the same transaction as the change they describe, so a change is
never stored without its entry. Details hold identifiers and counts, never personal content.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from service.api.security import Principal
from service.db.tables import AuditEntry


def audit(session: Session, principal: Principal | None, action: str, *, resource: str,
          resource_id: str | None = None, subject_id: str | None = None, detail: dict | None = None) -> None:
    session.add(AuditEntry(actor_id=principal.account_id if principal else None,
                           actor_role=principal.role if principal else "system", action=action,
                           subject_id=subject_id, resource=resource, resource_id=resource_id, detail=detail))


def audit_many(session: Session, principal: Principal, action: str, *, resource: str, subject_ids,
               resource_id: str | None = None, detail: dict | None = None) -> None:
    """One entry per person, e.g. for each candidate shown to an employer."""
    session.add_all([AuditEntry(actor_id=principal.account_id, actor_role=principal.role, action=action,
                                subject_id=subject, resource=resource, resource_id=resource_id, detail=detail)
                     for subject in subject_ids])
