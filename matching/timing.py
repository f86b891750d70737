"""Wall-clock timing of pipeline stages, for the demo's summary and the benchmarks."""

from __future__ import annotations

import time
from contextlib import contextmanager


class StageTimer:
    """Accumulates seconds per named stage, in the order stages first ran."""

    def __init__(self):
        self.seconds: dict[str, float] = {}

    @contextmanager
    def stage(self, name: str):
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - start

    @property
    def total(self) -> float:
        return sum(self.seconds.values())
