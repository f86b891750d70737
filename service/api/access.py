"""Who may act for a job seeker, and who may see them.

A seeker acts for themselves; a job coach acts for the seekers in their caseload (as job
coaches do for people with low digital literacy). Employers see a seeker only through
their passport's consent (:meth:`passport.models.Consent.allows_employer`). Nobody else
reaches a seeker's own data. A seeker who does not exist and one the caller may not reach
answer alike (404), so ids cannot be probed.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.api.errors import ApiError
from service.api.security import Principal
from service.db.tables import Account, CoachAssignment


def coach_has(session: Session, coach_id: str, seeker_id: str) -> bool:
    return session.get(CoachAssignment, (coach_id, seeker_id)) is not None


def acting_for_seeker(session: Session, principal: Principal, seeker_id: str) -> Account:
    """The seeker's account, if *principal* is that seeker or their coach; else 404."""
    allowed = (principal.role == "seeker" and principal.account_id == seeker_id) or \
        (principal.role == "coach" and coach_has(session, principal.account_id, seeker_id))
    account = session.get(Account, seeker_id) if allowed else None
    if account is None or account.role != "seeker" or account.erased_at is not None:
        raise ApiError(404, f"no job seeker {seeker_id!r} that you act for", field="path.seeker_id")
    return account


def caseload_ids(session: Session, coach_id: str) -> list[str]:
    return list(session.scalars(select(CoachAssignment.seeker_id).where(CoachAssignment.coach_id == coach_id)))


def employer_organisation(principal: Principal) -> str:
    if principal.role != "employer" or not principal.organisation_id:
        raise ApiError(403, "this needs an employer account that belongs to an employer organisation")
    return principal.organisation_id


def partner_organisation(principal: Principal) -> str:
    if principal.role != "partner" or not principal.organisation_id:
        raise ApiError(403, "this needs a partner account that belongs to a partner organisation")
    return principal.organisation_id
