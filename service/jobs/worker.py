"""The worker process: recover stale jobs, claim the oldest queued job, run it, report.

Every change of a job's row is one guarded UPDATE (``WHERE id = ? AND status = ? AND
worker_id = ?``) whose row count says whether it applied, so claims and hand-overs are
atomic on SQLite and PostgreSQL alike without row locks. A job is never dropped: a
worker that stops mid-job leaves its heartbeat to go stale, and the next recovery pass
queues the job again or fails it with the reason.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import case, insert, or_, select, update
from sqlalchemy.exc import SQLAlchemyError

from service.db.engine import make_engine, session_factory, transaction
from service.db.tables import AuditEntry, BatchJob
from service.jobs.people_in_results import erased_among, scrub_result_folder
from service.jobs.runner import STAGE_PROGRESS, JobSpec, failure_reason, run_job
from service.settings import Settings

log = logging.getLogger("skillpass.jobs")

STARTING = "starting"
RESUMED = "resumed after the worker stopped"


class JobCancelled(Exception):
    """The partner asked to cancel; raised at the next stage boundary."""


class JobAbandoned(Exception):
    """This worker no longer owns the job (another worker recovered it), or is shutting down."""


def _now() -> datetime:
    return datetime.now(timezone.utc)


def heartbeat_seconds(settings: Settings) -> float:
    """Often enough that a live job never looks stale."""
    return max(0.1, min(5.0, settings.job_stale_seconds / 4))


def _owned(job_id: str, worker_id: str):
    return (BatchJob.id == job_id, BatchJob.worker_id == worker_id, BatchJob.status == "running")


def recover_stale(sessions, settings: Settings, dead_workers=(), now: datetime | None = None) -> dict[str, str]:
    """Queue again, or fail with the reason, every running job whose worker is gone.

    A worker is gone when its heartbeat is older than ``job_stale_seconds`` or when the
    supervisor knows it died (*dead_workers*). Returns job id → new status.
    """
    now = now or _now()
    cutoff = now - timedelta(seconds=settings.job_stale_seconds)
    gone = or_(BatchJob.heartbeat_at.is_(None), BatchJob.heartbeat_at < cutoff)
    if dead_workers:
        gone = or_(gone, BatchJob.worker_id.in_(list(dead_workers)))
    changed = {}
    with transaction(sessions) as session:
        stale = session.execute(select(BatchJob.id, BatchJob.worker_id, BatchJob.attempts, BatchJob.stage,
                                       BatchJob.cancel_requested)
                                .where(BatchJob.status == "running", gone)).all()
        for job in stale:  # a handful of jobs, never people
            if job.cancel_requested:
                values = dict(status="cancelled", stage=f"cancelled: the worker stopped during {job.stage}",
                              finished_at=now)
            elif job.attempts < settings.job_max_attempts:
                values = dict(status="queued", stage=RESUMED)
            else:
                values = dict(status="failed", finished_at=now,
                              error=f"the worker stopped during {job.stage or STARTING} after {job.attempts} "
                                    f"attempt{'s' if job.attempts != 1 else ''}")
            # Guarded by the worker id seen, so a job that has meanwhile moved on is left alone.
            applied = session.execute(update(BatchJob).where(BatchJob.id == job.id, BatchJob.status == "running",
                                                             BatchJob.worker_id == job.worker_id)
                                      .values(worker_id=None, heartbeat_at=None, **values)).rowcount
            if applied:
                changed[job.id] = values["status"]
    for job_id, status in changed.items():
        log.warning("job %s of a stopped worker is now %s", job_id, status)
    return changed


def claim_next(sessions, worker_id: str) -> JobSpec | None:
    """Take the oldest queued job for *worker_id*, or None when none is waiting."""
    with transaction(sessions) as session:
        waiting = session.scalars(select(BatchJob.id).where(BatchJob.status == "queued")
                                  .order_by(BatchJob.created_at, BatchJob.id).limit(5)).all()
        for job_id in waiting:
            now = _now()
            claimed = session.execute(
                update(BatchJob).where(BatchJob.id == job_id, BatchJob.status == "queued")
                .values(status="running", attempts=BatchJob.attempts + 1, worker_id=worker_id, heartbeat_at=now,
                        started_at=now, stage=STARTING)).rowcount
            if claimed:
                job = session.get(BatchJob, job_id)
                return JobSpec(job.id, job.partner_id, dict(job.policy), dict(job.parameters))
    return None


class Heartbeat(threading.Thread):
    """Keeps a running job's heartbeat fresh while a long stage (the solver) runs."""

    def __init__(self, sessions, job_id: str, worker_id: str, interval: float):
        super().__init__(name=f"heartbeat-{job_id}", daemon=True)
        self.sessions, self.job_id, self.worker_id, self.interval = sessions, job_id, worker_id, interval
        self.lost = False
        self._done = threading.Event()

    def run(self):
        while not self._done.wait(self.interval):
            try:
                with transaction(self.sessions) as session:
                    beat = session.execute(update(BatchJob).where(*_owned(self.job_id, self.worker_id))
                                           .values(heartbeat_at=_now())).rowcount
            except SQLAlchemyError:
                log.exception("heartbeat of job %s not written; trying again", self.job_id)
                continue
            if not beat:
                self.lost = True
                return

    def stop(self):
        self._done.set()
        self.join()


