"""Boolean rows packed into 64-bit words, and what is derived once from frozen arrays.

Hard skills are a few dozen flags per person or vacancy. Packed, "lacks a must-have"
or "holds a nice-to-have" is one AND and a popcount per 64 skills instead of a pass
over a (pairs × skills) boolean table.
"""

from __future__ import annotations

import numpy as np


def pack_bits(flags: np.ndarray) -> np.ndarray:
    """Boolean rows (n, width) → uint64 words (n, ceil(width / 64)), bit *j % 64* of word *j // 64* = column *j*.

    A 1-D input is one row.
    """
    flags = np.atleast_2d(np.asarray(flags, dtype=bool))
    n, width = flags.shape
    n_words = max(1, -(-width // 64))
    packed = np.packbits(flags, axis=1, bitorder="little")
    padded = np.zeros((n, n_words * 8), dtype=np.uint8)
    padded[:, :packed.shape[1]] = packed
    return padded.view(np.uint64).reshape(n, n_words)


def count_bits(words: np.ndarray) -> np.ndarray:
    """Set bits per row of packed words, float32."""
    counts = np.bitwise_count(words)
    return (counts[:, 0] if words.shape[1] == 1 else counts.sum(axis=1)).astype(np.float32)


def packed(arrays, field: str) -> np.ndarray:
    """``pack_bits(arrays.<field>)``, built once per frozen arrays object (e.g. ``packed(seekers, "hard")``)."""
    return derived(arrays, f"_packed_{field}", lambda: pack_bits(getattr(arrays, field)))


def set_count(arrays, field: str) -> np.ndarray:
    """Flags set per row of ``arrays.<field>``, float32, built once per frozen arrays object."""
    return derived(arrays, f"_set_count_{field}", lambda: count_bits(packed(arrays, field)))


def derived(arrays, name: str, build):
    """``build()``, kept on the frozen *arrays* object under *name* after the first call.

    Population arrays are immutable and shared by every block and request, so what is
    derived from them (unit vectors, packed bits, normalised weights) is built once per
    catalogue, not once per call. Two threads may both build it; both get equal values.
    """
    cached = arrays.__dict__.get(name)
    if cached is None:
        cached = build()
        object.__setattr__(arrays, name, cached)
    return cached
