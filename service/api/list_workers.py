"""Ranked lists computed by a pool of worker processes that every request shares.

A cold list is about 15 ms of mostly GIL-bound Python and NumPy, so one HTTP process
computes one list at a time. Several HTTP processes balance badly: a client keeps its
keep-alive connection, and so its process, for as long as it stays, and three of four
clients often sat on one process while the other core idled (p95 99–141 ms for four
clients, depending on that split). With list workers, one HTTP process keeps
authentication, consent, the audit log and the list cache, and hands each list it must
compute to one shared queue; whichever worker is free takes it.

Each worker builds its own catalogue views from the database and refreshes them by the
same change counters as an HTTP process would (:mod:`service.api.catalogue`), so a list
computed in a worker equals one computed in the HTTP process. A task is a module-level
function ``task(ctx, *args)``; the worker passes its own context.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from service.api.errors import ApiError
from service.settings import Settings

log = logging.getLogger("skillpass.api")

_worker_ctx = None  # the worker process's own ServiceContext, set by _start_worker


def _start_worker(environment: dict[str, str]) -> None:
    global _worker_ctx
    # Ctrl-C reaches the whole process group; the pool, not the signal, ends a worker.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    from threadpoolctl import threadpool_limits

    from matching import parallel
    from service.api.app import build_context, warm_catalogues

    # The pool's processes are the parallelism: threads or BLAS threads inside each would
    # only contend for the same cores.
    parallel.use_threads(1)
    threadpool_limits(limits=1, user_api="blas")
    _worker_ctx = build_context(Settings.load(environ=environment, dotenv=None), migrate=False)
    threading.Thread(target=warm_catalogues, args=(_worker_ctx,), name="warm-catalogues", daemon=True).start()


def _run(task, args):
    return task(_worker_ctx, *args)


def worker_process_id(ctx) -> int:
    """The id of the worker process that ran this task (for health checks and tests)."""
    return os.getpid()


class ListWorkers:
    """A pool of *size* list-worker processes; :meth:`run` computes a task in one of them.

    A worker that dies (killed, out of memory) breaks the pool; the next call builds a
    new pool and tries once more, so one lost process costs one slow request, not an outage.
    """

    def __init__(self, settings: Settings, size: int):
        if size < 1:
            raise ValueError("a list-worker pool needs at least one process")
        self.size = size
        self._environment = settings.environment()
        self._lock = threading.Lock()
        self._pool = self._new_pool()

    def _new_pool(self) -> ProcessPoolExecutor:
        # spawn, not fork: the HTTP process runs threads, and a forked child would inherit
        # their locks in whatever state they were.
        return ProcessPoolExecutor(self.size, mp_context=multiprocessing.get_context("spawn"),
                                   initializer=_start_worker, initargs=(self._environment,))

    def start(self) -> None:
        """Start every process now, so each builds its catalogue views before traffic comes.

        The pool starts a process per submitted task while none is idle, so *size* quick
        tasks in a row start all of them.
        """
        for _ in range(self.size):
            # Not waited for: a worker that cannot start breaks the pool, and the first
            # request then says so (503) after one fresh attempt.
            self._pool.submit(_run, worker_process_id, ())

    def run(self, task, *args):
        for attempt in (1, 2):
            pool = self._pool
            try:
                return pool.submit(_run, task, args).result()
            except BrokenProcessPool:
                with self._lock:
                    if self._pool is pool:
                        log.warning("a list worker stopped unexpectedly; starting a new pool (attempt %d)", attempt)
                        pool.shutdown(wait=False, cancel_futures=True)
                        self._pool = self._new_pool()
        raise ApiError(503, "the list workers stopped unexpectedly; try again in a moment")

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


def compute(ctx, task, *args):
    """``task(ctx, *args)`` in a list worker when the platform has them, else right here."""
    workers = ctx.list_workers
    return task(ctx, *args) if workers is None else workers.run(task, *args)
