"""One batch job: the partner's consenting caseload, the region's open vacancies and the
active training offers in; the optimal programme assignment and every reason out.

The result tables are the ones ``skillpass match`` writes (:func:`service.cli.programme_frames`),
each in CSV and Parquet, plus ``summary.json``; they are written into a temporary folder
that is renamed into place, so a crash never leaves half a result behind.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from matching.batch import ProgrammeRun, programme_summary, run_programme
from matching.policy import InfeasiblePolicyError, MatchingPolicy, PolicyError
from matching.reasons import explain_pairs
from matching.timing import StageTimer
from passport.errors import RecordReferenceError
from passport.geography import haversine_km
from passport.models import Passport, TrainingOffer, Vacancy
from passport.population import SeekerArrays, TrainingArrays, VacancyArrays
from passport.taxonomy import Taxonomy
from service.db.tables import Account, PassportRecord, TrainingOfferRecord, VacancyRecord

LOADING = "loading the caseload, vacancies and training offers"
WRITING = "explaining and writing the results"
# Where each stage starts on the 0–1 progress scale; the middle three are run_programme's.
STAGE_PROGRESS = {
    LOADING: 0.02,
    "knock-outs and scoring of direct candidates": 0.10,
    "training pathways": 0.35,
    "optimal assignment": 0.55,
    WRITING: 0.85,
}
TABLES = ("assignments", "seekers", "vacancies", "trainings")
FORMATS = ("csv", "parquet")
# programme_frames' file stems → the job's table names.
_FRAME_TABLES = {"assignment": "assignments", "seekers_explained": "seekers", "vacancies_explained": "vacancies",
                 "trainings_explained": "trainings"}


class JobInputError(ValueError):
    """The job cannot run on what is stored (e.g. nobody in the caseload consented)."""


@dataclass(frozen=True)
class JobInputs:
    seekers: SeekerArrays  # ids are the seekers' account ids
    vacancies: VacancyArrays
    trainings: TrainingArrays


@dataclass(frozen=True)
class JobSpec:
    """What a queued job asks for, as stored on its row."""

    job_id: str
    partner_id: str
    policy: dict
    parameters: dict


def load_inputs(session: Session, taxonomy: Taxonomy, spec: JobSpec) -> JobInputs:
    """The partner's caseload members who consented to batch matching, open vacancies
    (within the region if one is given) and active training offers."""
    rows = session.execute(
        select(PassportRecord.holder_id, PassportRecord.document)
        .join(Account, Account.id == PassportRecord.holder_id)
        .where(Account.organisation_id == spec.partner_id, Account.role == "seeker", Account.active.is_(True),
               Account.erased_at.is_(None), PassportRecord.include_in_batch_matching.is_(True))
        .order_by(Account.id)).all()
    if not rows:
        raise JobInputError("the caseload has no job seekers who consented to batch matching")
    passports = [Passport.model_validate(document) for _, document in rows]
    seekers = SeekerArrays.from_passports(passports, taxonomy)
    # Results name people by account id, the id partners and the API know them by.
    seekers = replace(seekers, ids=np.array([holder for holder, _ in rows], dtype=object))

    documents = session.scalars(select(VacancyRecord.document).where(VacancyRecord.status == "open")
                                .order_by(VacancyRecord.vacancy_id)).all()
    vacancies = VacancyArrays.from_vacancies([Vacancy.model_validate(d) for d in documents], taxonomy)
    region = spec.parameters.get("region")
    if region:
        inside = haversine_km(region["lat"], region["lon"], vacancies.lat, vacancies.lon) <= region["radius_km"]
        vacancies = vacancies.take(np.flatnonzero(inside))
    if not vacancies.n:
        where = f" within {region['radius_km']:g} km of the region's centre" if region else ""
        raise JobInputError(f"there are no open vacancies{where}")

    offers = session.scalars(select(TrainingOfferRecord.document).where(TrainingOfferRecord.active.is_(True))
                             .order_by(TrainingOfferRecord.training_id)).all()
    trainings = TrainingArrays.from_offers([TrainingOffer.model_validate(d) for d in offers], taxonomy)
    return JobInputs(seekers, vacancies, trainings)


def match(inputs: JobInputs, taxonomy: Taxonomy, scorer, spec: JobSpec, timer: StageTimer,
          on_stage: Callable[[str], None]) -> ProgrammeRun:
    parameters = spec.parameters
    return run_programme(inputs.seekers, inputs.vacancies, inputs.trainings, taxonomy,
                         policy=MatchingPolicy.from_dict(spec.policy), scorer=scorer, top_k=parameters["top_k"],
                         per_opening=parameters["per_opening"], timer=timer, progress=on_stage)


def result_tables(run: ProgrammeRun, taxonomy: Taxonomy, scorer, language: str) -> dict[str, pd.DataFrame]:
    """The match command's tables under the job's names; assignments also carry each
    placement's strengths and gaps in *language*."""
    from service.cli import programme_frames

    tables = {_FRAME_TABLES[name.rsplit(".", 1)[0]]: frame for name, frame in programme_frames(run, "csv").items()}
    r = run.result
    reasons = explain_pairs(run.seekers, run.vacancies, run.trainings, taxonomy, r.seeker_index, r.vacancy_index,
                            scorer, language=language)
    tables["assignments"] = tables["assignments"].assign(strengths=reasons["strengths"].to_numpy(),
                                                         gaps=reasons["gaps"].to_numpy())
    return tables


