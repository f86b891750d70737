"""Training offers: labour-market partners publish, edit, deactivate and reactivate their own;
every signed-in role reads them.

An offer says which soft skills it raises, which certificate it grants, what it costs,
how many seats it has and who may enrol (Dutch level, education level, prerequisite).
Batch matching uses the active offers as training pathways. Every change bumps the
``trainings`` catalogue in the same transaction, so cached array views rebuild.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from passport.models import Cefr, TrainingOffer
from service.api.deps import MAX_OFFSET, Caller, Context, Db, role_caller
from service.api.errors import ApiError, not_found
from service.api.security import Principal
from service.db.catalogue import bump
from service.db.tables import TrainingOfferRecord

router = APIRouter(prefix="/trainings", tags=["trainings"])

RECORD_ID = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$"
PartnerCaller = role_caller("partner")


class TrainingFields(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["elearning", "short_course", "certificate_course"]
    label: str = Field(min_length=1, max_length=200)
    sector: str = Field(default="all", description="A taxonomy sector, or 'all'.")
    duration_weeks: float = Field(gt=0, le=52)
    cost_eur: float = Field(ge=0, le=100_000)
    seats: int = Field(ge=0, le=100_000)
    uplift: dict[str, Annotated[float, Field(ge=0, le=2)]] = Field(
        default_factory=dict, description="Mastery levels gained per soft skill id (0–2).")
    grants_hard_skill: str | None = Field(default=None, description="The hard-skill id the training certifies.")
    prerequisite_hard_skill: str | None = Field(default=None, description="A hard-skill id needed to enrol.")
    min_dutch_cefr: Cefr = "A1"
    min_eqf: int = Field(default=1, ge=1, le=8)


class TrainingIn(TrainingFields):
    training_id: str | None = Field(default=None, pattern=RECORD_ID, description="Generated when left out.")


class TrainingOut(BaseModel):
    training_id: str
    partner_id: str
    active: bool
    version: int
    updated_at: datetime
    offer: TrainingOffer


class TrainingPage(BaseModel):
    items: list[TrainingOut]
    total: int
    limit: int
    offset: int


def _offer(ctx, training_id: str, body: TrainingFields) -> TrainingOffer:
    offer = TrainingOffer(training_id=training_id, **body.model_dump(exclude={"training_id"}))
    offer.check_references(ctx.taxonomy)
    return offer


def _out(record: TrainingOfferRecord) -> TrainingOut:
    return TrainingOut(training_id=record.training_id, partner_id=record.partner_id, active=record.active,
                       version=record.version, updated_at=record.updated_at,
                       offer=TrainingOffer.model_validate(record.document))


def _record(db: Session, training_id: str, *, for_update: bool = False) -> TrainingOfferRecord:
    query = select(TrainingOfferRecord).where(TrainingOfferRecord.training_id == training_id)
    record = db.scalar(query.with_for_update() if for_update else query)
    if record is None:
        raise not_found("training offer", training_id, "path.training_id")
    return record


def _owned(db: Session, caller: Principal, training_id: str) -> TrainingOfferRecord:
    record = _record(db, training_id, for_update=True)
    if record.partner_id != caller.organisation_id:
        raise ApiError(403, "this training offer belongs to another partner")
    return record


def _partner(caller: Principal) -> str:
    if not caller.organisation_id:
        raise ApiError(403, "this needs a partner account that belongs to a partner organisation")
    return caller.organisation_id


def _set_active(db: Session, caller: Principal, training_id: str, active: bool) -> TrainingOut:
    record = _owned(db, caller, training_id)
    if record.active == active:
        raise ApiError(409, f"the training offer is already {'active' if active else 'inactive'}")
    record.active = active
    record.updated_at = datetime.now(timezone.utc)
    bump(db, "trainings")
    db.commit()
    return _out(record)


@router.post("", response_model=TrainingOut, status_code=201, summary="Publish a training offer (partners)")
def create_training(body: TrainingIn, caller: PartnerCaller, db: Db, ctx: Context) -> TrainingOut:
    partner_id = _partner(caller)
    offer = _offer(ctx, body.training_id or f"trn-{uuid.uuid4().hex[:12]}", body)
    conflict = ApiError(409, f"a training offer {offer.training_id!r} already exists", field="body.training_id")
    if db.get(TrainingOfferRecord, offer.training_id) is not None:
        raise conflict
    record = TrainingOfferRecord(training_id=offer.training_id, partner_id=partner_id, active=True,
                                 document=offer.model_dump(mode="json"), version=1,
                                 updated_at=datetime.now(timezone.utc))
    try:
        db.add(record)
        bump(db, "trainings")
        db.commit()
    except IntegrityError:
        db.rollback()
        raise conflict from None
    return _out(record)


@router.get("", response_model=TrainingPage, summary="List training offers (any signed-in role)")
def list_trainings(caller: Caller, db: Db, ctx: Context,
                   active: bool | None = None,
                   sector: Annotated[str | None, Query(
                       description="Exactly this sector; 'all' lists the offers open to every sector.")] = None,
                   mine: Annotated[bool, Query(description="Only your organisation's offers (partners).")] = False,
                   limit: Annotated[int, Query(ge=1, le=500)] = 100,
                   offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0) -> TrainingPage:
    conditions = []
    if active is not None:
        conditions.append(TrainingOfferRecord.active == active)
    if sector is not None:
        if sector != "all" and sector not in ctx.taxonomy.sectors:
            raise ApiError(422, f"unknown sector {sector!r}", field="query.sector")
        conditions.append(TrainingOfferRecord.document["sector"].as_string() == sector)
    if mine:
        if caller.role != "partner":
            raise ApiError(403, "mine=true lists your organisation's offers; it needs a partner account")
        conditions.append(TrainingOfferRecord.partner_id == _partner(caller))
    total = db.scalar(select(func.count()).select_from(TrainingOfferRecord).where(*conditions))
    rows = db.scalars(select(TrainingOfferRecord).where(*conditions)
                      .order_by(TrainingOfferRecord.training_id).limit(limit).offset(offset))
    return TrainingPage(items=[_out(r) for r in rows], total=total, limit=limit, offset=offset)


@router.get("/{training_id}", response_model=TrainingOut, summary="One training offer (any signed-in role)")
def get_training(training_id: str, caller: Caller, db: Db) -> TrainingOut:
    return _out(_record(db, training_id))


@router.put("/{training_id}", response_model=TrainingOut, summary="Replace a training offer (its partner only)")
def replace_training(training_id: str, body: TrainingFields, caller: PartnerCaller, db: Db,
                     ctx: Context) -> TrainingOut:
    record = _owned(db, caller, training_id)
    record.document = _offer(ctx, training_id, body).model_dump(mode="json")
    record.version += 1
    record.updated_at = datetime.now(timezone.utc)
    bump(db, "trainings")
    db.commit()
    return _out(record)


@router.post("/{training_id}/deactivate", response_model=TrainingOut,
             summary="Stop offering a training: no new pathways use it (its partner only)")
def deactivate_training(training_id: str, caller: PartnerCaller, db: Db) -> TrainingOut:
    return _set_active(db, caller, training_id, False)


@router.post("/{training_id}/activate", response_model=TrainingOut,
             summary="Offer a deactivated training again (its partner only)")
def activate_training(training_id: str, caller: PartnerCaller, db: Db) -> TrainingOut:
    return _set_active(db, caller, training_id, True)
