"""Threaded candidate generation and pathway scoring give exactly the serial results, and
leave BLAS as they found it."""

from __future__ import annotations

import numpy as np
from threadpoolctl import threadpool_info

import matching.parallel as parallel
from matching import RuleBasedScorer
from matching.candidates import FeatureScorer, generate_candidates
from matching.pathways import generate_pathways, training_eligibility


def _run(market):
    score_fn = FeatureScorer(RuleBasedScorer(), market.taxonomy)
    graph = generate_candidates(market.seekers, market.vacancies, score_fn, top_k=20, per_opening=5,
                                memory_budget_mb=2.0)
    eligible = training_eligibility(market.seekers, market.trainings)
    pathways = generate_pathways(market.seekers, market.vacancies, market.trainings, score_fn, graph,
                                 eligible=eligible, memory_budget_mb=2.0)
    return graph, pathways


def test_threads_change_nothing(small_market, monkeypatch):
    monkeypatch.setattr(parallel, "THREADS", 1)
    serial_graph, serial_pathways = _run(small_market)
    monkeypatch.setattr(parallel, "THREADS", 2)
    monkeypatch.setattr(parallel, "MIN_ROWS_PER_THREAD", 10)
    assert len(parallel.split_ranges(0, 100, rows_per_unit=150)) == 2  # the threaded path really runs
    graph, pathways = _run(small_market)
    for name in ("seeker", "vacancy", "score", "distance_km", "knockout_counts"):
        np.testing.assert_array_equal(getattr(graph, name), getattr(serial_graph, name))
    for name in ("seeker", "training", "vacancy", "score", "direct_score"):
        np.testing.assert_array_equal(getattr(pathways, name), getattr(serial_pathways, name))


def test_ranges_cover_the_interval_in_order(monkeypatch):
    monkeypatch.setattr(parallel, "THREADS", 2)
    monkeypatch.setattr(parallel, "MIN_ROWS_PER_THREAD", 1)
    ranges = parallel.split_ranges(3, 11)
    assert ranges[0][0] == 3 and ranges[-1][1] == 11
    assert all(a[1] == b[0] for a, b in zip(ranges, ranges[1:]))
    assert parallel.map_ranges(lambda a, b: list(range(a, b)), 3, 11) == [list(range(a, b)) for a, b in ranges]


def _blas_threads() -> list[int]:
    return [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]


def test_workers_run_blas_on_one_thread():
    before = _blas_threads()
    seen = parallel.map_ranges(lambda a, b: _blas_threads(), 0, 5 * parallel.MIN_ROWS_PER_THREAD)
    assert all(n == 1 for part in seen for n in part)
    assert _blas_threads() == before


def test_overlapping_users_leaving_out_of_order_restore_blas_once_the_last_leaves():
    # HTTP threads and nested stages can leave in any order; the limit must hold until the
    # last one leaves and then come back to what it was.
    before = _blas_threads()
    first, second = parallel.blas_serial(), parallel.blas_serial()
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)
    assert all(n == 1 for n in _blas_threads())
    second.__exit__(None, None, None)
    assert _blas_threads() == before
