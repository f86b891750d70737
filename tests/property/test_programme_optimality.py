"""The programme solver is valid and optimal: checked against brute force on tiny option graphs.

Instances come from :func:`tests.strategies.programme_instances` (at most a dozen options),
so every choice of at most one option per seeker can be enumerated. Weights are multiples
of 1/1000, which the solver's 10⁻⁶ integer scaling represents exactly, so the optimum found
must equal the enumerated one up to float summation.
"""

from __future__ import annotations

import dataclasses
import itertools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from matching.decomposition import option_components, solve_decomposed
from matching.options import OptionGraph
from matching.policy import InfeasiblePolicyError, MatchingPolicy
from matching.programme import solve_programme
from tests.strategies import programme_instances, programme_policies

TOLERANCE = 1e-5


def feasible_assignments(options: OptionGraph, policy: MatchingPolicy):
    """Every choice of at most one option per seeker meeting openings, seats, budget and floors."""
    per_seeker = [[None, *np.flatnonzero(options.seeker == s)] for s in range(options.n_seekers)]
    budget = policy.training_budget_eur
    for choice in itertools.product(*per_seeker):
        rows = np.array([i for i in choice if i is not None], dtype=np.int64)
        if np.any(np.bincount(options.vacancy[rows], minlength=options.n_vacancies) > options.openings):
            continue
        via = rows[options.training[rows] >= 0]
        if np.any(np.bincount(options.training[via], minlength=options.n_trainings) > options.seats):
            continue
        if budget is not None and options.cost_eur[rows].sum() > budget + 1e-9:
            continue
        floors_met = True
        for g, name in enumerate(options.group_names):
            share = policy.min_group_share.get(name, 0.0)
            if options.group_member[options.seeker[rows], g].sum() < share * len(rows) - 1e-9:
                floors_met = False
        if floors_met:
            yield rows


def brute_force_optimum(options: OptionGraph, policy: MatchingPolicy) -> float:
    return max(float(options.weight[rows].sum()) for rows in feasible_assignments(options, policy))


def floor_is_unreachable(options: OptionGraph, policy: MatchingPolicy) -> bool:
    """A positive floor on a group none of whose members has any option."""
    return any(policy.min_group_share.get(name, 0.0) > 0 and not options.group_member[options.seeker, g].any()
               for g, name in enumerate(options.group_names))


@st.composite
def instances_with_policies(draw):
    options = draw(programme_instances())
    return options, draw(programme_policies(options))


def relabelled(options: OptionGraph, row_order: np.ndarray, seeker_label: np.ndarray) -> OptionGraph:
    """The same problem with option rows reordered and seeker *s* renamed ``seeker_label[s]``."""
    moved = options.take(row_order)
    member = np.empty_like(options.group_member)
    member[seeker_label] = options.group_member
    return dataclasses.replace(moved, seeker=seeker_label[moved.seeker].astype(np.int32), group_member=member)


@given(instances_with_policies())
def test_solution_is_valid_optimal_and_certified(instance):
    options, policy = instance
    if floor_is_unreachable(options, policy):
        return  # covered by test_unreachable_floor_is_reported_exactly_when_only_nobody_can_be_placed
    result = solve_programme(options, policy)
    result.check_validity(policy)
    optimum = brute_force_optimum(options, policy)
    assert result.objective == pytest.approx(optimum, abs=TOLERANCE)
    assert result.bound >= optimum - TOLERANCE
    # The documented contract: OPTIMAL, or FEASIBLE within the policy's relative gap (pricing
    # stops there and CP-SAT is only called for a larger gap, so a weak bound may remain).
    certificate = result.certificate
    assert certificate["status"] in ("OPTIMAL", "FEASIBLE"), certificate
    if certificate["status"] == "FEASIBLE":
        assert certificate["relative_gap"] <= policy.relative_gap, certificate


