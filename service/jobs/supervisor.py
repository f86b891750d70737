"""Starts the batch-job worker process beside the API, replaces it if it dies, stops it.

The worker runs in its own process (spawn context: no inherited threads, locks or
database connections) so a long solve never blocks a request. When the worker dies
unexpectedly, the supervisor starts a new one and names the dead one, so its job is
recovered at once instead of after ``job_stale_seconds``.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import socket
import threading
import time
import uuid

from service.jobs.worker import serve
from service.settings import Settings

log = logging.getLogger("skillpass.jobs")

# A worker that dies sooner than this after its start is restarted after a growing pause.
_SHORT_LIFE_SECONDS = 30.0
_MAX_RESTART_PAUSE_SECONDS = 60.0


def new_worker_id() -> str:
    return f"{socket.gethostname()[:40]}:{uuid.uuid4().hex[:12]}"


class JobSupervisor:
    """``start()`` launches the worker process; ``stop()`` asks it to finish, then ends it."""

    def __init__(self, settings: Settings, *, stop_timeout: float = 10.0):
        self.settings = settings
        self.stop_timeout = stop_timeout
        self.worker_id: str | None = None
        self.dead_workers: list[str] = []
        self._mp = multiprocessing.get_context("spawn")
        self._process = None
        self._stop_event = None
        self._started_at = 0.0
        self._quick_deaths = 0
        self._stopping = threading.Event()
        self._watchdog: threading.Thread | None = None

    @property
    def process(self):
        return self._process

    def start(self) -> None:
        if self._process is not None:
            raise RuntimeError("the job supervisor is already running")
        self.settings.jobs_dir.mkdir(parents=True, exist_ok=True)
        self._stopping.clear()
        self._launch()
        self._watchdog = threading.Thread(target=self._watch, name="job-supervisor", daemon=True)
        self._watchdog.start()

    def _launch(self) -> None:
        self.worker_id = new_worker_id()
        self._stop_event = self._mp.Event()
        self._process = self._mp.Process(
            target=serve, name=f"skillpass-jobs-{self.worker_id}", daemon=True,
            args=(self.settings, self.worker_id, self._stop_event, tuple(self.dead_workers), os.getpid()))
        self._process.start()
        self._started_at = time.monotonic()
        log.info("job worker %s started (pid %s)", self.worker_id, self._process.pid)

    def _watch(self) -> None:
        poll = max(self.settings.job_poll_ms / 1000, 0.1)
        while not self._stopping.wait(poll):
            if self._process.is_alive():
                continue
            log.error("job worker %s died (exit code %s); starting a new one", self.worker_id,
                      self._process.exitcode)
            self.dead_workers.append(self.worker_id)
            lived = time.monotonic() - self._started_at
            self._quick_deaths = self._quick_deaths + 1 if lived < _SHORT_LIFE_SECONDS else 0
            pause = min(_MAX_RESTART_PAUSE_SECONDS, 2.0 ** self._quick_deaths - 1)
            if self._stopping.wait(pause):
                return
            self._launch()

    def stop(self) -> None:
        """Ask the worker to finish (a running job goes back to the queue at its next
        stage), wait up to ``stop_timeout`` seconds, then end it."""
        if self._process is None:
            return
        self._stopping.set()
        if self._watchdog is not None:
            self._watchdog.join()
        self._stop_event.set()
        self._process.join(self.stop_timeout)
        if self._process.is_alive():
            log.warning("job worker %s did not stop within %ss; terminating it", self.worker_id, self.stop_timeout)
            self._process.terminate()
            self._process.join(5)
            if self._process.is_alive():
                self._process.kill()
                self._process.join()
        self._process = None