class StageReporter:
    """Called at each stage boundary: stops the job if it was cancelled, taken over, or the
    worker is shutting down; otherwise records the stage, its progress and a heartbeat."""

    def __init__(self, sessions, job_id: str, worker_id: str, stop: threading.Event | None, heartbeat: Heartbeat):
        self.sessions, self.job_id, self.worker_id, self.stop, self.heartbeat = \
            sessions, job_id, worker_id, stop, heartbeat
        self.stage = STARTING  # the stage under way; a stop at the next boundary happens "during" it

    def __call__(self, stage: str) -> None:
        if self.heartbeat.lost:
            raise JobAbandoned("another worker has taken the job over")
        with self.sessions() as session:
            if session.scalar(select(BatchJob.cancel_requested).where(BatchJob.id == self.job_id)):
                raise JobCancelled()
        if self.stop is not None and self.stop.is_set():
            raise JobAbandoned("the worker is shutting down")
        values = {"stage": stage[:200], "heartbeat_at": _now()}
        fraction = STAGE_PROGRESS.get(stage)
        if fraction is not None:
            # Never backwards, also when a resumed job repeats its early stages.
            values["progress"] = case((BatchJob.progress < fraction, fraction), else_=BatchJob.progress)
        with transaction(self.sessions) as session:
            applied = session.execute(update(BatchJob).where(*_owned(self.job_id, self.worker_id))
                                      .values(**values)).rowcount
        if not applied:
            raise JobAbandoned("another worker has taken the job over")
        self.stage = stage