@given(instances_with_policies())
def test_with_no_gap_tolerance_tiny_instances_are_certified_optimal(instance):
    """relative_gap=0 sends any remaining gap to CP-SAT, which closes it on instances this small."""
    options, policy = instance
    if floor_is_unreachable(options, policy):
        return
    exact = dataclasses.replace(policy, relative_gap=0.0)
    result = solve_programme(options, exact)
    result.check_validity(exact)
    assert result.certificate["status"] == "OPTIMAL", result.certificate
    assert result.objective == pytest.approx(brute_force_optimum(options, exact), abs=TOLERANCE)
    assert result.bound == pytest.approx(result.objective, abs=TOLERANCE)


@given(instances_with_policies())
def test_unreachable_floor_is_reported_exactly_when_only_nobody_can_be_placed(instance):
    options, policy = instance
    if floor_is_unreachable(options, policy):
        with pytest.raises(InfeasiblePolicyError) as raised:
            solve_programme(options, policy)
        assert raised.value.constraint == "min_group_share.g"
        # The error's claim: the only assignment meeting the floor is the empty one.
        assert [len(rows) for rows in feasible_assignments(options, policy)] == [0]
    else:
        solve_programme(options, policy).check_validity(policy)


@given(instances_with_policies())
def test_decomposed_solve_reaches_the_same_objective(instance):
    options, policy = instance
    if floor_is_unreachable(options, policy):
        return
    whole = solve_programme(options, policy)
    parts = solve_decomposed(options, policy)
    parts.check_validity(policy)
    assert parts.objective == pytest.approx(whole.objective, abs=TOLERANCE)


@given(instances_with_policies(), st.randoms(use_true_random=False))
def test_objective_does_not_depend_on_option_order_or_seeker_labels(instance, random):
    options, policy = instance
    if floor_is_unreachable(options, policy):
        return
    row_order = np.array(random.sample(range(options.n_options), options.n_options), dtype=np.int64)
    seeker_label = np.array(random.sample(range(options.n_seekers), options.n_seekers), dtype=np.int64)
    shuffled = relabelled(options, row_order, seeker_label)
    result = solve_programme(shuffled, policy)
    result.check_validity(policy)
    assert result.objective == pytest.approx(solve_programme(options, policy).objective, abs=TOLERANCE)


@given(programme_instances(max_seekers=5, max_vacancies=3, max_trainings=0))
def test_without_policy_or_pathways_the_flow_is_exact(options):
    """No seats, budget or floors: the relaxation is the problem, solved by min-cost flow alone."""
    result = solve_programme(options)
    result.check_validity(MatchingPolicy())
    assert result.certificate["method"].startswith("min-cost flow")
    assert result.certificate["status"] == "OPTIMAL"
    assert result.bound == pytest.approx(result.objective, abs=TOLERANCE)
    assert result.objective == pytest.approx(brute_force_optimum(options, MatchingPolicy()), abs=TOLERANCE)


@given(programme_instances())
def test_ample_seats_leave_the_relaxation_feasible_and_exact(options):
    """With a seat for every seeker on every training the side constraints cannot bind."""
    roomy = dataclasses.replace(options, seats=np.full(options.n_trainings, options.n_seekers, dtype=np.int64))
    result = solve_programme(roomy)
    assert result.certificate["method"].startswith("min-cost flow")
    assert result.objective == pytest.approx(brute_force_optimum(roomy, MatchingPolicy()), abs=TOLERANCE)
    n_parts, _ = option_components(roomy)
    assert solve_decomposed(roomy).certificate["parts"] == n_parts


@given(instances_with_policies())
def test_solving_never_mutates_the_option_graph(instance):
    options, policy = instance
    if floor_is_unreachable(options, policy):
        return
    names = ("seeker", "vacancy", "training", "score", "weight", "cost_eur", "openings", "seats", "group_member")
    before = {name: getattr(options, name).copy() for name in names}
    solve_programme(options, dataclasses.replace(policy, relative_gap=0.0))
    solve_decomposed(options, policy)
    for name in names:
        np.testing.assert_array_equal(getattr(options, name), before[name], err_msg=name)
