"""Accounts and organisations, job coaches' caseloads, monitoring attributes and the audit log.

Job seekers register themselves; administrators create every other account, under the
rule of :data:`ORGANISATION_RULES`. Partners (or administrators) put seekers in a coach's
caseload. Monitoring attributes are a seeker's own voluntary answers, kept only for the
fairness aggregates of :mod:`service.api.routers.analytics`.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Literal

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, Field
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from service.api.access import partner_organisation
from service.api.aggregates import MONITORING_ATTRIBUTES
from service.api.audit import audit, audit_many
from service.api.deps import MAX_OFFSET, Db, role_caller
from service.api.errors import ApiError, not_found
from service.api.security import Principal, hash_password
from service.db.tables import (ORGANISATION_KINDS, ROLES, AccessToken, Account, AuditEntry, CoachAssignment,
                               MonitoringAttribute, Organisation, PassportRecord)

router = APIRouter(tags=["accounts"])

AdminCaller = role_caller("admin")
CaseloadManager = role_caller("admin", "partner")
CoachCaller = role_caller("coach")
SeekerCaller = role_caller("seeker")

Role = Literal[ROLES]  # type: ignore[valid-type]
OrganisationKind = Literal[ORGANISATION_KINDS]  # type: ignore[valid-type]

ORGANISATION_RULES: dict[str, tuple[str | None, bool]] = {
    "seeker": ("partner", False),   # the partner whose caseload they belong to, if any
    "coach": ("partner", True),
    "partner": ("partner", True),
    "employer": ("employer", True),
    "analyst": (None, False),
    "admin": (None, False),
}
"""Per role: the kind of organisation an account belongs to (None: none at all) and whether it must."""

USERNAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._@+-]*$"


class RegistrationIn(BaseModel):
    username: str = Field(min_length=3, max_length=128, pattern=USERNAME_PATTERN)
    password: str = Field(min_length=10, max_length=256)
    display_name: str = Field(min_length=1, max_length=200)
    partner_organisation_id: str | None = Field(None, description="The labour-market partner you work with, if any.")


class AccountIn(BaseModel):
    username: str = Field(min_length=3, max_length=128, pattern=USERNAME_PATTERN)
    password: str = Field(min_length=10, max_length=256)
    role: Role
    display_name: str = Field(min_length=1, max_length=200)
    organisation_id: str | None = Field(None, description="Required for employers (an employer organisation), "
                                                          "partners and coaches (a partner organisation); "
                                                          "optional for seekers; none for analysts and admins.")


class AccountPatch(BaseModel):
    active: bool | None = None
    display_name: str | None = Field(None, min_length=1, max_length=200)
    organisation_id: str | None = Field(None, description="Send null to leave the organisation (seekers only).")


class AccountOut(BaseModel):
    id: str
    username: str
    role: str
    display_name: str
    organisation_id: str | None
    active: bool
    created_at: datetime
    erased: bool


class AccountPage(BaseModel):
    items: list[AccountOut]
    total: int
    limit: int
    offset: int


class OrganisationIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    kind: OrganisationKind


class OrganisationOut(BaseModel):
    id: str
    name: str
    kind: str
    created_at: datetime


class CaseloadIn(BaseModel):
    seeker_id: str = Field(min_length=1, max_length=64)


class CaseloadAssignment(BaseModel):
    coach_id: str
    seeker_id: str
    created_at: datetime


class CaseloadSeeker(BaseModel):
    seeker_id: str
    display_name: str
    has_passport: bool
    visible_to_employers: bool
    include_in_batch_matching: bool
    assigned_at: datetime


class MonitoringIn(BaseModel):
    attributes: dict[str, str] = Field(description="Replaces every answer given before; leave an attribute out "
                                                   "to not state it. Allowed: " + "; ".join(
                                                       f"{name}: {', '.join(values)}"
                                                       for name, values in MONITORING_ATTRIBUTES.items()))


class MonitoringOut(BaseModel):
    attributes: dict[str, str]
    allowed: dict[str, list[str]]


class AuditOut(BaseModel):
    id: int
    at: datetime
    actor_id: str | None
    actor_role: str
    action: str
    subject_id: str | None
    resource: str
    resource_id: str | None
    detail: dict | None


def _utc(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes; everything stored is UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _account_out(account: Account) -> AccountOut:
    return AccountOut(id=account.id, username=account.username, role=account.role,
                      display_name=account.display_name, organisation_id=account.organisation_id,
                      active=account.active, created_at=_utc(account.created_at), erased=account.erased_at is not None)


def _check_organisation(db: Session, role: str, organisation_id: str | None, field: str) -> None:
    kind, required = ORGANISATION_RULES[role]
    if organisation_id is None:
        if required:
            raise ApiError(422, f"a {role} account needs a {kind} organisation", field=field)
        return
    if kind is None:
        raise ApiError(422, f"a {role} account belongs to no organisation", field=field)
    organisation = db.get(Organisation, organisation_id)
    if organisation is None:
        raise ApiError(422, f"no organisation {organisation_id!r}", field=field)
    if organisation.kind != kind:
        raise ApiError(422, f"a {role} account needs a {kind} organisation; {organisation_id!r} is "
                            f"a {organisation.kind} organisation", field=field)


def _create_account(db: Session, *, username: str, password: str, role: str, display_name: str,
                    organisation_id: str | None) -> Account:
    if db.scalar(select(Account.id).where(Account.username == username)) is not None:
        raise ApiError(409, f"the username {username!r} is taken", field="body.username")
    account = Account(username=username, password_hash=hash_password(password), role=role,
                      display_name=display_name, organisation_id=organisation_id)
    db.add(account)
    try:
        db.flush()
    except IntegrityError:  # registered by a concurrent request since the check above
        db.rollback()
        raise ApiError(409, f"the username {username!r} is taken", field="body.username") from None
    return account


# --------------------------------------------------------------------------- accounts


@router.post("/accounts/register", response_model=AccountOut, status_code=status.HTTP_201_CREATED,
             summary="Register as a job seeker (no sign-in needed; sign in afterwards at /auth/token)")
def register(body: RegistrationIn, db: Db) -> AccountOut:
    _check_organisation(db, "seeker", body.partner_organisation_id, "body.partner_organisation_id")
    account = _create_account(db, username=body.username, password=body.password, role="seeker",
                              display_name=body.display_name, organisation_id=body.partner_organisation_id)
    audit(db, Principal(account.id, "seeker", account.organisation_id, "registration"), "account.register",
          resource="account", resource_id=account.id, subject_id=account.id)
    db.commit()
    return _account_out(account)


@router.post("/accounts", response_model=AccountOut, status_code=status.HTTP_201_CREATED,
             summary="Create an account of any role (admins only)")
def create_account(body: AccountIn, caller: AdminCaller, db: Db) -> AccountOut:
    _check_organisation(db, body.role, body.organisation_id, "body.organisation_id")
    account = _create_account(db, username=body.username, password=body.password, role=body.role,
                              display_name=body.display_name, organisation_id=body.organisation_id)
    audit(db, caller, "account.create", resource="account", resource_id=account.id, subject_id=account.id,
          detail={"role": account.role})
    db.commit()
    return _account_out(account)


@router.get("/accounts", response_model=AccountPage, summary="Accounts, filtered and paginated (admins only)")
def list_accounts(caller: AdminCaller, db: Db, role: Role | None = None,
                  organisation_id: str | None = Query(None, max_length=64),
                  limit: int = Query(100, ge=1, le=500), offset: int = Query(0, ge=0, le=MAX_OFFSET)) -> AccountPage:
    conditions = []
    if role is not None:
        conditions.append(Account.role == role)
    if organisation_id is not None:
        conditions.append(Account.organisation_id == organisation_id)
    total = db.scalar(select(func.count()).select_from(Account).where(*conditions))
    accounts = list(db.scalars(select(Account).where(*conditions).order_by(Account.created_at, Account.id)
                               .limit(limit).offset(offset)))
    audit_many(db, caller, "account.list", resource="account", subject_ids=[a.id for a in accounts])
    db.commit()
    return AccountPage(items=[_account_out(a) for a in accounts], total=total, limit=limit, offset=offset)


@router.patch("/accounts/{account_id}", response_model=AccountOut,
              summary="Activate or deactivate an account, rename it or move it (admins only)")
def update_account(account_id: str, body: AccountPatch, caller: AdminCaller, db: Db) -> AccountOut:
    account = db.get(Account, account_id)
    if account is None:
        raise not_found("account", account_id, "path.account_id")
    if account.erased_at is not None:
        raise ApiError(409, "this account has been erased", field="path.account_id")
    changed = body.model_fields_set
    for name in ("active", "display_name"):
        if name in changed and getattr(body, name) is None:
            raise ApiError(422, "must not be null", field=f"body.{name}")
    if "active" in changed and not body.active and account.id == caller.account_id:
        raise ApiError(409, "you cannot deactivate your own account", field="body.active")
    if "organisation_id" in changed:
        _check_organisation(db, account.role, body.organisation_id, "body.organisation_id")
        account.organisation_id = body.organisation_id
    if "display_name" in changed:
        account.display_name = body.display_name
    if "active" in changed:
        account.active = body.active
        if not body.active:  # signing in again is needed once the account is back
            db.execute(delete(AccessToken).where(AccessToken.account_id == account.id))
    audit(db, caller, "account.update", resource="account", resource_id=account.id, subject_id=account.id,
          detail={"changed": sorted(changed)})
    db.commit()
    return _account_out(account)


# --------------------------------------------------------------------------- organisations


@router.post("/organisations", response_model=OrganisationOut, status_code=status.HTTP_201_CREATED,
             summary="Create an employer, partner or platform organisation (admins only)")
def create_organisation(body: OrganisationIn, caller: AdminCaller, db: Db) -> OrganisationOut:
    organisation = Organisation(name=body.name, kind=body.kind)
    db.add(organisation)
    db.flush()
    audit(db, caller, "organisation.create", resource="organisation", resource_id=organisation.id)
    db.commit()
    return OrganisationOut(id=organisation.id, name=organisation.name, kind=organisation.kind,
                           created_at=_utc(organisation.created_at))


@router.get("/organisations", response_model=list[OrganisationOut], summary="All organisations (admins only)")
def list_organisations(caller: AdminCaller, db: Db, kind: OrganisationKind | None = None) -> list[OrganisationOut]:
    statement = select(Organisation).order_by(Organisation.name, Organisation.id)
    if kind is not None:
        statement = statement.where(Organisation.kind == kind)
    return [OrganisationOut(id=o.id, name=o.name, kind=o.kind, created_at=_utc(o.created_at))
            for o in db.scalars(statement)]


# --------------------------------------------------------------------------- caseloads


def _managed_coach(db: Session, caller: Principal, coach_id: str) -> Account:
    """The coach, if *caller* is an admin or a partner of the coach's organisation; else 404."""
    coach = db.get(Account, coach_id)
    reachable = coach is not None and coach.role == "coach" and coach.erased_at is None and (
        caller.role == "admin" or coach.organisation_id == partner_organisation(caller))
    if not reachable:
        raise not_found("job coach", coach_id, "path.coach_id")
    return coach


