"""Partners' batch matching jobs: submit, follow, cancel, download the results.

A partner submits a job over its own caseload (the seekers whose account belongs to its
organisation and who consented to batch matching), the region's open vacancies and the
active training offers, under its policy; the worker process runs it (service/jobs).

Roles: partners see and act on their own organisation's jobs only (others' are 404).
Admins may list, read and cancel any job, to operate the platform, but never download
results: those hold people's matches. Every other role gets 403.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Literal

from fastapi import APIRouter, Query, status
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field
from sqlalchemy import select, update

from matching.policy import MatchingPolicy
from service.api.access import partner_organisation
from service.api.audit import audit
from service.api.deps import Db, role_caller
from service.api.errors import ApiError, not_found
from service.api.security import Principal
from service.db.tables import BatchJob, utcnow
from service.jobs.runner import FORMATS, TABLES

router = APIRouter(prefix="/jobs", tags=["jobs"])

PartnerCaller = role_caller("partner")
PartnerOrAdmin = role_caller("partner", "admin")
JobStatus = Literal["queued", "running", "succeeded", "failed", "cancelled"]
FINISHED = ("succeeded", "failed", "cancelled")
ResultTable = Literal["assignments", "seekers", "vacancies", "trainings", "summary"]
_MEDIA_TYPES = {"csv": "text/csv", "parquet": "application/vnd.apache.parquet", "json": "application/json"}


class Region(BaseModel):
    """Only vacancies within ``radius_km`` of this point take part."""

    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    radius_km: float = Field(gt=0, le=1000)


class JobIn(BaseModel):
    policy: dict = Field(default_factory=dict,
                         description="MatchingPolicy settings (priority weights, budget, travel cap, ...); "
                                     "omitted settings take their defaults.")
    region: Region | None = None
    top_k: int = Field(default=100, ge=1, le=1000, description="Candidate vacancies kept per seeker.")
    per_opening: int = Field(default=20, ge=0, le=1000, description="Candidates kept per vacancy opening.")
    language: Literal["en", "nl"] = Field(default="en", description="Language of the placements' reasons.")


class JobOut(BaseModel):
    id: str
    partner_id: str
    submitted_by: str | None
    status: JobStatus
    progress: float = Field(description="0 to 1; never goes backwards.")
    stage: str
    error: str | None = Field(description="Why the job failed, when it did.")
    cancel_requested: bool
    attempts: int
    policy: dict
    parameters: dict
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    heartbeat_at: datetime | None
    summary: dict | None = Field(description="Headline figures, once the job has succeeded.")
    results: dict[str, str] = Field(default_factory=dict, description="Download paths, once the job has succeeded.")


def _utc(moment: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes; everything stored is UTC.
    return moment if moment is None or moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def job_out(job: BatchJob) -> JobOut:
    results = {table: f"/jobs/{job.id}/results/{table}" for table in (*TABLES, "summary")} \
        if job.status == "succeeded" else {}
    return JobOut(id=job.id, partner_id=job.partner_id, submitted_by=job.submitted_by, status=job.status,
                  progress=job.progress, stage=job.stage, error=job.error, cancel_requested=job.cancel_requested,
                  attempts=job.attempts, policy=job.policy, parameters=job.parameters, created_at=_utc(job.created_at),
                  started_at=_utc(job.started_at), finished_at=_utc(job.finished_at),
                  heartbeat_at=_utc(job.heartbeat_at),
                  summary=job.summary if job.status == "succeeded" else None, results=results)


def visible_job(db, caller: Principal, job_id: str) -> BatchJob:
    """The job if the caller's organisation owns it (or the caller is an admin); else 404."""
    job = db.get(BatchJob, job_id)
    if job is None or (caller.role != "admin" and job.partner_id != caller.organisation_id):
        raise not_found("job", job_id, "path.job_id")
    return job


def parse_policy(raw: dict) -> MatchingPolicy:
    policy = MatchingPolicy.from_dict(raw)
    # The platform keeps no programme target-group table, so a policy naming groups cannot apply.
    policy.check_groups(())
    return policy


@router.post("", response_model=JobOut, status_code=status.HTTP_202_ACCEPTED,
             summary="Submit a batch matching job over your caseload (partners)")
