"""Schema-driven fuzzing of the running platform with schemathesis.

Every operation in /openapi.json is called with generated valid and invalid inputs, once
as each demo role, against a real server process on 127.0.0.1. The only check is the one
the issue sets: no server errors (5xx). Results are counted from the JUnit report.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import httpx

from benchmarks.platform_server import start_server

ROLES = ("seeker", "coach", "employer", "partner", "analyst", "admin")


def _schemathesis() -> list[str]:
    return [str(Path(sys.executable).with_name("schemathesis"))]


def _junit_counts(path: Path) -> dict:
    root = ElementTree.parse(path).getroot()
    suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
    tests = sum(int(s.get("tests", 0)) for s in suites)
    failures = sum(int(s.get("failures", 0)) for s in suites)
    errors = sum(int(s.get("errors", 0)) for s in suites)
    failing = sorted({case.get("name") for case in root.iter("testcase")
                      if case.find("failure") is not None or case.find("error") is not None})
    return {"operations": tests, "failing_operations": failures, "errored_operations": errors,
            "failing": failing[:20]}


class OpenApiFuzz:
    params = [{"max_examples": 50, "max_seconds_per_role": 240}]
    fast_params = [{"max_examples": 8, "max_seconds_per_role": 60}]

    def run(self, param: dict) -> dict:
        from service.seed import DEMO_PASSWORD

        data_dir = Path(tempfile.mkdtemp(prefix="skillpass-fuzz-"))
        # Served as the load check serves it: one HTTP process, lists computed by list workers.
        server = start_server(data_dir, seed=True, worker=True, list_workers=2)
        per_role = {}
        try:
            for role in ROLES:
                token = httpx.post(f"{server.base_url}/auth/token",
                                   data={"username": f"demo-{role}", "password": DEMO_PASSWORD},
                                   timeout=30).json()["access_token"]
                report = data_dir / f"junit-{role}.xml"
                started = time.perf_counter()
                completed = subprocess.run(
                    [*_schemathesis(), "run", f"{server.base_url}/openapi.json",
                     "--checks", "not_a_server_error", "--max-examples", str(param["max_examples"]),
                     "--max-time", str(param["max_seconds_per_role"]), "--seed", "1",
                     "--header", f"Authorization: Bearer {token}", "--exclude-path", "/auth/logout",
                     "--report", "junit", "--report-junit-path", str(report), "--no-color"],
                    capture_output=True, text=True, timeout=param["max_seconds_per_role"] + 120)
                per_role[role] = {"seconds": round(time.perf_counter() - started, 1),
                                  "exit_code": completed.returncode,
                                  **(_junit_counts(report) if report.exists() else {"report": "missing"})}
                (data_dir / f"schemathesis-{role}.txt").write_text(completed.stdout + completed.stderr)
            server_errors = sum(1 for line in server.log_path.read_text().splitlines() if '"status": 5' in line)
        finally:
            server.stop()
        return {"roles": per_role, "server_error_responses_logged": server_errors, "log_dir": str(data_dir),
                "target_zero_server_errors": server_errors == 0 and
                all(r.get("failing_operations", 1) == 0 for r in per_role.values())}