@router.post("/coaches/{coach_id}/caseload", response_model=CaseloadAssignment, status_code=status.HTTP_201_CREATED,
             summary="Put a job seeker in a coach's caseload (admins, or partners for their own coaches and seekers)")
def assign_to_caseload(coach_id: str, body: CaseloadIn, caller: CaseloadManager, db: Db) -> CaseloadAssignment:
    coach = _managed_coach(db, caller, coach_id)
    seeker = db.get(Account, body.seeker_id)
    # A partner hands its coaches only its own seekers; unknown and foreign seekers answer alike.
    if seeker is None or seeker.role != "seeker" or seeker.erased_at is not None or (
            caller.role == "partner" and seeker.organisation_id != caller.organisation_id):
        raise ApiError(422, f"no job seeker {body.seeker_id!r} that you may assign", field="body.seeker_id")
    if db.get(CoachAssignment, (coach.id, seeker.id)) is not None:
        raise ApiError(409, "this seeker is already in the coach's caseload", field="body.seeker_id")
    assignment = CoachAssignment(coach_id=coach.id, seeker_id=seeker.id, created_at=datetime.now(timezone.utc))
    db.add(assignment)
    audit(db, caller, "caseload.assign", resource="caseload", resource_id=coach.id, subject_id=seeker.id)
    db.commit()
    return CaseloadAssignment(coach_id=coach.id, seeker_id=seeker.id, created_at=assignment.created_at)


