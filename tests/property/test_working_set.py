"""The working-set assignment is exact: it equals a full min-cost flow on every instance,
and its duals certify optimality on all arcs."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from matching.assignment import max_weight_assignment, scale_scores
from matching.working_set import WorkingSetAssignment, assignment_duals
from tests.strategies import candidate_instances


@given(candidate_instances(max_seekers=12, max_vacancies=6, max_capacity=3), st.integers(0, 2**31 - 1))
def test_repeated_working_set_solves_equal_full_solves(instance, seed):
    n_seekers, _, seeker, vacancy, score, capacity = instance
    rng = np.random.default_rng(seed)
    solver = WorkingSetAssignment(seeker, vacancy, capacity, n_seekers)
    for _ in range(3):  # weights change between solves, as prices do
        weight = scale_scores(np.clip(score + rng.normal(0, 0.2, len(score)), 0, 1))
        chosen = solver.solve(weight)
        _, full_total, _ = max_weight_assignment(seeker, vacancy, weight, capacity, n_seekers)
        assert int(weight[chosen].sum()) == full_total
        assert np.all(np.bincount(seeker[chosen], minlength=n_seekers) <= 1)
        assert np.all(np.bincount(vacancy[chosen], minlength=len(capacity)) <= capacity)


@given(candidate_instances(max_seekers=12, max_vacancies=6, max_capacity=3))
def test_duals_are_feasible_and_complementary(instance):
    n_seekers, _, seeker, vacancy, score, capacity = instance
    weight = scale_scores(score)
    chosen, total, _ = max_weight_assignment(seeker, vacancy, weight, capacity, n_seekers)
    utility, price = assignment_duals(seeker, vacancy, weight, capacity, chosen, n_seekers)
    assert np.all(utility >= 0) and np.all(price >= 0)
    assert np.all(utility[seeker] + price[vacancy] >= weight)
    assert np.all(utility[seeker[chosen]] + price[vacancy[chosen]] == weight[chosen])
    # Strong duality: the dual objective equals the optimum.
    assert int(utility.sum() + (price * capacity).sum()) == total


@given(candidate_instances(max_seekers=12, max_vacancies=6, max_capacity=3), st.integers(0, 2**31 - 1))
def test_a_one_round_solve_is_valid_and_says_whether_it_is_proven(instance, seed):
    """Stopped after one round, the answer is still an assignment; when the solver says it
    is proven, it is the full optimum, and the vacancy prices it leaves bound the optimum."""
    n_seekers, _, seeker, vacancy, score, capacity = instance
    rng = np.random.default_rng(seed)
    solver = WorkingSetAssignment(seeker, vacancy, capacity, n_seekers)
    for _ in range(3):
        weight = scale_scores(np.clip(score + rng.normal(0, 0.2, len(score)), 0, 1))
        chosen = solver.solve(weight, max_rounds=1)
        assert np.all(np.bincount(seeker[chosen], minlength=n_seekers) <= 1)
        assert np.all(np.bincount(vacancy[chosen], minlength=len(capacity)) <= capacity)
        _, full_total, _ = max_weight_assignment(seeker, vacancy, weight, capacity, n_seekers)
        assert int(weight[chosen].sum()) <= full_total
        if solver.proven:
            assert int(weight[chosen].sum()) == full_total
        # LP duality with the price each seeker's best net arc implies.
        price = solver.vacancy_price
        net = np.maximum(np.where(weight > 0, weight, 0) - price[vacancy], 0)
        utility = np.zeros(n_seekers, dtype=np.int64)
        np.maximum.at(utility, seeker, net)
        assert int(utility.sum() + (price * capacity).sum()) >= full_total
