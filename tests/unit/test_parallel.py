"""Threaded splitting keeps results in order and leaves BLAS as it found it."""

from __future__ import annotations

import numpy as np
from threadpoolctl import threadpool_info

from matching.parallel import MIN_ROWS_PER_THREAD, blas_serial, map_ranges, split_ranges


def _blas_threads() -> list[int]:
    return [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]


def test_split_ranges_cover_the_interval_in_order():
    for lo, hi in [(0, 1), (5, 5 + 4 * MIN_ROWS_PER_THREAD + 3), (0, 10)]:
        ranges = split_ranges(lo, hi)
        assert ranges[0][0] == lo and ranges[-1][1] == hi
        assert all(a < b for a, b in ranges)
        assert all(b == c for (_, b), (c, _) in zip(ranges[:-1], ranges[1:]))


def test_map_ranges_returns_parts_in_input_order():
    values = np.arange(5 * MIN_ROWS_PER_THREAD)
    parts = map_ranges(lambda a, b: values[a:b] * 2, 0, len(values))
    np.testing.assert_array_equal(np.concatenate(parts), values * 2)


def test_workers_run_blas_on_one_thread():
    before = _blas_threads()
    seen = map_ranges(lambda a, b: _blas_threads(), 0, 5 * MIN_ROWS_PER_THREAD)
    assert all(n == 1 for part in seen for n in part)
    assert _blas_threads() == before


def test_overlapping_users_leaving_out_of_order_restore_blas_once_the_last_leaves():
    # HTTP threads and nested stages can leave in any order; the limit must hold until the
    # last one leaves and then come back to what it was.
    before = _blas_threads()
    first, second = blas_serial(), blas_serial()
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)
    assert all(n == 1 for n in _blas_threads())
    second.__exit__(None, None, None)
    assert _blas_threads() == before
