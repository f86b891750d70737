"""Split NumPy-heavy work over threads.

NumPy releases the GIL inside its loops over large arrays, so two threads on two halves
of a block of pairs run in parallel (measured: pair features for 1,000,000 pairs
1.78 s → 0.89 s on 2 cores). Results come back in input order, so every result is the
same as a serial run's. OR-Tools' min-cost flow holds the GIL; it stays serial.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import numpy as np
from threadpoolctl import ThreadpoolController


def _threads() -> int:
    # SKILLPASS_THREADS lets a process that shares the cores with others (one of several
    # HTTP processes) keep to its share instead of oversubscribing them.
    wanted = os.environ.get("SKILLPASS_THREADS")
    return max(1, int(wanted)) if wanted and wanted.isdigit() else max(1, min(2, os.cpu_count() or 1))


THREADS = _threads()
# Below this many rows the thread hand-off costs more than it saves.
MIN_ROWS_PER_THREAD = 20_000

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def _executor() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=THREADS, thread_name_prefix="skillpass")
        return _pool


_blas: ThreadpoolController | None = None
_blas_seen_modules = -1
_blas_lock = threading.Lock()
_blas_users = 0
_blas_restore = None


@contextmanager
def blas_serial() -> Iterator[None]:
    """BLAS on one thread while our own threads share the cores.

    A matrix product inside a worker would otherwise start its own two BLAS threads per
    worker, four on two cores (measured: regional knock-outs 0.49 s → 0.35 s with the
    limit). Callers may overlap (HTTP threads, nested stages), so the first to enter sets
    the limit and the last to leave restores it; a plain nested ``threadpool_limits``
    can restore out of order and leave BLAS pinned for good. OpenBLAS's setting is
    process-wide and takes reliably when set from the main thread (threadpoolctl's
    documented scope; the batch CLI and job workers run there); set from another thread
    it may not take, which costs speed, never results.
    """
    global _blas, _blas_seen_modules, _blas_users, _blas_restore
    with _blas_lock:
        if _blas_users == 0:
            # Scanning the loaded libraries costs ~2 ms; rescan only when an import may
            # have brought a new BLAS (SciPy ships its own OpenBLAS beside NumPy's).
            if _blas is None or len(sys.modules) != _blas_seen_modules:
                _blas, _blas_seen_modules = ThreadpoolController(), len(sys.modules)
            _blas_restore = _blas.limit(limits=1, user_api="blas")
        _blas_users += 1
    try:
        yield
    finally:
        with _blas_lock:
            _blas_users -= 1
            if _blas_users == 0 and _blas_restore is not None:
                _blas_restore.restore_original_limits()
                _blas_restore = None


def use_threads(count: int) -> None:
    """Cap this process's worker threads, for a process whose pool is itself the parallelism."""
    global THREADS
    THREADS = max(1, count)


def split_ranges(lo: int, hi: int, rows_per_unit: int = 1) -> list[tuple[int, int]]:
    """[lo, hi) cut into up to THREADS contiguous ranges (one if the work is small)."""
    n = hi - lo
    parts = THREADS if n * rows_per_unit >= 2 * MIN_ROWS_PER_THREAD else 1
    edges = np.linspace(lo, hi, parts + 1).round().astype(int)
    return [(int(a), int(b)) for a, b in zip(edges[:-1], edges[1:]) if b > a] or [(lo, hi)]


def map_ranges(fn, lo: int, hi: int, rows_per_unit: int = 1) -> list:
    """``[fn(a, b) for (a, b) in split_ranges(...)]``, the ranges run in threads."""
    ranges = split_ranges(lo, hi, rows_per_unit)
    if len(ranges) == 1:
        return [fn(*ranges[0])]
    with blas_serial():
        return list(_executor().map(lambda r: fn(*r), ranges))


def score_pairs(score_fn, seekers, vacancies, seeker_index, vacancy_index, distance_km) -> np.ndarray:
    """``score_fn`` over pairs, split over threads when the scorer says it is thread-safe."""
    s, v, d = np.asarray(seeker_index), np.asarray(vacancy_index), np.asarray(distance_km)
    if not getattr(score_fn, "thread_safe", False) or len(s) == 0:
        return np.asarray(score_fn(seekers, vacancies, s, v, d), dtype=np.float32)
    parts = map_ranges(lambda a, b: np.asarray(score_fn(seekers, vacancies, s[a:b], v[a:b], d[a:b]),
                                               dtype=np.float32), 0, len(s))
    return np.concatenate(parts)
