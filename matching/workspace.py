"""Scratch arrays reused from one block of work to the next, one set per thread.

A national candidate block's dense arrays run to tens of megabytes. Allocated afresh for
every block they come from new memory mappings, and the kernel then maps them in page by
page on first touch: the block's matrix product took three times as long in the run as on
a reused buffer. A workspace hands each thread grow-only buffers instead. Arrays it returns
are overwritten by the same thread's next request under the same name, so they must not
outlive the block that asked for them.
"""

from __future__ import annotations

import threading

import numpy as np


class Workspace:
    """Per-thread, grow-only scratch buffers, freed with the workspace."""

    def __init__(self):
        self._local = threading.local()

    def array(self, name: str, shape: tuple[int, ...], dtype) -> np.ndarray:
        """An uninitialised C-ordered array of *shape* and *dtype* in this thread's buffer *name*."""
        dtype = np.dtype(dtype)
        nbytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
        buffers = self._local.__dict__.setdefault("buffers", {})
        buffer = buffers.get(name)
        if buffer is None or buffer.nbytes < nbytes:
            # A little headroom, so a run of slowly growing blocks does not reallocate each time.
            buffer = np.empty(max(int(nbytes * 1.25), 64), dtype=np.uint8)
            buffers[name] = buffer
        return buffer[:nbytes].view(dtype).reshape(shape)
