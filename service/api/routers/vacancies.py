"""Skill-based vacancies: employers post, edit, close and reopen their own; every signed-in
role reads them.

A vacancy starts from its occupation's requirement profile and the employer's overrides;
its employer is always the caller's organisation. Vacancies hold no personal data, so
they are not audited, but each records who created it. Every change bumps the
``vacancies`` catalogue in the same transaction, so cached array views rebuild.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from passport.models import Cefr, Location, Requirement, Vacancy
from passport.taxonomy import Taxonomy
from service.api.deps import MAX_OFFSET, Caller, Context, Db, role_caller
from service.api.errors import ApiError, not_found
from service.api.jobposting import (JobPosting, JobPostingError, JobPostingIn, jobposting_from_vacancy,
                                    vacancy_from_jobposting)
from service.api.security import Principal
from service.db.catalogue import bump
from service.db.tables import Organisation, VacancyRecord

router = APIRouter(prefix="/vacancies", tags=["vacancies"])

RECORD_ID = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$"
EmployerCaller = role_caller("employer")


class LdJsonResponse(JSONResponse):
    media_type = "application/ld+json"


def _distinct(hard_ids: list[str] | None) -> list[str] | None:
    if hard_ids is not None and len(hard_ids) != len(set(hard_ids)):
        raise ValueError("a hard skill is listed twice")
    return hard_ids


class VacancyFields(BaseModel):
    """What an employer states; everything left out comes from the occupation's profile."""

    model_config = ConfigDict(extra="forbid")
    occupation_id: str = Field(description="See GET /taxonomy/occupations.")
    location: Location
    openings: int = Field(default=1, ge=1, le=10_000)
    title: str | None = Field(default=None, min_length=1, max_length=200)
    hours_min: int | None = Field(default=None, ge=1, le=48)
    hours_max: int | None = Field(default=None, ge=1, le=48)
    min_dutch_cefr: Cefr | None = None
    min_eqf: int | None = Field(default=None, ge=1, le=8)
    must_have: list[str] | None = Field(default=None, description="Hard-skill ids; replaces the occupation's.")
    nice_to_have: list[str] | None = Field(default=None, description="Hard-skill ids; replaces the occupation's.")
    requirements: dict[str, Requirement] = Field(
        default_factory=dict, description="Per soft skill, a level and importance replacing the occupation's.")

    _distinct_hard_skills = field_validator("must_have", "nice_to_have")(_distinct)


class VacancyIn(VacancyFields):
    vacancy_id: str | None = Field(default=None, pattern=RECORD_ID, description="Generated when left out.")


class VacancyPatch(BaseModel):
    """Only the fields sent change; ``requirements`` are merged skill by skill."""

    model_config = ConfigDict(extra="forbid")
    location: Location | None = None
    openings: int | None = Field(default=None, ge=1, le=10_000)
    title: str | None = Field(default=None, min_length=1, max_length=200)
    hours_min: int | None = Field(default=None, ge=1, le=48)
    hours_max: int | None = Field(default=None, ge=1, le=48)
    min_dutch_cefr: Cefr | None = None
    min_eqf: int | None = Field(default=None, ge=1, le=8)
    must_have: list[str] | None = None
    nice_to_have: list[str] | None = None
    requirements: dict[str, Requirement] | None = None

    _distinct_hard_skills = field_validator("must_have", "nice_to_have")(_distinct)


class VacancyOut(BaseModel):
    vacancy_id: str
    employer_id: str
    status: Literal["open", "closed"]
    version: int
    created_at: datetime
    updated_at: datetime
    vacancy: Vacancy


class VacancyPage(BaseModel):
    items: list[VacancyOut]
    total: int
    limit: int
    offset: int


class ImportNoteOut(BaseModel):
    property: str = Field(description="The JobPosting property the note is about.")
    target: str | None = Field(description="The vacancy field it set; null when it was ignored.")
    message: str


class ImportedVacancyOut(BaseModel):
    vacancy: VacancyOut
    notes: list[ImportNoteOut] = Field(description="How each property was read, defaulted or ignored: check them.")


# --------------------------------------------------------------------------- building


def _hard_skill_lists(must: list[str], nice: list[str], new_must: list[str] | None,
                      new_nice: list[str] | None) -> tuple[list[str], list[str]]:
    """A list the employer states wins over the other list's default, so a skill can move between them."""
    if new_must is not None and new_nice is not None:
        overlap = sorted(set(new_must) & set(new_nice))
        if overlap:
            raise ApiError(422, f"{overlap[0]!r} is both must-have and nice-to-have", field="body.nice_to_have")
        return new_must, new_nice
    if new_must is not None:
        return new_must, [h for h in nice if h not in new_must]
    if new_nice is not None:
        return [h for h in must if h not in new_nice], new_nice
    return must, nice


