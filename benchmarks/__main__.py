"""Run the benchmarks and record the results with the machine that produced them.

    python -m benchmarks            # full grid
    python -m benchmarks Programme  # one benchmark by name
    SKILLPASS_BENCH_FAST=1 python -m benchmarks
"""

from __future__ import annotations

import json
import os
import platform
import sys
from datetime import datetime, timezone
from pathlib import Path

from benchmarks.bench_assessment import Skillsprint
from benchmarks.bench_assignment import AssignmentVsScipy
from benchmarks.bench_national import National, national_rows
from benchmarks.bench_passport import PassportCredential
from benchmarks.bench_platform import Platform
from benchmarks.bench_pipeline import Pipeline
from benchmarks.bench_programme import Programme
from benchmarks.bench_scoring import Scoring
from benchmarks.fuzz_openapi import OpenApiFuzz

RESULTS = Path(__file__).parent / "results"


def machine() -> dict:
    import numpy
    import ortools
    import scipy

    memory_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {"platform": platform.platform(), "python": platform.python_version(), "cpus": os.cpu_count(),
            "memory_gib": round(memory_gib, 1), "numpy": numpy.__version__, "scipy": scipy.__version__,
            "ortools": ortools.__version__}


def main() -> None:
    fast = os.environ.get("SKILLPASS_BENCH_FAST") == "1"
    record = {"created": datetime.now(timezone.utc).isoformat(timespec="seconds"), "fast": fast,
              "machine": machine(), "results": {}}
    only = set(sys.argv[1:])
    for bench in (AssignmentVsScipy(), Pipeline(), Programme(), PassportCredential(), Skillsprint(), Scoring(),
                  National(), Platform(), OpenApiFuzz()):
        if only and type(bench).__name__ not in only:
            continue
        name = type(bench).__name__
        grid = bench.fast_params if fast else bench.params
        record["results"][name] = []
        for param in grid:
            outcome = bench.run(param)
            record["results"][name].append(outcome)
            print(name, json.dumps(outcome, default=str))
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H%M")
    path = RESULTS / f"{stamp}{'-fast' if fast else ''}.json"
    path.write_text(json.dumps(record, indent=2) + "\n")
    print(f"recorded {path}")
    if record["results"].get("National"):
        from benchmarks.report import print_table, write_plots

        rows = national_rows(record["results"]["National"])
        print_table(rows)
        for plot in write_plots(rows, RESULTS, path.stem + "-national"):
            print(f"plotted {plot}")


if __name__ == "__main__":
    main()
