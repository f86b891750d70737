"""Replacing a file in one step, so a reader never sees half of it.

The content goes to a temporary file in the same folder, is flushed to disk, and then
renames over the target; a failure at any point leaves the earlier file as it was and no
temporary file behind.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path


def replace_atomically(path: Path, write: Callable[[str], None], *, private: bool = False) -> None:
    """Call ``write(temporary_path)``, then put the result at *path* in one rename.

    A private file keeps mkstemp's 0600 (passports, keys, personal exports); otherwise a
    replaced file keeps its mode and a new one gets the usual 0644.
    """
    path = Path(path)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(descriptor)
    try:
        write(temporary)
        with open(temporary, "rb") as handle:
            os.fsync(handle.fileno())
        if not private:
            os.chmod(temporary, path.stat().st_mode & 0o777 if path.exists() else 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_text_atomically(path: Path, text: str, *, private: bool = False) -> None:
    replace_atomically(path, lambda temporary: Path(temporary).write_text(text, encoding="utf-8"), private=private)
