"""Where the reference data lives: a folder named by ``SKILLPASS_DATA_DIR``, the
checkout's ``data/`` folder, or the installed ``skillpass_data`` package (``pip install .``)."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

DATA_ENV = "SKILLPASS_DATA_DIR"


def data_dir() -> Path:
    override = os.environ.get(DATA_ENV)
    if override:
        return Path(override)
    checkout = Path(__file__).resolve().parent.parent / "data"
    if (checkout / "taxonomy").is_dir():
        return checkout
    # data/ has no __init__.py, so the installed copy is a namespace package: ask for
    # its search locations rather than importlib.resources, which mishandles those.
    spec = importlib.util.find_spec("skillpass_data")
    for location in (spec.submodule_search_locations or []) if spec else []:
        if (Path(location) / "taxonomy").is_dir():
            return Path(location)
    raise FileNotFoundError(f"skillpass reference data not found; set {DATA_ENV} to a data folder")