def submit_job(body: JobIn, caller: PartnerCaller, db: Db) -> JobOut:
    partner_id = partner_organisation(caller)
    policy = parse_policy(body.policy)  # a PolicyError answers 422 naming body.policy.<setting>
    parameters = {"region": body.region.model_dump() if body.region else None, "top_k": body.top_k,
                  "per_opening": body.per_opening, "language": body.language}
    job = BatchJob(partner_id=partner_id, submitted_by=caller.account_id, status="queued",
                   policy=policy.to_dict(), parameters=parameters, stage="waiting for the worker")
    db.add(job)
    db.flush()
    audit(db, caller, "job.submitted", resource="batch_job", resource_id=job.id,
          detail={"policy_settings": sorted(body.policy), "region": body.region is not None})
    db.commit()
    return job_out(job)


@router.get("", response_model=list[JobOut],
            summary="Your organisation's jobs, newest first (partners; admins see all)")
def list_jobs(caller: PartnerOrAdmin, db: Db, status_filter: JobStatus | None = Query(None, alias="status"),
              limit: int = Query(50, ge=1, le=500)) -> list[JobOut]:
    query = select(BatchJob).order_by(BatchJob.created_at.desc(), BatchJob.id).limit(limit)
    if caller.role != "admin":
        query = query.where(BatchJob.partner_id == partner_organisation(caller))
    if status_filter:
        query = query.where(BatchJob.status == status_filter)
    return [job_out(job) for job in db.scalars(query)]


@router.get("/{job_id}", response_model=JobOut, summary="A job's status, progress, stage and summary")
def get_job(job_id: str, caller: PartnerOrAdmin, db: Db) -> JobOut:
    return job_out(visible_job(db, caller, job_id))


@router.post("/{job_id}/cancel", response_model=JobOut,
             summary="Cancel a job: at once when queued, at the next stage boundary when running")
def cancel_job(job_id: str, caller: PartnerOrAdmin, db: Db) -> JobOut:
    job = visible_job(db, caller, job_id)
    # Guarded updates: the worker may claim or finish the job between our read and write.
    cancelled = db.execute(update(BatchJob).where(BatchJob.id == job_id, BatchJob.status == "queued")
                           .values(status="cancelled", cancel_requested=True, stage="cancelled before it started",
                                   finished_at=utcnow())).rowcount
    if not cancelled:
        requested = db.execute(update(BatchJob).where(BatchJob.id == job_id, BatchJob.status == "running")
                               .values(cancel_requested=True)).rowcount
        if not requested:
            db.refresh(job)
            raise ApiError(409, f"the job has already {job.status}; only queued or running jobs can be cancelled",
                           field="path.job_id")
    audit(db, caller, "job.cancelled" if cancelled else "job.cancel_requested", resource="batch_job",
          resource_id=job_id)
    db.commit()
    db.refresh(job)
    return job_out(job)


@router.get("/{job_id}/results/{table}", response_class=FileResponse,
            summary="Download a result table as CSV or Parquet, or the summary as JSON (partners)",
            responses={200: {"content": {media: {} for media in _MEDIA_TYPES.values()},
                             "description": "The file."}})
def job_results(job_id: str, table: ResultTable, caller: PartnerCaller, db: Db,
                fmt: Literal["csv", "parquet", "json"] | None = Query(
                    None, alias="format", description="csv (default) or parquet for tables; json for the summary.")
                ) -> FileResponse:
    job = visible_job(db, caller, job_id)
    if job.status != "succeeded":
        raise ApiError(409, f"the job is {job.status}; results exist once it has succeeded", field="path.job_id")
    fmt = fmt or ("json" if table == "summary" else "csv")
    if (table == "summary") != (fmt == "json"):
        allowed = "json" if table == "summary" else " or ".join(FORMATS)
        raise ApiError(422, f"the {table} table comes as {allowed}", field="query.format")
    name = "summary.json" if table == "summary" else f"{table}.{fmt}"
    path = Path(job.result_dir or "") / name
    if not job.result_dir or not path.is_file():
        raise ApiError(404, f"the results of job {job_id!r} are no longer stored", field="path.job_id")
    people = (job.summary or {}).get("tables", {}).get(table, {}).get("people", 0)
    audit(db, caller, "job.results.read", resource="batch_job", resource_id=job_id,
          detail={"table": table, "format": fmt, "people": people})
    db.commit()
    return FileResponse(path, media_type=_MEDIA_TYPES[fmt], filename=f"job-{job_id}-{name}")
