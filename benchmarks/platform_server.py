"""Start the platform as a real server process on 127.0.0.1 for load checks and fuzzing."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class RunningServer:
    process: subprocess.Popen
    base_url: str
    log_path: Path

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start_server(data_dir: Path, *, port: int | None = None, seed: bool = False, worker: bool = True,
                 timeout: float = 120.0, env: dict | None = None, web_workers: int = 1,
                 list_workers: int = 0) -> RunningServer:
    """`skillpass serve` in a child process; returns once /health answers."""
    port = port or free_port()
    log_path = Path(data_dir) / "server.log"
    Path(data_dir).mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "service.cli", "serve", "--host", "127.0.0.1", "--port", str(port),
               "--platform-dir", str(data_dir), "--web-workers", str(web_workers),
               "--list-workers", str(list_workers)]
    if not seed:
        command.append("--no-seed")
    if not worker:
        command.append("--no-worker")
    child_env = {**os.environ, "SKILLPASS_SECRET_KEY": "bench-secret", **(env or {})}
    log = open(log_path, "w")
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=child_env,
                               cwd=Path(__file__).resolve().parent.parent)
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}; see {log_path}")
        try:
            if httpx.get(f"{base_url}/health", timeout=2).status_code == 200:
                return RunningServer(process, base_url, log_path)
        except httpx.HTTPError:
            pass  # not listening yet: try again after the pause below
        time.sleep(0.3)
    process.kill()
    raise RuntimeError(f"the server did not answer /health within {timeout:.0f} s; see {log_path}")
