"""A throw-away PostgreSQL server for tests: initdb in a temporary folder, 127.0.0.1 only.

Found on PATH or under /usr/lib/postgresql/*/bin (Debian's ``postgresql`` package, which
``.ci/run`` installs where it can). The server refuses to run as root, so as root it runs
as the ``postgres`` system user. Returns None when no server can be started, so tests skip.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass
class PostgresServer:
    url: str
    data_dir: Path
    pg_ctl: str
    run_as: list[str]

    def stop(self) -> None:
        subprocess.run([*self.run_as, self.pg_ctl, "-D", str(self.data_dir), "-m", "immediate", "stop"],
                       capture_output=True, timeout=60)
        shutil.rmtree(self.data_dir.parent, ignore_errors=True)


def _binary(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return candidates[-1] if candidates else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_postgres() -> tuple[PostgresServer | None, str]:
    """(server, "") or (None, why not)."""
    initdb, pg_ctl = _binary("initdb"), _binary("pg_ctl")
    if not initdb or not pg_ctl:
        return None, "PostgreSQL server binaries (initdb, pg_ctl) are not installed"
    root = Path(tempfile.mkdtemp(prefix="skillpass-pg-"))
    data = root / "data"
    run_as: list[str] = []
    if os.geteuid() == 0:
        runuser = shutil.which("runuser")
        if runuser is None:
            return None, "running as root without runuser to drop to the postgres user"
        run_as = [runuser, "-u", "postgres", "--"]
        shutil.chown(root, "postgres")
        os.chmod(root, 0o700)
    init = subprocess.run([*run_as, initdb, "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8"],
                          capture_output=True, text=True, timeout=120)
    if init.returncode != 0:
        return None, f"initdb failed: {init.stderr.strip()[:300]}"
    port = _free_port()
    options = f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={root} -c fsync=off"
    start = subprocess.run([*run_as, pg_ctl, "-D", str(data), "-o", options, "-l", str(root / "log"), "-w",
                            "start"], capture_output=True, text=True, timeout=120)
    if start.returncode != 0:
        return None, f"pg_ctl start failed: {start.stderr.strip()[:300]}"
    server = PostgresServer(url=f"postgresql://postgres@127.0.0.1:{port}/postgres", data_dir=data, pg_ctl=pg_ctl,
                            run_as=run_as)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return server, ""
        time.sleep(0.2)
    server.stop()
    return None, "the server did not accept connections within 30 s"