def _plain(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (datetime, Path)):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def job_summary(run: ProgrammeRun, spec: JobSpec, tables: dict[str, pd.DataFrame], scorer_name: str,
                timer: StageTimer) -> dict:
    """Headline figures, the inputs' sizes and how many people each table names (for the audit)."""
    people = {"assignments": int(tables["assignments"]["seeker_id"].nunique()),
              "seekers": int(tables["seekers"]["seeker_id"].nunique()), "vacancies": 0, "trainings": 0}
    summary = {"job_id": spec.job_id, "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
               "policy": spec.policy, "parameters": spec.parameters, "scorer": scorer_name,
               "result": programme_summary(run),
               "tables": {name: {"rows": len(frame), "people": people[name]} for name, frame in tables.items()},
               "seconds_per_stage": timer.seconds}
    # Through JSON once, so the stored summary and summary.json hold plain values only.
    return json.loads(json.dumps(summary, default=_plain))


def write_results(out: Path, tables: dict[str, pd.DataFrame], summary: dict) -> None:
    """Every table in CSV and Parquet plus summary.json, moved into *out* in one step."""
    from service.cli import write_outputs_atomically

    files = {f"{name}.{fmt}": frame for name, frame in tables.items() for fmt in FORMATS}
    write_outputs_atomically(out, files, summary)


def failure_reason(exc: BaseException) -> str:
    """Why a job failed, in words for the partner; never the inputs' content."""
    if isinstance(exc, JobInputError):
        return str(exc)
    if isinstance(exc, InfeasiblePolicyError):
        return f"the policy cannot be met: {exc.constraint}: {exc.problem}"
    if isinstance(exc, PolicyError):
        return f"the policy is invalid: {exc.field}: {exc.problem}"
    if isinstance(exc, RecordReferenceError):
        return f"a stored record no longer fits the taxonomy: {exc.field}: {exc.problem}"
    return f"an internal error occurred ({type(exc).__name__}); it has been logged"


def run_job(session_factory, taxonomy: Taxonomy, scorer, spec: JobSpec, out: Path,
            on_stage: Callable[[str], None]) -> tuple[dict, np.ndarray]:
    """Load, match, explain and write one job's results to *out*; returns the summary
    and the account ids of the seekers the batch matched.

    *on_stage* is called at every stage boundary; raising from it stops the job there.
    """
    timer = StageTimer()
    on_stage(LOADING)
    with timer.stage("load inputs"), session_factory() as session:
        inputs = load_inputs(session, taxonomy, spec)
    run = match(inputs, taxonomy, scorer, spec, timer, on_stage)
    on_stage(WRITING)
    with timer.stage("reasons"):
        tables = result_tables(run, taxonomy, scorer, spec.parameters.get("language", "en"))
    summary = job_summary(run, spec, tables, type(scorer).__name__, timer)
    write_results(out, tables, summary)
    return summary, inputs.seekers.ids