class Worker:
    """Claims and runs jobs one at a time; :func:`serve` drives it in the worker process."""

    def __init__(self, settings: Settings, worker_id: str, sessions, taxonomy, scorer,
                 stop: threading.Event | None = None, dead_workers=()):
        self.settings, self.worker_id, self.sessions = settings, worker_id, sessions
        self.taxonomy, self.scorer, self.stop = taxonomy, scorer, stop
        self.dead_workers = tuple(dead_workers)
        self._last_recovery = float("-inf")

    @property
    def recovery_seconds(self) -> float:
        return max(1.0, min(self.settings.job_stale_seconds / 2, 30.0))

    def run_once(self) -> bool:
        """Recover stale jobs when due, then run one queued job; False when none waited."""
        if time.monotonic() - self._last_recovery >= self.recovery_seconds:
            recover_stale(self.sessions, self.settings, self.dead_workers)
            self._last_recovery = time.monotonic()
        spec = claim_next(self.sessions, self.worker_id)
        if spec is None:
            return False
        self.process(spec)
        return True

    def result_dir(self, job_id: str) -> Path:
        return (self.settings.jobs_dir / job_id).resolve()

    def process(self, spec: JobSpec) -> str:
        """Run a job this worker has claimed to its end; returns the status it ended in."""
        heartbeat = Heartbeat(self.sessions, spec.job_id, self.worker_id, heartbeat_seconds(self.settings))
        reporter = StageReporter(self.sessions, spec.job_id, self.worker_id, self.stop, heartbeat)
        out = self.result_dir(spec.job_id)
        heartbeat.start()
        try:
            result = run_job(self.sessions, self.taxonomy, self.scorer, spec, out, reporter)
        except JobCancelled:
            return self._end(spec.job_id, status="cancelled", stage=f"cancelled during {reporter.stage}")
        except JobAbandoned as exc:
            log.info("job %s left to others: %s", spec.job_id, exc)
            return self._hand_back(spec.job_id, reporter.stage) if self.stop is not None and self.stop.is_set() \
                else "abandoned"
        except Exception as exc:
            log.exception("job %s failed", spec.job_id)
            return self._end(spec.job_id, status="failed", stage=f"failed during {reporter.stage}",
                             error=failure_reason(exc))
        finally:
            heartbeat.stop()
        return self._succeed(spec, out, result)

    def _end(self, job_id: str, **values) -> str:
        with transaction(self.sessions) as session:
            session.execute(update(BatchJob).where(*_owned(job_id, self.worker_id))
                            .values(finished_at=_now(), heartbeat_at=_now(), **values))
        return values["status"]

    def _hand_back(self, job_id: str, stage: str) -> str:
        """Shutting down mid-job is not the job's fault: queue it again without counting the attempt."""
        with transaction(self.sessions) as session:
            session.execute(update(BatchJob).where(*_owned(job_id, self.worker_id))
                            .values(status="queued", attempts=BatchJob.attempts - 1, worker_id=None,
                                    heartbeat_at=None, stage=f"waiting: the server stopped during {stage}"))
        return "queued"

    def _succeed(self, spec: JobSpec, out: Path, result) -> str:
        summary, seeker_ids = result
        now = _now()
        with transaction(self.sessions) as session:
            done = session.execute(
                update(BatchJob).where(*_owned(spec.job_id, self.worker_id), BatchJob.cancel_requested.is_(False))
                .values(status="succeeded", progress=1.0, stage="done", result_dir=str(out), summary=summary,
                        finished_at=now, heartbeat_at=now)).rowcount
            if done and len(seeker_ids):
                # Each person whose passport the batch matched can see it in their audit trail.
                submitted_by = session.scalar(select(BatchJob.submitted_by).where(BatchJob.id == spec.job_id))
                session.execute(insert(AuditEntry), [
                    {"actor_id": submitted_by, "actor_role": "partner", "action": "job.matched", "at": now,
                     "subject_id": seeker_id, "resource": "batch_job", "resource_id": spec.job_id}
                    for seeker_id in seeker_ids])
        if done:
            self._forget_erased(spec.job_id, out, seeker_ids)
            return "succeeded"
        if not self._cancel_requested(spec.job_id):
            return "abandoned"  # taken over by another worker, which writes its own results
        # Cancelled while the results were being written: the cancellation wins.
        shutil.rmtree(out, ignore_errors=True)
        return self._end(spec.job_id, status="cancelled", stage="cancelled while writing the results")

    def _forget_erased(self, job_id: str, out: Path, seeker_ids) -> None:
        """Drop the people erased while the job ran from its stored results.

        Checked after the success is committed, so an erasure that committed before this
        read is seen here, and one that commits after it finds this job in the audit trail
        (see :mod:`service.jobs.people_in_results`).
        """
        with transaction(self.sessions) as session:
            erased = erased_among(session, seeker_ids)
            summary = scrub_result_folder(out, erased) if erased else None
            if summary is not None:
                session.execute(update(BatchJob).where(BatchJob.id == job_id).values(summary=summary))
                log.info("job %s: %d people erased while it ran were removed from its results", job_id, len(erased))

    def _cancel_requested(self, job_id: str) -> bool:
        with self.sessions() as session:
            return bool(session.scalar(select(BatchJob.cancel_requested).where(BatchJob.id == job_id)))

    def loop(self, parent_pid: int | None = None) -> None:
        """Work until asked to stop, or until the process that started us is gone."""
        poll = self.settings.job_poll_ms / 1000
        while not (self.stop is not None and self.stop.is_set()):
            if parent_pid is not None and os.getppid() != parent_pid:
                log.warning("the server process is gone; worker %s stops", self.worker_id)
                return
            try:
                busy = self.run_once()
            except SQLAlchemyError:
                log.exception("the job database is not reachable; trying again")
                busy = False
            if not busy and self.stop is not None:
                self.stop.wait(poll)
            elif not busy:
                time.sleep(poll)


def serve(settings: Settings, worker_id: str, stop, dead_workers=(), parent_pid: int | None = None) -> None:
    """The worker process's entry point (started by :class:`service.jobs.supervisor.JobSupervisor`)."""
    from passport.taxonomy import load_taxonomy
    from service.api.app import _load_scorer

    # Ctrl-C reaches the whole process group; the server's shutdown stops us through *stop* instead.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    engine = make_engine(settings.resolved_database_url)
    try:
        taxonomy = load_taxonomy()
        worker = Worker(settings, worker_id, session_factory(engine), taxonomy, _load_scorer(settings, taxonomy),
                        stop, dead_workers)
        log.info("worker %s started", worker_id)
        worker.loop(parent_pid)
    finally:
        engine.dispose()
        log.info("worker %s stopped", worker_id)