@router.delete("/coaches/{coach_id}/caseload/{seeker_id}", status_code=status.HTTP_204_NO_CONTENT,
               summary="Take a job seeker out of a coach's caseload")
def remove_from_caseload(coach_id: str, seeker_id: str, caller: CaseloadManager, db: Db) -> None:
    coach = _managed_coach(db, caller, coach_id)
    assignment = db.get(CoachAssignment, (coach.id, seeker_id))
    if assignment is None:
        raise not_found("job seeker in this caseload", seeker_id, "path.seeker_id")
    db.delete(assignment)
    audit(db, caller, "caseload.remove", resource="caseload", resource_id=coach.id, subject_id=seeker_id)
    db.commit()


@router.get("/coaches/me/caseload", response_model=list[CaseloadSeeker],
            summary="The job seekers you coach, with their passport and consent at a glance (coaches only)")
def my_caseload(caller: CoachCaller, db: Db) -> list[CaseloadSeeker]:
    rows = db.execute(
        select(Account.id, Account.display_name, CoachAssignment.created_at, PassportRecord.passport_id,
               PassportRecord.visible_to_employers, PassportRecord.include_in_batch_matching)
        .join(CoachAssignment, CoachAssignment.seeker_id == Account.id)
        .outerjoin(PassportRecord, PassportRecord.holder_id == Account.id)
        .where(CoachAssignment.coach_id == caller.account_id, Account.erased_at.is_(None))
        .order_by(Account.display_name, Account.id)).all()
    audit_many(db, caller, "caseload.read", resource="caseload", resource_id=caller.account_id,
               subject_ids=[row.id for row in rows])
    db.commit()
    return [CaseloadSeeker(seeker_id=row.id, display_name=row.display_name, has_passport=row.passport_id is not None,
                           visible_to_employers=bool(row.visible_to_employers),
                           include_in_batch_matching=bool(row.include_in_batch_matching),
                           assigned_at=_utc(row.created_at))
            for row in rows]