def _apply(taxonomy: Taxonomy, base: Vacancy, changes: dict) -> Vacancy:
    """*base* with the employer's *changes*, checked against the taxonomy; errors name the field."""
    fields = base.model_dump()
    overrides = changes.pop("requirements", None) or {}
    unknown = sorted(set(overrides) - set(taxonomy.skill_ids))
    if unknown:
        raise ApiError(422, f"unknown soft skill {unknown[0]!r}", field=f"body.requirements.{unknown[0]}")
    fields["requirements"] = {**fields["requirements"], **overrides}
    fields["must_have"], fields["nice_to_have"] = _hard_skill_lists(
        fields["must_have"], fields["nice_to_have"], changes.pop("must_have", None), changes.pop("nice_to_have", None))
    fields.update(changes)
    low, high = fields["hours_min"], fields["hours_max"]
    if isinstance(low, int) and isinstance(high, int) and low > high:  # None fails validation below, by name
        field = "body.hours_min" if "hours_max" not in changes else "body.hours_max"
        raise ApiError(422, f"hours_min {low} exceeds hours_max {high}", field=field)
    municipality = (fields.get("location") or {}).get("municipality_id")
    if municipality is not None and municipality not in taxonomy.municipalities.index:
        raise ApiError(422, f"unknown municipality {municipality!r}; see GET /taxonomy/municipalities",
                       field="body.location.municipality_id")
    vacancy = Vacancy.model_validate(fields)
    vacancy.check_references(taxonomy)
    return vacancy


def _from_fields(taxonomy: Taxonomy, body: VacancyFields, *, vacancy_id: str, employer_id: str) -> Vacancy:
    base = Vacancy.from_occupation(taxonomy, body.occupation_id, vacancy_id=vacancy_id, employer_id=employer_id,
                                   location=body.location, openings=body.openings)
    changes = body.model_dump(exclude_none=True, exclude={"occupation_id", "vacancy_id", "location", "openings"})
    return _apply(taxonomy, base, changes)


# --------------------------------------------------------------------------- storing


def _out(record: VacancyRecord) -> VacancyOut:
    return VacancyOut(vacancy_id=record.vacancy_id, employer_id=record.employer_id, status=record.status,
                      version=record.version, created_at=record.created_at, updated_at=record.updated_at,
                      vacancy=Vacancy.model_validate(record.document))


def _record(db: Session, vacancy_id: str, *, for_update: bool = False) -> VacancyRecord:
    query = select(VacancyRecord).where(VacancyRecord.vacancy_id == vacancy_id)
    record = db.scalar(query.with_for_update() if for_update else query)
    if record is None:
        raise not_found("vacancy", vacancy_id, "path.vacancy_id")
    return record


def _owned(db: Session, caller: Principal, vacancy_id: str) -> VacancyRecord:
    record = _record(db, vacancy_id, for_update=True)
    if record.employer_id != caller.organisation_id:
        raise ApiError(403, "this vacancy belongs to another employer")
    return record


def _insert(db: Session, caller: Principal, vacancy: Vacancy) -> VacancyRecord:
    if db.get(VacancyRecord, vacancy.vacancy_id) is not None:
        raise ApiError(409, f"a vacancy {vacancy.vacancy_id!r} already exists", field="body.vacancy_id")
    now = datetime.now(timezone.utc)
    record = VacancyRecord(vacancy_id=vacancy.vacancy_id, employer_id=vacancy.employer_id, status="open",
                           document=vacancy.model_dump(mode="json"), version=1, created_by=caller.account_id,
                           created_at=now, updated_at=now)
    try:
        db.add(record)
        bump(db, "vacancies")
        db.commit()
    except IntegrityError:
        db.rollback()
        raise ApiError(409, f"a vacancy {vacancy.vacancy_id!r} already exists", field="body.vacancy_id") from None
    return record


def _replace(db: Session, record: VacancyRecord, vacancy: Vacancy) -> VacancyOut:
    record.document = vacancy.model_dump(mode="json")
    record.version += 1
    record.updated_at = datetime.now(timezone.utc)
    bump(db, "vacancies")
    db.commit()
    return _out(record)


def _set_status(db: Session, caller: Principal, vacancy_id: str, status: str) -> VacancyOut:
    record = _owned(db, caller, vacancy_id)
    if record.status == status:
        raise ApiError(409, f"the vacancy is already {status}")
    record.status = status
    record.updated_at = datetime.now(timezone.utc)
    bump(db, "vacancies")
    db.commit()
    return _out(record)


def _employer(caller: Principal) -> str:
    if not caller.organisation_id:
        raise ApiError(403, "this needs an employer account that belongs to an employer organisation")
    return caller.organisation_id


# --------------------------------------------------------------------------- endpoints


@router.post("", response_model=VacancyOut, status_code=201, summary="Post a vacancy built from an occupation profile")
def create_vacancy(body: VacancyIn, caller: EmployerCaller, db: Db, ctx: Context) -> VacancyOut:
    vacancy = _from_fields(ctx.taxonomy, body, vacancy_id=body.vacancy_id or f"vac-{uuid.uuid4().hex[:12]}",
                           employer_id=_employer(caller))
    return _out(_insert(db, caller, vacancy))


@router.post("/import", response_model=ImportedVacancyOut, status_code=201,
             summary="Post a vacancy from a schema.org JobPosting (JSON-LD), with notes on how it was read")
