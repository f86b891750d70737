"""Pseudonymised aggregates for analysts and administrators.

No response holds an account id, passport id or a person's name, and every cell that
counts fewer than ``K_MIN`` people comes back as ``null`` with ``suppressed: true`` (see
:mod:`service.api.aggregates`, where all the figures are computed).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from matching.ranking_metrics import FOUR_FIFTHS
from service.api import aggregates
from service.api.deps import Context, Db, role_caller
from service.db.tables import (JOB_STATES, Account, BatchJob, Connection, MonitoringAttribute, Organisation, Outcome,
                               PassportRecord, SkillsprintSessionRecord, VacancyRecord)

router = APIRouter(prefix="/analytics", tags=["analytics"])
AnalystCaller = role_caller("analyst", "admin")

AttributeName = Literal[tuple(aggregates.MONITORING_ATTRIBUTES)]  # type: ignore[valid-type]
_SUPPRESSION = f"Cells counting fewer than {aggregates.K_MIN} people are null with suppressed: true."


class Count(BaseModel):
    value: int | None
    suppressed: bool


class Rate(BaseModel):
    value: float | None
    low: float | None = Field(description="Lower end of the Wilson 95 % interval.")
    high: float | None = Field(description="Upper end of the Wilson 95 % interval.")
    suppressed: bool


class FunnelStage(BaseModel):
    stage: str
    parent: str | None = Field(description="Everyone counted here also reached this stage.")
    people: Count
    events: Count = Field(description="Sessions, connections or outcomes behind the people.")
    share_of_parent: Rate


class FunnelGroup(BaseModel):
    organisation_id: str | None = Field(description="The partner organisation; null for seekers without one "
                                                    "or for the overall funnel.")
    organisation_name: str | None
    stages: list[FunnelStage]


class FunnelOut(BaseModel):
    k_min: int
    by: str | None
    groups: list[FunnelGroup]


class PlacementRow(BaseModel):
    key: str
    label: str
    sector: str | None
    invitations: Count
    accepted: Count
    outcomes: Count
    acceptance_rate: Rate = Field(description="Accepted connections over invitations.")
    outcomes_per_passport: Rate = Field(description="People with an outcome here over all passport holders.")
    lasting_rate: Rate = Field(description="Outcomes that lasted over outcomes whose end is known.")


class PlacementsOut(BaseModel):
    k_min: int
    passport_holders: Count
    overall: PlacementRow
    by_occupation: list[PlacementRow]
    by_sector: list[PlacementRow]


class Comparison(Rate):
    ratio_to_best: float | None = Field(description="Rate over the best published group's rate: 1 for the best.")
    ratio_low: float | None = Field(description="Bootstrap 95 % interval of the ratio.")
    ratio_high: float | None
    below_four_fifths: bool | None = Field(description="The group's rate is under four fifths of the best "
                                                       "group's; null when the group is too small to compare.")


class FairnessGroup(BaseModel):
    group: str
    passports: Count
    invited: Count
    accepted: Count
    invitation: Comparison = Field(description="Invited holders over passport holders.")
    acceptance: Comparison = Field(description="Holders who accepted an invitation over invited holders.")


class FairnessOut(BaseModel):
    k_min: int
    attribute: str
    four_fifths: float
    groups: list[FairnessGroup]


class CongestionOut(BaseModel):
    k_min: int
    open_vacancies: int
    openings: int
    invitations_per_opening_mean: float | None
    invitations_per_opening_max: float | None
    share_without_invitation: float | None
    gini: float | None = Field(description="Gini coefficient of invitations per opening over open vacancies.")
    coverage: float | None = Field(description="Share of openings taken by an accepted candidate.")
    invitations_suppressed: bool
    coverage_suppressed: bool


class JobStatus(BaseModel):
    status: str
    count: int
    median_run_seconds: float | None


class JobsOut(BaseModel):
    total: int
    statuses: list[JobStatus]


def _frame(db: Session, statement, columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(db.execute(statement).all(), columns=columns)


def _value(value):
    return None if pd.isna(value) else value


def _count(row: dict, name: str) -> Count:
    value = _value(row[name])
    return Count(value=None if value is None else int(value), suppressed=bool(row[f"{name}_suppressed"]))


def _rate(row: dict, name: str, model=Rate, **extra) -> Rate:
    return model(value=_value(row[name]), low=_value(row[f"{name}_low"]), high=_value(row[f"{name}_high"]),
                 suppressed=bool(row[f"{name}_suppressed"]), **extra)


def _active_seekers():
    return and_(Account.role == "seeker", Account.erased_at.is_(None))


@router.get("/funnel", response_model=FunnelOut, summary="People at each stage, overall or per partner",
            description="From sign-up through Skillsprint sessions, passports, consent, invitations and their "
                        "answers to recorded outcomes. " + _SUPPRESSION)
def funnel(caller: AnalystCaller, db: Db, by: Literal["partner"] | None = Query(
        None, description="'partner': one funnel per partner organisation of the seekers.")) -> FunnelOut:
    seekers = _frame(db, select(Account.id, Account.organisation_id).where(_active_seekers()),
                     ["seeker_id", "partner"])
    sessions = _frame(db, select(SkillsprintSessionRecord.holder_id, SkillsprintSessionRecord.status == "finished"),
                      ["seeker_id", "finished"])
    passports = _frame(db, select(PassportRecord.holder_id, PassportRecord.visible_to_employers,
                                  PassportRecord.include_in_batch_matching), ["seeker_id", "visible", "batch"])
    connections = _frame(db, select(Connection.seeker_id, Connection.status), ["seeker_id", "status"])
    outcomes = _frame(db, select(Outcome.seeker_id), ["seeker_id"])
    table = aggregates.funnel(seekers, sessions, passports, connections, outcomes, by="partner" if by else None)
    names = dict(db.execute(select(Organisation.id, Organisation.name)).all()) if by else {}
    groups = []
    for key, rows in table.groupby("group", sort=False, dropna=False):
        organisation = key if by and not pd.isna(key) else None
        stages = [FunnelStage(stage=row["stage"], parent=_value(row["parent"]), people=_count(row, "people"),
                              events=_count(row, "events"), share_of_parent=_rate(row, "share_of_parent"))
                  for row in rows.to_dict("records")]
        groups.append(FunnelGroup(organisation_id=organisation, organisation_name=names.get(organisation),
                                  stages=stages))
    return FunnelOut(k_min=aggregates.K_MIN, by=by, groups=groups)


@router.get("/placements", response_model=PlacementsOut,
            summary="Placement rates by occupation and sector, with Wilson 95 % intervals",
            description="The occupation of an invitation is its vacancy's; the sector is the occupation's in the "
                        "taxonomy. " + _SUPPRESSION)
def placements(caller: AnalystCaller, db: Db, ctx: Context) -> PlacementsOut:
    occupation_of_vacancy = VacancyRecord.document["occupation_id"].as_string()
    connections = _frame(db, select(Connection.seeker_id, occupation_of_vacancy, Connection.status)
                         .join(VacancyRecord, VacancyRecord.vacancy_id == Connection.vacancy_id),
                         ["seeker_id", "occupation_id", "status"])
    outcomes = _frame(db, select(Outcome.seeker_id, Outcome.occupation_id, Outcome.lasted),
                      ["seeker_id", "occupation_id", "lasted"])
    holders = db.scalar(select(func.count()).select_from(PassportRecord)
                        .join(Account, Account.id == PassportRecord.holder_id).where(_active_seekers()))
    occupations = ctx.taxonomy.occupations
    tables = aggregates.placements(connections, outcomes, holders, occupations)
    label = occupations["label_en"]

    def rows(level: str) -> list[PlacementRow]:
        out = []
        for row in tables[level].to_dict("records"):
            key = row["key"]
            sector = occupations.at[key, "sector"] if level == "occupation" else (key if level == "sector" else None)
            out.append(PlacementRow(
                key=key, label=label[key] if level == "occupation" else key.replace("_", " "), sector=sector,
                invitations=_count(row, "invitations"), accepted=_count(row, "accepted"),
                outcomes=_count(row, "outcomes"), acceptance_rate=_rate(row, "acceptance_rate"),
                outcomes_per_passport=_rate(row, "outcomes_per_passport"), lasting_rate=_rate(row, "lasting_rate")))
        return out

    hidden = holders < aggregates.K_MIN
    return PlacementsOut(k_min=aggregates.K_MIN, passport_holders=Count(value=None if hidden else holders,
                                                                          suppressed=hidden),
                         overall=rows("overall")[0], by_occupation=rows("occupation"), by_sector=rows("sector"))


@router.get("/fairness", response_model=FairnessOut,
            summary="Invitation and acceptance rates by group of a monitoring attribute",
            description="Groups are the self-reported monitoring attribute's values plus 'not_stated'. Each "
                        "rate is compared with the best published group's (four-fifths rule). " + _SUPPRESSION)
def fairness(caller: AnalystCaller, db: Db,
             attribute: AttributeName = Query("age_band", description="The monitoring attribute to group by.")
             ) -> FairnessOut:
    holders = _frame(db, select(PassportRecord.holder_id, MonitoringAttribute.value)
                     .join(Account, Account.id == PassportRecord.holder_id)
                     .outerjoin(MonitoringAttribute, and_(MonitoringAttribute.account_id == PassportRecord.holder_id,
                                                          MonitoringAttribute.attribute == attribute))
                     .where(_active_seekers()), ["seeker_id", "value"])
    connections = _frame(db, select(Connection.seeker_id, Connection.status), ["seeker_id", "status"])
    table = aggregates.fairness(holders, connections, attribute)

    def comparison(row: dict, rate: str) -> Comparison:
        below = row[f"{rate}_below_four_fifths"]
        return _rate(row, rate, Comparison, ratio_to_best=_value(row[f"{rate}_ratio"]),
                     ratio_low=_value(row[f"{rate}_ratio_low"]), ratio_high=_value(row[f"{rate}_ratio_high"]),
                     below_four_fifths=None if pd.isna(below) else bool(below))

    groups = [FairnessGroup(group=row["group"], passports=_count(row, "passports"), invited=_count(row, "invited"),
                            accepted=_count(row, "accepted"), invitation=comparison(row, "invitation_rate"),
                            acceptance=comparison(row, "acceptance_rate"))
              for row in table.to_dict("records")]
    return FairnessOut(k_min=aggregates.K_MIN, attribute=attribute, four_fifths=FOUR_FIFTHS, groups=groups)


@router.get("/congestion", response_model=CongestionOut,
            summary="How invitations spread over open vacancies (per opening, Gini, coverage)",
            description="Invitation figures need at least K_MIN invited people, coverage at least K_MIN "
                        "accepted people; below that they are null and flagged suppressed.")
def congestion(caller: AnalystCaller, db: Db) -> CongestionOut:
    vacancies = _frame(db, select(VacancyRecord.vacancy_id, VacancyRecord.document["openings"].as_integer())
                       .where(VacancyRecord.status == "open"), ["vacancy_id", "openings"])
    vacancies["openings"] = vacancies["openings"].fillna(1).astype(np.int64)  # the Vacancy record's default
    connections = _frame(db, select(Connection.vacancy_id, Connection.seeker_id, Connection.status),
                         ["vacancy_id", "seeker_id", "status"])
    return CongestionOut(k_min=aggregates.K_MIN, **aggregates.congestion(vacancies, connections))


@router.get("/jobs", response_model=JobsOut, summary="Batch matching jobs by status, with median run time")
def jobs(caller: AnalystCaller, db: Db) -> JobsOut:
    frame = _frame(db, select(BatchJob.status, BatchJob.started_at, BatchJob.finished_at),
                   ["status", "started_at", "finished_at"])
    table = aggregates.job_summary(frame, JOB_STATES)
    return JobsOut(total=len(frame), statuses=[JobStatus(status=row["status"], count=int(row["count"]),
                                                         median_run_seconds=_value(row["median_run_seconds"]))
                                               for row in table.to_dict("records")])
