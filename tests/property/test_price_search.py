"""Side-constraint pricing: the repair can never break seats or budget, the cutting planes
find the minimum of a convex piecewise-linear function, the market prices are LP duals,
and pricing alone (no exact finish) yields a valid answer under a valid bound."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from scipy.optimize import linprog

from matching.price_search import BoxStepCuttingPlanes, market_prices
from matching.programme import solve_programme
from matching.side_constraints import SideConstraints
from tests.property.test_programme_optimality import brute_force_optimum, floor_is_unreachable
from tests.strategies import programme_instances, programme_policies


@st.composite
def repair_cases(draw):
    options = draw(programme_instances(max_seekers=6, max_trainings=3, max_options=16))
    policy = draw(programme_policies(options))
    # Any relaxed answer: at most one option per seeker, seats and budget ignored.
    pick = draw(st.lists(st.booleans(), min_size=options.n_options, max_size=options.n_options))
    rows = np.flatnonzero(pick)
    _, first = np.unique(options.seeker[rows], return_index=True)
    chosen = rows[first]
    price = np.array(draw(st.lists(st.integers(0, 1000), min_size=options.n_vacancies,
                                   max_size=options.n_vacancies))) / 1000.0
    return options, policy, chosen, price


@given(repair_cases())
def test_whatever_the_repair_allows_fits_the_seats_and_the_budget(case):
    """However a re-solve picks among the allowed pathways (one per seeker), no training is
    overfilled and the budget holds: per training at most its seats in (seeker, training)
    combinations, and all allowed combinations together cost at most the budget."""
    options, policy, chosen, vacancy_price = case
    side = SideConstraints(options, policy)
    allowed = side.repair_allowed(chosen, side.base_weight(side.zero_prices().floor), vacancy_price)
    assert np.all(allowed[~side.pathway])
    via = np.flatnonzero(allowed & side.pathway)
    combos, first = np.unique(side.combo[via], return_index=True)
    per_training = np.bincount(options.training[via[first]], minlength=options.n_trainings)
    assert np.all(per_training <= options.seats)
    if policy.training_budget_eur is not None:
        assert options.cost_eur[via[first]].sum() <= policy.training_budget_eur + 1e-9


@st.composite
def piecewise_linear(draw):
    """max_k (a_k·y + b_k) with integer pieces, plus one steep piece per coordinate so the
    minimum over y ≥ 0 is finite and may lie inside."""
    n = draw(st.integers(1, 4))
    k = draw(st.integers(1, 8))
    slopes = np.array(draw(st.lists(st.integers(-5, 5), min_size=n * k, max_size=n * k)), dtype=float).reshape(k, n)
    offsets = np.array(draw(st.lists(st.integers(-5, 5), min_size=k, max_size=k)), dtype=float)
    return np.r_[slopes, 6.0 * np.eye(n)], np.r_[offsets, np.full(n, -10.0)]


@given(piecewise_linear())
def test_cutting_planes_reach_the_minimum_of_a_convex_piecewise_linear_function(function):
    slopes, offsets = function
    n = slopes.shape[1]
    exact = linprog(np.r_[np.zeros(n), 1.0], A_ub=np.c_[slopes, -np.ones(len(offsets))], b_ub=-offsets,
                    bounds=[(0, None)] * n + [(None, None)], method="highs").fun
    planes = BoxStepCuttingPlanes(n, radius=0.5)
    y, best = np.zeros(n), np.inf
    for _ in range(80):
        values = slopes @ y + offsets
        piece = int(np.argmax(values))
        best = min(best, float(values[piece]))
        planes.add(y, float(values[piece]), slopes[piece])
        y = planes.propose()
        assert np.all(y >= 0)
    assert exact - 1e-9 <= best <= exact + 1e-6


def test_fixed_prices_stay_at_zero():
    planes = BoxStepCuttingPlanes(2, fixed=np.array([False, True]), radius=1.0)
    planes.add(np.zeros(2), 10.0, np.array([-1.0, -5.0]))
    proposal = planes.propose()
    assert proposal[1] == 0.0 and proposal[0] > 0.0


@given(repair_cases())
def test_market_prices_are_zero_on_slack_capacity(case):
    """Complementary slackness of the market LP: a training the market cannot fill, or a
    budget it cannot spend, has price zero."""
    options, policy, _, vacancy_price = case
    side = SideConstraints(options, policy)
    base = side.base_weight(side.zero_prices().floor)
    prices = market_prices(side, base, vacancy_price, side.zero_prices().floor)
    assert np.all(prices.seat >= 0) and prices.budget >= 0
    gain = side.pathway_gain(base, vacancy_price, side.fallback(base, vacancy_price), side.via)
    wanting = side.via[gain > 1e-12]
    demand = np.array([np.unique(options.seeker[wanting[options.training[wanting] == t]]).size
                       for t in range(options.n_trainings)], dtype=int)
    assert np.all(prices.seat[demand < options.seats] <= 1e-9)
    if policy.training_budget_eur is not None:
        most = options.cost_eur[wanting].sum()
        if most < policy.training_budget_eur - 1e-9:
            assert prices.budget <= 1e-9


@given(programme_instances(max_seekers=6, max_trainings=3, max_options=14), st.data())
def test_pricing_alone_gives_a_valid_answer_under_a_valid_bound(options, data):
    """Without the exact finish, the answer is still valid, its objective at most the
    optimum, and the certified bound at least the optimum."""
    policy = data.draw(programme_policies(options))
    if floor_is_unreachable(options, policy):
        return
    result = solve_programme(options, policy, exact_option_limit=0)
    result.check_validity(policy)
    optimum = brute_force_optimum(options, policy)
    assert result.objective <= optimum + 1e-9
    assert result.bound >= optimum - 1e-6


@given(programme_instances(max_seekers=6, max_trainings=3, max_options=14), st.integers(0, 2**31 - 1))
def test_the_flow_bound_holds_for_any_vacancy_prices(options, seed):
    """Σ best net option + Σ openings × price never falls below the relaxation's optimum."""
    from matching.programme import WEIGHT_SCALE, _flow_bound, _flow_solve, _PairCollapse

    collapse = _PairCollapse(options)
    chosen = _flow_solve(collapse, options.weight)
    optimum = float(options.weight[chosen].sum())
    exact_price = collapse.assignment.vacancy_price / WEIGHT_SCALE
    assert _flow_bound(collapse, options.weight, exact_price) >= optimum - 1e-9
    assert _flow_bound(collapse, options.weight, exact_price) <= optimum + options.n_seekers / WEIGHT_SCALE
    price = np.random.default_rng(seed).uniform(0, 1, options.n_vacancies)
    assert _flow_bound(collapse, options.weight, price) >= optimum - 1e-9
