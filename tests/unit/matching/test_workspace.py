"""Scratch buffers: reused within a thread, separate between threads, grown on demand."""

from __future__ import annotations

import threading

import numpy as np

from matching.workspace import Workspace


def test_a_second_request_reuses_the_first_buffer():
    workspace = Workspace()
    first = workspace.array("cells", (100, 8), np.float64)
    second = workspace.array("cells", (50, 8), np.float64)
    assert np.shares_memory(first, second)
    assert second.shape == (50, 8) and second.dtype == np.float64 and second.flags.c_contiguous


def test_a_larger_request_gets_a_larger_buffer_and_names_are_separate():
    workspace = Workspace()
    small = workspace.array("cells", (10,), np.float64)
    large = workspace.array("cells", (10_000,), np.float64)
    other = workspace.array("mask", (10_000,), bool)
    assert large.shape == (10_000,) and not np.shares_memory(small, large)
    assert not np.shares_memory(large, other)


def test_threads_never_share_a_buffer():
    workspace = Workspace()
    arrays = {}

    def grab(name):
        arrays[name] = workspace.array("cells", (1_000,), np.int64)
        arrays[name][:] = hash(name) % 1000

    threads = [threading.Thread(target=grab, args=(f"t{i}",)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not np.shares_memory(arrays["t0"], arrays["t1"])
    assert (arrays["t0"] == hash("t0") % 1000).all() and (arrays["t1"] == hash("t1") % 1000).all()
