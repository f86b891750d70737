"""Our solver reproduces the published optima of the OR-Library assignment instances.

OR-Library's problems minimise cost over perfect matchings; ours maximises weight and
lets seekers stay unmatched. Weight ``M − cost`` with ``M = n·max(cost) + 1`` makes any
perfect matching beat every imperfect one, so the maximum-weight solution is the
minimum-cost perfect matching and ``cost = n·M − weight``.
"""

from __future__ import annotations

import numpy as np
import pytest

from matching.assignment import max_weight_assignment

DENSE = {"assign100": 305, "assign200": 475, "assign300": 626, "assign400": 804,
         "assign500": 991, "assign600": 1176, "assign700": 1362, "assign800": 1552}
SPARSE = {"assignp800": 2239, "assignp1500": 5839, "assignp3000": 18696, "assignp5000": 48533}


def published_optima(shared_dir) -> dict[str, int]:
    table = {}
    for line in (shared_dir / "benchmarks/orlib/assignopt.txt").read_text().splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].isdigit():
            table[parts[0]] = int(parts[1])
    return table


def read_instance(path):
    tokens = np.array(path.read_text().split(), dtype=np.int64)
    n = int(tokens[0])
    if path.name.startswith("assignp"):
        triples = tokens[1:].reshape(-1, 3)
        return n, triples[:, 0] - 1, triples[:, 1] - 1, triples[:, 2]
    costs = tokens[1:].reshape(n, n)
    rows, cols = np.indices((n, n))
    return n, rows.ravel(), cols.ravel(), costs.ravel()


def min_cost_perfect_matching(n, rows, cols, costs) -> int:
    big = n * int(costs.max()) + 1
    chosen, total, status = max_weight_assignment(rows, cols, big - costs, np.ones(n, dtype=np.int64), n)
    assert status == "OPTIMAL"
    assert chosen.sum() == n, "no perfect matching found"
    assert np.unique(rows[chosen]).size == n and np.unique(cols[chosen]).size == n
    return n * big - total


@pytest.mark.external
def test_published_optima_table_matches_the_brief(shared_dir):
    assert published_optima(shared_dir) == DENSE | SPARSE


@pytest.mark.external
@pytest.mark.parametrize("name", [*DENSE, *SPARSE])
def test_solver_reaches_the_published_optimum(shared_dir, name):
    n, rows, cols, costs = read_instance(shared_dir / f"benchmarks/orlib/{name}.txt")
    assert min_cost_perfect_matching(n, rows, cols, costs) == published_optima(shared_dir)[name]