# --------------------------------------------------------------------------- monitoring attributes


def _own_seeker_id(caller: Principal, seeker_id: str) -> str:
    # Answering for someone else is not a coach's call: only the seeker themself.
    if seeker_id != caller.account_id:
        raise ApiError(404, f"no job seeker {seeker_id!r} that you act for", field="path.seeker_id")
    return seeker_id


def _monitoring_out(db: Session, seeker_id: str) -> MonitoringOut:
    rows = db.execute(select(MonitoringAttribute.attribute, MonitoringAttribute.value)
                      .where(MonitoringAttribute.account_id == seeker_id)).all()
    return MonitoringOut(attributes={row.attribute: row.value for row in rows},
                         allowed={name: list(values) for name, values in MONITORING_ATTRIBUTES.items()})


@router.put("/seekers/{seeker_id}/monitoring", response_model=MonitoringOut,
            summary="Your voluntary monitoring answers (used only to measure fairness; never for matching)")
def set_monitoring(seeker_id: str, body: MonitoringIn, caller: SeekerCaller, db: Db) -> MonitoringOut:
    seeker_id = _own_seeker_id(caller, seeker_id)
    for name, value in body.attributes.items():
        if name not in MONITORING_ATTRIBUTES:
            raise ApiError(422, f"unknown monitoring attribute; allowed: {', '.join(MONITORING_ATTRIBUTES)}",
                           field=f"body.attributes.{name}")
        if value not in MONITORING_ATTRIBUTES[name]:
            raise ApiError(422, f"allowed values: {', '.join(MONITORING_ATTRIBUTES[name])}",
                           field=f"body.attributes.{name}")
    db.execute(delete(MonitoringAttribute).where(MonitoringAttribute.account_id == seeker_id))
    db.add_all([MonitoringAttribute(account_id=seeker_id, attribute=name, value=value)
                for name, value in body.attributes.items()])
    audit(db, caller, "monitoring.update", resource="monitoring", resource_id=seeker_id, subject_id=seeker_id,
          detail={"attributes": sorted(body.attributes)})
    db.flush()
    out = _monitoring_out(db, seeker_id)
    db.commit()
    return out


@router.get("/seekers/{seeker_id}/monitoring", response_model=MonitoringOut,
            summary="Your monitoring answers and the allowed values")
def get_monitoring(seeker_id: str, caller: SeekerCaller, db: Db) -> MonitoringOut:
    seeker_id = _own_seeker_id(caller, seeker_id)
    out = _monitoring_out(db, seeker_id)
    audit(db, caller, "monitoring.read", resource="monitoring", resource_id=seeker_id, subject_id=seeker_id)
    db.commit()
    return out


# --------------------------------------------------------------------------- audit log


@router.get("/audit", response_model=list[AuditOut], summary="The audit log, newest first (admins only)")
def audit_log(caller: AdminCaller, db: Db, subject_id: str | None = Query(None, max_length=64),
              actor_id: str | None = Query(None, max_length=64), action: str | None = Query(None, max_length=64),
              since: datetime | None = Query(None, description="Only entries at or after this moment (ISO 8601; "
                                                              "UTC when no offset is given)."),
              limit: int = Query(100, ge=1, le=1000)) -> list[AuditOut]:
    conditions = []
    if subject_id is not None:
        conditions.append(AuditEntry.subject_id == subject_id)
    if actor_id is not None:
        conditions.append(AuditEntry.actor_id == actor_id)
    if action is not None:
        conditions.append(AuditEntry.action == action)
    if since is not None:
        conditions.append(AuditEntry.at >= (since.astimezone(timezone.utc) if since.tzinfo
                                            else since.replace(tzinfo=timezone.utc)))
    entries = db.scalars(select(AuditEntry).where(*conditions).order_by(AuditEntry.id.desc()).limit(limit))
    return [AuditOut(id=e.id, at=_utc(e.at), actor_id=e.actor_id, actor_role=e.actor_role, action=e.action,
                     subject_id=e.subject_id, resource=e.resource, resource_id=e.resource_id, detail=e.detail)
            for e in entries]
