"""Jobs survive the worker stopping: resumed, or failed with the reason, never silently lost."""

from __future__ import annotations

import os
import signal
import time
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from service.api.app import create_app
from service.db.tables import BatchJob
from service.jobs.runner import STAGE_PROGRESS
from service.jobs.supervisor import JobSupervisor
from service.jobs.worker import RESUMED, recover_stale
from service.settings import Settings
from tests.api.conftest import People
from tests.api.test_jobs import seed_market

TIMEOUT_SECONDS = 90
PARAMETERS = {"region": None, "top_k": 100, "per_opening": 20, "language": "en"}


@pytest.fixture
def restart_settings(tmp_path) -> Settings:
    return Settings(data_dir=tmp_path / "data", seed_demo=False, secret_key="test-secret", job_stale_seconds=2,
                    job_max_attempts=2, job_poll_ms=50)


@pytest.fixture
def restart_app(restart_settings):
    return create_app(restart_settings, start_worker=False)


@pytest.fixture
def market(restart_app):
    return seed_market(People(restart_app), n_caseload=10, n_vacancies=6)


def _now():
    return datetime.now(timezone.utc)


def left_running(sessions, market, *, attempts: int, heartbeat: datetime | None, worker_id: str,
                 stage: str = "optimal assignment", cancel_requested: bool = False) -> str:
    """A job row as a worker leaves it when its process dies mid-job."""
    with sessions() as db:
        job = BatchJob(partner_id=market.partner.organisation_id, submitted_by=market.partner.account_id,
                       status="running", policy={}, parameters=PARAMETERS, attempts=attempts, worker_id=worker_id,
                       heartbeat_at=heartbeat, stage=stage, progress=STAGE_PROGRESS.get(stage, 0.0),
                       started_at=_now() - timedelta(minutes=5), cancel_requested=cancel_requested)
        db.add(job)
        db.commit()
        return job.id


def wait_until(sessions, job_id: str, condition, timeout: float = TIMEOUT_SECONDS) -> BatchJob:
    """Poll the row until *condition(job)*; every progress value seen must be monotone."""
    deadline, progress = time.monotonic() + timeout, []
    while time.monotonic() < deadline:
        with sessions() as db:
            job = db.get(BatchJob, job_id)
        progress.append(job.progress)
        assert progress == sorted(progress), f"progress went backwards: {progress}"
        if condition(job):
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} is {job.status} ({job.stage}) after {timeout}s")


@pytest.fixture
def supervisor(restart_settings):
    supervisors = []

    def start() -> JobSupervisor:
        started = JobSupervisor(restart_settings)
        started.start()
        supervisors.append(started)
        return started

    yield start
    for started in supervisors:
        started.stop()
        assert started.process is None


def test_after_a_crash_the_worker_is_replaced_and_every_job_resumed_or_failed(restart_app, market, supervisor):
    sessions = restart_app.state.ctx.sessions
    long_ago = _now() - timedelta(minutes=10)
    # Left by a server that crashed earlier: its worker's heartbeats stopped long ago.
    resumable = left_running(sessions, market, attempts=1, heartbeat=long_ago, worker_id="crashed:1")
    exhausted = left_running(sessions, market, attempts=2, heartbeat=long_ago, worker_id="crashed:1",
                             stage="training pathways")
    running = supervisor()
    killed = running.worker_id
    os.kill(running.process.pid, signal.SIGKILL)
    # A job of the killed worker whose heartbeat still looks fresh: only the supervisor
    # knows that its worker is dead, and the replacement must take it over at once.
    orphan = left_running(sessions, market, attempts=1, heartbeat=_now() + timedelta(hours=1), worker_id=killed)

    for job_id in (resumable, orphan):
        job = wait_until(sessions, job_id, lambda j: j.status in ("succeeded", "failed"))
        assert job.status == "succeeded", job.error
        assert job.attempts == 2 and job.progress == 1.0 and job.result_dir
        assert job.worker_id == running.worker_id != killed
    assert killed in running.dead_workers
    with sessions() as db:
        failed = db.get(BatchJob, exhausted)
    assert failed.status == "failed" and failed.finished_at is not None
    assert failed.error == "the worker stopped during training pathways after 2 attempts"


def test_recovery_requeues_fails_cancels_and_spares_live_workers(restart_app, restart_settings, market):
    sessions = restart_app.state.ctx.sessions
    stale = _now() - timedelta(seconds=restart_settings.job_stale_seconds + 1)
    fresh = _now()
    jobs = {
        "requeued": left_running(sessions, market, attempts=1, heartbeat=stale, worker_id="w1"),
        "exhausted": left_running(sessions, market, attempts=2, heartbeat=stale, worker_id="w1",
                                  stage="knock-outs and scoring of direct candidates"),
        "cancelling": left_running(sessions, market, attempts=1, heartbeat=stale, worker_id="w1",
                                   cancel_requested=True),
        "never_beat": left_running(sessions, market, attempts=1, heartbeat=None, worker_id="w1", stage="starting"),
        "live": left_running(sessions, market, attempts=1, heartbeat=fresh, worker_id="w2"),
        "dead_but_fresh": left_running(sessions, market, attempts=1, heartbeat=fresh, worker_id="w3"),
    }
    changed = recover_stale(sessions, restart_settings, dead_workers=("w3",))
    assert changed == {jobs["requeued"]: "queued", jobs["exhausted"]: "failed", jobs["cancelling"]: "cancelled",
                       jobs["never_beat"]: "queued", jobs["dead_but_fresh"]: "queued"}
    with sessions() as db:
        rows = {job.id: job for job in db.scalars(select(BatchJob))}
    assert rows[jobs["requeued"]].stage == RESUMED and rows[jobs["requeued"]].worker_id is None
    assert rows[jobs["exhausted"]].error == \
        "the worker stopped during knock-outs and scoring of direct candidates after 2 attempts"
    assert rows[jobs["live"]].status == "running" and rows[jobs["live"]].worker_id == "w2"
    # Nothing left to recover: a second pass changes nothing.
    assert recover_stale(sessions, restart_settings, dead_workers=("w3",)) == {}
