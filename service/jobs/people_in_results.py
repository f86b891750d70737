"""The people named in stored batch-job results: their rows for a right-of-access export,
and erasure that reaches the results.

A job's result folder names the people it matched over (``assignments`` and ``seekers``,
by account id). An export carries a person's rows from every job that matched them. When
one of them asks to be erased, their rows leave every stored copy:
both formats of both tables, and the per-table counts in ``summary.json`` and on the job's
row. The headline figures (how many were placed, expected placements) stay: they are
programme aggregates, no longer tied to anyone once the rows are gone.

Two paths can race: an erasure while a job that loaded the person is still running, and
the job finishing. Each side looks for the other only *after* its own commit (the erasure
for jobs whose audit trail says they matched the person, the worker for people erased
since it started), so whichever commits second sees the first, and the rows are removed
either way. Rewrites of one folder are serialised by a lock file beside it.
"""

from __future__ import annotations

import fcntl
import json
import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from service.db.tables import Account, AuditEntry, BatchJob
from service.jobs.runner import TABLES, write_results

log = logging.getLogger(__name__)

# Result tables that name people, all by the column ``seeker_id``.
PERSON_TABLES = ("assignments", "seekers")
# Account ids per IN (…) list: far below SQLite's limit on bound parameters.
_ID_CHUNK = 5_000


@contextmanager
def _folder_locked(result_dir: Path) -> Iterator[None]:
    lock_path = result_dir.parent / f".{result_dir.name}.lock"
    with open(lock_path, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def scrub_result_folder(result_dir: Path, person_ids: Iterable[str]) -> dict | None:
    """Remove every row naming *person_ids* from one job's stored results.

    Returns the rewritten summary, or None when the folder named none of them (or is
    gone). The folder is replaced in one step, so a reader sees the old files or the
    new ones, never a mix.
    """
    ids = set(person_ids)
    if not ids or not (result_dir / "summary.json").is_file():
        return None
    with _folder_locked(result_dir):
        # Parquet keeps the dtypes; the CSV copies are written again from the same frames.
        frames = {name: pd.read_parquet(result_dir / f"{name}.parquet") for name in TABLES}
        named = {name: frames[name]["seeker_id"].isin(ids).to_numpy() for name in PERSON_TABLES}
        if not any(mask.any() for mask in named.values()):
            return None
        erased_here = set(frames["seekers"]["seeker_id"][named["seekers"]]) | set(
            frames["assignments"]["seeker_id"][named["assignments"]])
        summary = json.loads((result_dir / "summary.json").read_text())
        for name, mask in named.items():
            frames[name] = frames[name][~mask].reset_index(drop=True)
            summary.setdefault("tables", {})[name] = {"rows": len(frames[name]),
                                                      "people": int(frames[name]["seeker_id"].nunique())}
        summary["erased_people"] = int(summary.get("erased_people", 0)) + len(erased_here)
        write_results(result_dir, frames, summary)
        return summary


def rows_naming(result_dir: Path, person_id: str) -> dict[str, list[dict]]:
    """The person's rows in one job's stored person tables, as plain records (JSON-ready)."""
    found: dict[str, list[dict]] = {}
    if not (result_dir / "summary.json").is_file():
        return found
    with _folder_locked(result_dir):
        for name in PERSON_TABLES:
            frame = pd.read_parquet(result_dir / f"{name}.parquet")
            mine = frame[frame["seeker_id"] == person_id]
            # Through JSON: NumPy scalars and missing values become plain numbers and nulls.
            found[name] = json.loads(mine.to_json(orient="records"))
    return found


def jobs_that_matched(session: Session, person_id: str) -> list[BatchJob]:
    """Succeeded jobs whose stored results may name the person (from the audit trail)."""
    job_ids = select(AuditEntry.resource_id).where(AuditEntry.subject_id == person_id,
                                                   AuditEntry.action == "job.matched")
    return list(session.scalars(select(BatchJob).where(BatchJob.id.in_(job_ids), BatchJob.result_dir.is_not(None))
                                .order_by(BatchJob.created_at)))


def scrub_person_from_jobs(session: Session, person_id: str) -> list[str]:
    """Remove the person from every stored job result; job rows' summaries follow in
    *session* (the caller commits). Returns the ids of the jobs rewritten."""
    rewritten = []
    for job in jobs_that_matched(session, person_id):
        summary = scrub_result_folder(Path(job.result_dir), [person_id])
        if summary is not None:
            session.execute(update(BatchJob).where(BatchJob.id == job.id).values(summary=summary))
            rewritten.append(job.id)
    return rewritten


def erased_among(session: Session, account_ids: Iterable[str]) -> list[str]:
    """The accounts among *account_ids* that have been erased."""
    ids = list(account_ids)
    found: list[str] = []
    for start in range(0, len(ids), _ID_CHUNK):
        chunk = ids[start:start + _ID_CHUNK]
        found.extend(session.scalars(select(Account.id).where(Account.id.in_(chunk), Account.erased_at.is_not(None))))
    return found


def downloads_of(session: Session, job_ids: list[str]) -> list[str]:
    """Jobs among *job_ids* whose person tables were downloaded: copies outside our reach,
    whose recipients the controller has to tell of the erasure."""
    if not job_ids:
        return []
    rows = session.scalars(select(AuditEntry).where(AuditEntry.action == "job.results.read",
                                                    AuditEntry.resource_id.in_(job_ids)))
    return sorted({row.resource_id for row in rows if (row.detail or {}).get("table") in PERSON_TABLES})


__all__ = ["PERSON_TABLES", "downloads_of", "erased_among", "jobs_that_matched", "rows_naming",
           "scrub_person_from_jobs", "scrub_result_folder"]