def import_vacancy(body: JobPostingIn, caller: EmployerCaller, db: Db, ctx: Context,
                   occupation_id: Annotated[str | None, Query(
                       description="The occupation to use when occupationalCategory names none (or to override it).")]
                   = None) -> ImportedVacancyOut:
    employer_id = _employer(caller)
    try:
        imported = vacancy_from_jobposting(body.model_dump(by_alias=True, exclude_unset=True), ctx.taxonomy,
                                           vacancy_id=f"vac-{uuid.uuid4().hex[:12]}", employer_id=employer_id,
                                           occupation_id=occupation_id)
    except JobPostingError as exc:
        raise ApiError(422, exc.problem, field=exc.field) from None
    imported.vacancy.check_references(ctx.taxonomy)
    record = _insert(db, caller, imported.vacancy)
    return ImportedVacancyOut(vacancy=_out(record), notes=[ImportNoteOut(property=n.property, target=n.target,
                                                                         message=n.message) for n in imported.notes])


@router.get("", response_model=VacancyPage, summary="List vacancies (any signed-in role)")
def list_vacancies(caller: Caller, db: Db, ctx: Context,
                   status: Literal["open", "closed"] | None = None,
                   occupation_id: str | None = None,
                   employer_id: str | None = None,
                   mine: Annotated[bool, Query(description="Only your organisation's vacancies (employers).")] = False,
                   limit: Annotated[int, Query(ge=1, le=500)] = 50,
                   offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0) -> VacancyPage:
    conditions = []
    if status is not None:
        conditions.append(VacancyRecord.status == status)
    if occupation_id is not None:
        if occupation_id not in ctx.taxonomy.occupation_ids:
            raise ApiError(422, f"unknown occupation {occupation_id!r}", field="query.occupation_id")
        conditions.append(VacancyRecord.document["occupation_id"].as_string() == occupation_id)
    if employer_id is not None:
        conditions.append(VacancyRecord.employer_id == employer_id)
    if mine:
        if caller.role != "employer":
            raise ApiError(403, "mine=true lists your organisation's vacancies; it needs an employer account")
        conditions.append(VacancyRecord.employer_id == _employer(caller))
    total = db.scalar(select(func.count()).select_from(VacancyRecord).where(*conditions))
    rows = db.scalars(select(VacancyRecord).where(*conditions)
                      .order_by(VacancyRecord.created_at.desc(), VacancyRecord.vacancy_id).limit(limit).offset(offset))
    return VacancyPage(items=[_out(r) for r in rows], total=total, limit=limit, offset=offset)


@router.get("/{vacancy_id}", response_model=VacancyOut, summary="One vacancy (any signed-in role)")
def get_vacancy(vacancy_id: str, caller: Caller, db: Db) -> VacancyOut:
    return _out(_record(db, vacancy_id))


@router.get("/{vacancy_id}/jobposting", response_model=JobPosting, response_class=LdJsonResponse,
            response_model_by_alias=True, response_model_exclude_none=True,
            summary="A vacancy as a schema.org JobPosting (JSON-LD) that POST /vacancies/import reads back")
def export_jobposting(vacancy_id: str, caller: Caller, db: Db, ctx: Context) -> JobPosting:
    record = _record(db, vacancy_id)
    organisation = db.get(Organisation, record.employer_id)
    return jobposting_from_vacancy(Vacancy.model_validate(record.document), ctx.taxonomy,
                                   employer_name=organisation.name if organisation else record.employer_id,
                                   date_posted=record.created_at.date())


@router.put("/{vacancy_id}", response_model=VacancyOut,
            summary="Replace a vacancy's editable fields (its employer only); fields left out return to the "
                    "occupation's")
def replace_vacancy(vacancy_id: str, body: VacancyFields, caller: EmployerCaller, db: Db, ctx: Context) -> VacancyOut:
    record = _owned(db, caller, vacancy_id)
    vacancy = _from_fields(ctx.taxonomy, body, vacancy_id=vacancy_id, employer_id=record.employer_id)
    return _replace(db, record, vacancy)


@router.patch("/{vacancy_id}", response_model=VacancyOut,
              summary="Change some of a vacancy's fields (its employer only)")
def patch_vacancy(vacancy_id: str, body: VacancyPatch, caller: EmployerCaller, db: Db, ctx: Context) -> VacancyOut:
    record = _owned(db, caller, vacancy_id)
    vacancy = _apply(ctx.taxonomy, Vacancy.model_validate(record.document), body.model_dump(exclude_unset=True))
    return _replace(db, record, vacancy)


@router.post("/{vacancy_id}/close", response_model=VacancyOut,
             summary="Close a vacancy: no longer recommended or matched (its employer only)")
def close_vacancy(vacancy_id: str, caller: EmployerCaller, db: Db) -> VacancyOut:
    return _set_status(db, caller, vacancy_id, "closed")


@router.post("/{vacancy_id}/reopen", response_model=VacancyOut, summary="Reopen a closed vacancy (its employer only)")
def reopen_vacancy(vacancy_id: str, caller: EmployerCaller, db: Db) -> VacancyOut:
    return _set_status(db, caller, vacancy_id, "open")
