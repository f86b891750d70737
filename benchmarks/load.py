"""A bounded load driver: a few client threads call one request for a fixed time.

Latencies are measured at the client, per request, including HTTP; errors are counted by
status class. The run always stops at its deadline, whatever the server does.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx
import numpy as np


@dataclass
class LoadResult:
    seconds: float
    latencies_ms: np.ndarray
    statuses: dict[int, int] = field(default_factory=dict)
    transport_errors: int = 0
    units: int = 0  # work done, e.g. events accepted

    def summary(self) -> dict:
        lat = self.latencies_ms
        server_errors = sum(n for status, n in self.statuses.items() if status >= 500)
        client_errors = sum(n for status, n in self.statuses.items() if 400 <= status < 500)
        return {"requests": int(len(lat)), "seconds": round(self.seconds, 2),
                "requests_per_s": round(len(lat) / self.seconds, 1) if self.seconds else 0.0,
                "p50_ms": round(float(np.percentile(lat, 50)), 2) if len(lat) else None,
                "p95_ms": round(float(np.percentile(lat, 95)), 2) if len(lat) else None,
                "p99_ms": round(float(np.percentile(lat, 99)), 2) if len(lat) else None,
                "server_errors": server_errors, "client_errors": client_errors,
                "transport_errors": self.transport_errors, "units": self.units,
                "units_per_s": round(self.units / self.seconds, 1) if self.seconds else 0.0}


def run_load(base_url: str, call: Callable[[httpx.Client, int, int], tuple[int, int]], *, threads: int,
             seconds: float) -> LoadResult:
    """*call(client, thread, iteration)* makes one request and returns (status, units of work)."""
    deadline = time.monotonic() + seconds
    latencies: list[list[float]] = [[] for _ in range(threads)]
    statuses: list[dict[int, int]] = [{} for _ in range(threads)]
    units = [0] * threads
    failures = [0] * threads

    def worker(t: int) -> None:
        with httpx.Client(base_url=base_url, timeout=30) as client:
            i = 0
            while time.monotonic() < deadline:
                started = time.perf_counter()
                try:
                    status, done = call(client, t, i)
                except httpx.HTTPError:
                    failures[t] += 1
                    continue
                finally:
                    i += 1
                latencies[t].append((time.perf_counter() - started) * 1000)
                statuses[t][status] = statuses[t].get(status, 0) + 1
                units[t] += done

    started = time.monotonic()
    pool = [threading.Thread(target=worker, args=(t,), daemon=True) for t in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(seconds + 60)
    elapsed = time.monotonic() - started
    merged: dict[int, int] = {}
    for table in statuses:
        for status, n in table.items():
            merged[status] = merged.get(status, 0) + n
    return LoadResult(seconds=elapsed, latencies_ms=np.array([x for part in latencies for x in part]),
                      statuses=merged, transport_errors=sum(failures), units=sum(units))
