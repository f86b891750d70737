"""Split an option graph into independent parts and solve them separately.

Seekers, vacancies and trainings are nodes; every option links its seeker to its
vacancy (and to its training). Parts that share no node share no constraint, so the
whole optimum is the sum of the parts' optima — unless a programme-wide constraint (the
training budget, a group floor) ties them together, in which case the graph is solved
whole. Parts are solved in worker processes when there are several large ones; small
parts are not worth the cost of sending them to a process.
"""

from __future__ import annotations

import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from matching.options import OptionGraph
from matching.policy import MatchingPolicy
from matching.programme import ProgrammeResult, programme_result, solve_programme

# Below this many options a part is solved in the parent process.
PARALLEL_MIN_OPTIONS = 50_000


def option_components(options: OptionGraph) -> tuple[int, np.ndarray]:
    """(number of parts, part label per option)."""
    n_s, n_v = options.n_seekers, options.n_vacancies
    n_nodes = n_s + n_v + options.n_trainings
    if options.n_options == 0:
        return 0, np.empty(0, dtype=np.int32)
    via = options.training >= 0
    rows = np.concatenate([options.seeker, options.seeker[via]])
    cols = np.concatenate([n_s + options.vacancy, n_s + n_v + options.training[via]])
    graph = coo_matrix((np.ones(len(rows), dtype=np.int8), (rows, cols)), shape=(n_nodes, n_nodes))
    _, node_label = connected_components(graph, directed=False)
    used = np.unique(node_label[options.seeker])
    relabel = np.full(node_label.max() + 1, -1, dtype=np.int32)
    relabel[used] = np.arange(len(used))
    return len(used), relabel[node_label[options.seeker]]


def _solve_part(args):
    options, policy = args
    result = solve_programme(options, policy)
    return result.chosen, result.bound, result.certificate


def solve_decomposed(options: OptionGraph, policy: MatchingPolicy | None = None, *, workers: int = 1) -> ProgrammeResult:
    """:func:`solve_programme` part by part; equals the whole-graph optimum.

    Parameters
    ----------
    workers : int
        Worker processes for large parts (1 solves everything in this process).
    """
    policy = policy or MatchingPolicy()
    started = time.perf_counter()
    if policy.has_side_constraints():
        result = solve_programme(options, policy)
        result.certificate["parts"] = 1
        return result
    n_parts, label = option_components(options)
    if n_parts <= 1:
        result = solve_programme(options, policy)
        result.certificate["parts"] = n_parts
        return result
    order = np.argsort(label, kind="stable")
    splits = np.split(order, np.flatnonzero(np.diff(label[order])) + 1)
    parts = [(options.take(index), policy) for index in splits]
    large = [i for i, index in enumerate(splits) if len(index) >= PARALLEL_MIN_OPTIONS]
    solved: dict[int, tuple] = {}
    if workers > 1 and len(large) > 1:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            for i, outcome in zip(large, pool.map(_solve_part, [parts[i] for i in large])):
                solved[i] = outcome
    for i, part in enumerate(parts):
        if i not in solved:
            solved[i] = _solve_part(part)
    chosen = np.concatenate([splits[i][solved[i][0]] for i in range(n_parts)])
    bound = float(sum(solved[i][1] for i in range(n_parts)))
    value = float(options.weight[chosen].sum())
    methods = sorted({solved[i][2]["method"] for i in range(n_parts)})
    iterations = max(solved[i][2]["iterations"] for i in range(n_parts))
    result = programme_result(options, chosen, value, bound, " + ".join(methods), iterations, started)
    result.certificate["parts"] = n_parts
    return result
