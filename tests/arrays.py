"""Small helpers for tests that edit population arrays."""

from __future__ import annotations

import dataclasses


def replace_row(arrays, index, **changes):
    """A copy of *arrays* (a frozen array dataclass) with fields of row *index* changed."""
    replaced = {}
    for name, value in changes.items():
        column = getattr(arrays, name).copy()
        column[index] = value
        replaced[name] = column
    return dataclasses.replace(arrays, **replaced)
