"""A folder of passport histories, one JSON file each, for the command line.

Writes go to a temporary file in the same folder, are flushed to disk, and replace the old
file in one rename, so a crash leaves either the old history or the new one, never half.
A save refuses a history that does not extend the stored one, so two writers cannot
silently drop each other's versions. (The platform keeps histories in its database.)
"""

from __future__ import annotations

import fcntl
import os
import re
from pathlib import Path

from passport.files import write_text_atomically
from passport.history import HistoryError, PassportHistory

HOME_VARIABLE = "SKILLPASS_HOME"
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def default_wallet_dir() -> Path:
    if os.environ.get(HOME_VARIABLE):
        return Path(os.environ[HOME_VARIABLE]) / "passports"
    data = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return data / "skillpass" / "passports"


class Wallet:
    def __init__(self, directory: Path | None = None):
        self.directory = Path(directory) if directory is not None else default_wallet_dir()

    def path_of(self, passport_id: str) -> Path:
        if not _SAFE_ID.match(passport_id) or passport_id.startswith("."):
            raise HistoryError(f"passport_id: {passport_id!r} cannot name a file "
                               "(use letters, digits, '.', '_' and '-')")
        return self.directory / f"{passport_id}.json"

    def ids(self) -> list[str]:
        return sorted(p.stem for p in self.directory.glob("*.json")) if self.directory.exists() else []

    def load(self, passport_id: str) -> PassportHistory:
        path = self.path_of(passport_id)
        if not path.exists():
            raise HistoryError(f"passport_id: no passport {passport_id!r} in {self.directory}")
        try:
            return PassportHistory.from_json(path.read_text())
        except HistoryError as error:
            raise HistoryError(f"{path}: {error}") from None
        except ValueError as error:
            raise HistoryError(f"{path}: not a passport history: {str(error).splitlines()[0]}") from None

    def save(self, history: PassportHistory) -> Path:
        history.check()
        path = self.path_of(history.passport_id)
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        # One writer at a time per passport: the check below and the rename must not interleave.
        with open(self.directory / f".{history.passport_id}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            return self._save_locked(history, path)

    def _save_locked(self, history: PassportHistory, path: Path) -> Path:
        if path.exists():
            stored = self.load(history.passport_id)
            if history.versions[:len(stored.versions)] != stored.versions:
                raise HistoryError(f"{path}: the stored history has versions this one does not; "
                                   "reload it and apply the change again")
        write_text_atomically(path, history.to_json() + "\n", private=True)
        return path
