"""The assignment solver against SciPy's sparse LAPJV on the same instances.

Peer: ``scipy.sparse.csgraph.min_weight_full_bipartite_matching``. Each vacancy is
expanded into one column per opening and each seeker gets a private dummy column, so a
full matching always exists; every weight is shifted by +1 so dummies (weight 1) are
real edges. Both solvers must reach the same optimum: that is the reference check.
"""

from __future__ import annotations

import time

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import min_weight_full_bipartite_matching

from matching import RuleBasedScorer
from matching.assignment import max_weight_assignment, scale_scores
from matching.candidates import FeatureScorer, generate_candidates
from matching.synthetic import generate_market


def scipy_peer_optimum(seeker, vacancy, weight, capacity, n_seekers) -> int:
    first_column = np.concatenate([[0], np.cumsum(capacity)[:-1]])
    copies = capacity[vacancy]
    rows = np.repeat(seeker, copies)
    offsets = np.arange(copies.sum()) - np.repeat(np.cumsum(copies) - copies, copies)
    cols = np.repeat(first_column[vacancy], copies) + offsets
    data = np.repeat(weight, copies) + 1
    n_open = int(capacity.sum())
    rows = np.concatenate([rows, np.arange(n_seekers)])
    cols = np.concatenate([cols, n_open + np.arange(n_seekers)])
    data = np.concatenate([data, np.ones(n_seekers, dtype=np.int64)])
    matrix = csr_matrix((data.astype(np.float64), (rows, cols)), shape=(n_seekers, n_open + n_seekers))
    row, col = min_weight_full_bipartite_matching(matrix, maximize=True)
    return int(round(matrix[row, col].sum())) - n_seekers


class AssignmentVsScipy:
    params = [6_000, 30_000]
    fast_params = [6_000]
    param_name = "n_seekers"

    def setup(self, n_seekers):
        market = generate_market(n_seekers=n_seekers, n_vacancies=max(1_500, n_seekers // 4), seed=0)
        graph = generate_candidates(market.seekers, market.vacancies, FeatureScorer(RuleBasedScorer(), market.taxonomy))
        self.args = (graph.seeker.astype(np.int64), graph.vacancy.astype(np.int64), scale_scores(graph.score),
                     market.vacancies.openings.astype(np.int64), graph.n_seekers)
        self.n_arcs = graph.n_pairs

    def run(self, n_seekers) -> dict:
        self.setup(n_seekers)
        start = time.perf_counter()
        _, ours, _ = max_weight_assignment(*self.args)
        time_ortools = time.perf_counter() - start
        start = time.perf_counter()
        peer = scipy_peer_optimum(*self.args)
        time_scipy = time.perf_counter() - start
        if ours != peer:
            raise AssertionError(f"optima differ: OR-Tools {ours}, SciPy {peer}")
        return {"n_seekers": n_seekers, "n_arcs": self.n_arcs, "time_ortools_s": time_ortools,
                "time_scipy_lapjvsp_s": time_scipy, "speed_ratio_vs_scipy": time_scipy / time_ortools,
                "optimum_scaled": ours, "reference_check": "equal optima"}
