"""Platform settings from environment variables, or a ``.env`` file beside the process.

Every setting is named ``SKILLPASS_<NAME>`` (the platform's folder is ``SKILLPASS_PLATFORM_DIR``,
because ``SKILLPASS_DATA_DIR`` already names the reference-data folder); the environment wins
over the file. A bad value fails at start-up with the variable named, never in a request.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field, fields
from pathlib import Path


# Fields whose variable is not simply SKILLPASS_<FIELD>.
_VARIABLE_NAMES = {"data_dir": "SKILLPASS_PLATFORM_DIR"}


class SettingsError(ValueError):
    def __init__(self, variable: str, problem: str):
        self.variable = variable
        super().__init__(f"{variable}: {problem}")


def _read_dotenv(path: Path) -> dict[str, str]:
    values = {}
    if not path.is_file():
        return values
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if "=" not in line:
            raise SettingsError(f"{path}:{number}", "expected NAME=value")
        name, value = line.split("=", 1)
        values[name.strip()] = value.strip().strip('"').strip("'")
    return values


def _default_platform_dir() -> Path:
    # Outside any checkout: the signing keys live here, and the key store refuses a folder
    # that git could pick up.
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "skillpass"


@dataclass(frozen=True)
class Settings:
    """What the platform needs to start; see the README's "Platform" section."""

    data_dir: Path = field(default_factory=_default_platform_dir)
    database_url: str = ""  # empty: a SQLite file in data_dir
    secret_key: str = ""    # empty: one generated and kept in data_dir (stable across restarts)
    host: str = "127.0.0.1"
    port: int = 8000
    # HTTP processes. Each holds its own copy of the catalogue views; requests are
    # GIL-bound, so concurrent clients need more than one process to use more than one core.
    web_workers: int = 1
    # Processes that compute ranked lists for every HTTP process's requests from one shared
    # queue (service/api/list_workers.py); 0 computes each list in the HTTP process itself.
    list_workers: int = 0
    token_minutes: int = 12 * 60
    max_request_bytes: int = 2 * 1024 * 1024
    seed_demo: bool = True
    # A batch job whose worker stopped this long ago without finishing is resumed or failed.
    job_stale_seconds: int = 60
    job_max_attempts: int = 2
    job_poll_ms: int = 300  # how often an idle worker looks for queued jobs
    model_path: str = ""    # empty: the rule-based scorer
    extra: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'skillpass.db').resolve()}"

    @property
    def jobs_dir(self) -> Path:
        return self.data_dir / "jobs"

    @property
    def is_sqlite(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")

    def resolved_secret_key(self) -> str:
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / "secret.key"
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            path.touch(mode=0o600)
            path.write_text(secrets.token_urlsafe(48))
        return path.read_text().strip()

    @classmethod
    def load(cls, environ: dict[str, str] | None = None, dotenv: Path | None = Path(".env"), **overrides) -> "Settings":
        source = dict(_read_dotenv(dotenv) if dotenv else {})
        source.update(os.environ if environ is None else environ)
        values = {}
        for f in fields(cls):
            if f.name == "extra":
                continue
            variable = _VARIABLE_NAMES.get(f.name, f"SKILLPASS_{f.name.upper()}")
            if variable not in source:
                continue
            raw = source[variable]
            kind = Path if f.name == "data_dir" else type(f.default)
            try:
                if kind is bool:
                    if raw.lower() not in {"1", "0", "true", "false", "yes", "no"}:
                        raise ValueError("expected true or false")
                    values[f.name] = raw.lower() in {"1", "true", "yes"}
                elif kind is int:
                    values[f.name] = int(raw)
                elif f.name == "data_dir":
                    values[f.name] = Path(raw)
                else:
                    values[f.name] = raw
            except ValueError as exc:
                raise SettingsError(variable, str(exc)) from None
        values.update(overrides)
        settings = cls(**values)
        settings.check()
        return settings

    def environment(self) -> dict[str, str]:
        """These settings as ``SKILLPASS_*`` variables: what :meth:`load` reads back to equal settings."""
        out = {}
        for f in fields(self):
            if f.name == "extra":
                continue
            value = getattr(self, f.name)
            text = ("true" if value else "false") if isinstance(value, bool) else str(value)
            out[_VARIABLE_NAMES.get(f.name, f"SKILLPASS_{f.name.upper()}")] = text
        return out

    def check(self) -> None:
        if not 1 <= self.port <= 65535:
            raise SettingsError("SKILLPASS_PORT", f"must lie in 1–65535, got {self.port}")
        if not 1 <= self.web_workers <= 64:
            raise SettingsError("SKILLPASS_WEB_WORKERS", f"must lie in 1–64, got {self.web_workers}")
        if not 0 <= self.list_workers <= 64:
            raise SettingsError("SKILLPASS_LIST_WORKERS", f"must lie in 0–64, got {self.list_workers}")
        if self.token_minutes < 1:
            raise SettingsError("SKILLPASS_TOKEN_MINUTES", "must be at least 1")
        if self.max_request_bytes < 1024:
            raise SettingsError("SKILLPASS_MAX_REQUEST_BYTES", "must be at least 1024")
        if self.job_stale_seconds < 1:
            raise SettingsError("SKILLPASS_JOB_STALE_SECONDS", "must be at least 1")
        if self.job_max_attempts < 1:
            raise SettingsError("SKILLPASS_JOB_MAX_ATTEMPTS", "must be at least 1")
        if not 10 <= self.job_poll_ms <= 60_000:
            raise SettingsError("SKILLPASS_JOB_POLL_MS", f"must lie in 10–60000, got {self.job_poll_ms}")
        url = self.resolved_database_url
        if not url.startswith(("sqlite", "postgresql")):
            raise SettingsError("SKILLPASS_DATABASE_URL", "only sqlite:/// and postgresql:// URLs are supported")
