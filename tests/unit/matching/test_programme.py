"""Programme batches on the small synthetic market: policies are obeyed and every seeker is explained."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from matching import programme
from matching.batch import run_programme
from matching.options import OptionGraph
from matching.policy import MatchingPolicy
from matching.programme import solve_programme
from matching.programme_explanations import SEEKER_OUTCOMES, explain_programme_seekers

BUDGET = 5000.0


def option_triples(options: OptionGraph) -> set[tuple[int, int, int]]:
    return set(zip(options.seeker.tolist(), options.training.tolist(), options.vacancy.tolist()))


@pytest.fixture(scope="module")
def run_with(small_market, taxonomy):
    """Run the programme on the small market (optionally with other training seats); cached per policy."""
    cache = {}

    def run(policy: MatchingPolicy, *, seats=None, groups=None):
        key = (repr(policy), None if seats is None else tuple(seats), groups is not None)
        if key not in cache:
            m = small_market
            trainings = m.trainings if seats is None else dataclasses.replace(m.trainings, seats=np.asarray(seats))
            cache[key] = run_programme(m.seekers, m.vacancies, trainings, taxonomy, policy=policy, groups=groups)
        return cache[key]

    return run


@pytest.fixture(scope="module")
def budget_run(run_with):
    # The tests below need a proven optimum, not one within the default gap tolerance; with
    # profiles scored from simulated play, CP-SAT may need more than the default exact phase.
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(programme, "EXACT_SECONDS", 120.0)
        return run_with(MatchingPolicy(training_budget_eur=BUDGET, relative_gap=0.0))


@pytest.fixture(scope="module")
def scarce_seats_run(run_with, small_market):
    """At most two seats per training and no budget: seats are what binds."""
    return run_with(MatchingPolicy(), seats=np.minimum(small_market.trainings.seats, 2))


# --------------------------------------------------------------------------- budget


def test_a_budget_run_is_valid_and_spends_within_the_budget(budget_run):
    r = budget_run.result
    r.check_validity(budget_run.policy)
    t = r.training_index
    spend = float(np.asarray(budget_run.trainings.cost_eur, dtype=float)[t[t >= 0]].sum())
    assert spend == pytest.approx(r.training_spend())
    assert 0 < spend <= BUDGET
    assert np.all(np.bincount(r.vacancy_index, minlength=budget_run.vacancies.n) <= budget_run.vacancies.openings)
    assert np.unique(r.seeker_index).size == r.n_matched


def test_the_budget_binds_on_this_market(budget_run, run_with):
    unlimited = run_with(MatchingPolicy()).result
    assert unlimited.training_spend() > BUDGET
    assert budget_run.result.objective <= unlimited.objective + 1e-9


# --------------------------------------------------------------------------- explanations


@pytest.mark.parametrize("which", ["budget_run", "scarce_seats_run"])
def test_every_seeker_is_explained_once(request, which):
    run = request.getfixturevalue(which)
    table = explain_programme_seekers(run)
    r = run.result
    assert len(table) == run.seekers.n
    np.testing.assert_array_equal(table["seeker_id"].to_numpy(), np.asarray(run.seekers.ids, dtype=object))
    assert set(table["outcome"].astype(str)) <= set(SEEKER_OUTCOMES)
    assert table["reason"].map(lambda text: isinstance(text, str) and len(text) > 0).all()

    placed = table["outcome"].isin(["placed_direct", "placed_via_training"]).to_numpy()
    via = (table["outcome"] == "placed_via_training").to_numpy()
    assert placed.sum() == r.n_matched and via.sum() == int((r.training_index >= 0).sum())
    assert table.loc[placed, "vacancy_id"].notna().all() and table.loc[~placed, "vacancy_id"].isna().all()
    assert table.loc[via, "training_id"].notna().all() and table.loc[~via, "training_id"].isna().all()
    vacancy_ids = np.asarray(run.vacancies.ids, dtype=object)
    training_ids = np.asarray(run.trainings.ids, dtype=object)
    np.testing.assert_array_equal(table["vacancy_id"].to_numpy()[r.seeker_index], vacancy_ids[r.vacancy_index])
    pathway = r.training_index >= 0
    np.testing.assert_array_equal(table["training_id"].to_numpy()[r.seeker_index[pathway]],
                                  training_ids[r.training_index[pathway]])
    assert (table.loc[~run.seekers.consent_matching, "outcome"] == "no_consent").all()


def free_places(run):
    o, r = run.options, run.result
    return r.vacancy_fill() < o.openings, r.seat_use() < o.seats


def test_seekers_blocked_by_seats_really_had_a_pathway_to_a_free_opening_through_a_full_training(scarce_seats_run):
    run = scarce_seats_run
    o = run.options
    table = explain_programme_seekers(run)
    blocked = np.flatnonzero((table["outcome"] == "blocked_by_seats").to_numpy())
    assert blocked.size > 0, "seats never bind on this market"
    vacancy_free, seat_free = free_places(run)
    for s in blocked:
        mine = np.flatnonzero((o.seeker == s) & (o.training >= 0))
        assert np.any(vacancy_free[o.vacancy[mine]] & ~seat_free[o.training[mine]]), f"seeker {s}"


def test_seekers_blocked_by_budget_really_had_a_pathway_the_budget_left_could_not_pay(budget_run):
    run = budget_run
    o, r = run.options, run.result
    table = explain_programme_seekers(run)
    blocked = np.flatnonzero((table["outcome"] == "blocked_by_budget").to_numpy())
    assert blocked.size > 0, "the budget never binds on this market"
    vacancy_free, seat_free = free_places(run)
    left = BUDGET - r.training_spend()
    for s in blocked:
        mine = np.flatnonzero((o.seeker == s) & (o.training >= 0))
        assert np.any(vacancy_free[o.vacancy[mine]] & seat_free[o.training[mine]] & (o.cost_eur[mine] > left))


@pytest.mark.parametrize("which", ["budget_run", "scarce_seats_run"])
def test_outcompeted_seekers_had_only_full_vacancies(request, which):
    run = request.getfixturevalue(which)
    o = run.options
    table = explain_programme_seekers(run)
    vacancy_free, _ = free_places(run)
    outcompeted = np.flatnonzero((table["outcome"] == "outcompeted").to_numpy())
    assert outcompeted.size > 0
    has_free = np.bincount(o.seeker[vacancy_free[o.vacancy]], minlength=o.n_seekers) > 0
    assert not has_free[outcompeted].any()
    assert np.all(np.bincount(o.seeker, minlength=o.n_seekers)[outcompeted] > 0)


def test_an_optimal_run_without_floors_holds_nobody_back(budget_run):
    """Without floors, an unplaced seeker with a free direct option (or a free, affordable pathway)
    would raise the objective: an optimal assignment has none."""
    assert budget_run.result.certificate["status"] == "OPTIMAL"
    table = explain_programme_seekers(budget_run)
    assert not (table["outcome"] == "held_back_by_policy").any()


# --------------------------------------------------------------------------- policy switches


def test_without_pathways_nobody_is_placed_through_training_and_the_objective_cannot_rise(run_with):
    with_pathways = run_with(MatchingPolicy()).result
    direct_only = run_with(MatchingPolicy(allow_pathways=False))
    r = direct_only.result
    r.check_validity(direct_only.policy)
    assert direct_only.options.n_options > 0 and not direct_only.options.is_pathway.any()
    assert r.n_matched > 0 and not np.any(r.training_index >= 0) and r.training_spend() == 0
    assert (with_pathways.training_index >= 0).any()
    assert r.objective <= with_pathways.objective + 1e-9
    # the direct options are the same either way
    direct_before = with_pathways.options.take(~with_pathways.options.is_pathway)
    assert option_triples(direct_only.options) == option_triples(direct_before)


def test_min_fit_drops_exactly_the_options_below_it(run_with):
    base = run_with(MatchingPolicy()).options
    strict = run_with(MatchingPolicy(min_fit=0.3))
    o = strict.options
    strict.result.check_validity(strict.policy)
    assert o.n_options > 0 and np.all(o.score >= 0.3)
    assert np.any(base.score < 0.3), "min_fit drops nothing"
    assert option_triples(o) == option_triples(base.take(base.score >= 0.3))
    assert np.all(strict.result.score >= 0.3)


def test_the_travel_cap_holds_for_every_option_and_placement(run_with):
    cap = 15.0
    uncapped = run_with(MatchingPolicy()).options
    capped = run_with(MatchingPolicy(max_travel_km=cap))
    capped.result.check_validity(capped.policy)
    assert np.any(uncapped.distance_km > cap), "the cap binds nothing"
    assert capped.result.n_matched > 0
    assert np.all(capped.options.distance_km[capped.result.chosen] <= cap)
    assert np.all(capped.options.distance_km <= cap)


def test_a_group_floor_is_met(run_with, small_market):
    policy = MatchingPolicy(min_group_share={"long_term_unemployed": 0.3}, training_budget_eur=BUDGET,
                            time_limit_seconds=20)
    base = run_with(MatchingPolicy(training_budget_eur=BUDGET)).result
    groups = small_market.groups
    run = run_with(policy, groups=groups)
    r = run.result
    r.check_validity(policy)
    member = groups["long_term_unemployed"].to_numpy(dtype=bool)
    assert member[base.seeker_index].mean() < 0.3, "the floor binds nothing"
    assert member[r.seeker_index].sum() >= 0.3 * r.n_matched
    assert r.objective <= base.objective + 1e-9


# --------------------------------------------------------------------------- OR-Library


@pytest.mark.external
def test_one_to_one_programme_reaches_the_orlib_optimum_for_assign100(shared_dir):
    """assign100 as an option graph: one opening per vacancy, no trainings.

    Weight ``(M − cost) / scale`` with ``M = max(cost) + 1`` is positive on every edge of the
    complete bipartite graph, so the maximum-weight assignment is perfect and minimises the
    cost. The scale is a power of ten, so weights are exact at the solver's 10⁻⁶ resolution.
    """
    from tests.external.test_orlib import published_optima, read_instance

    n, rows, cols, costs = read_instance(shared_dir / "benchmarks/orlib/assign100.txt")
    big = int(costs.max()) + 1
    scale = 10 ** len(str(big))
    weight = (big - costs) / scale
    assert np.all((weight > 0) & (weight <= 1))
    options = OptionGraph(seeker=rows.astype(np.int32), vacancy=cols.astype(np.int32),
                          training=np.full(len(rows), -1, dtype=np.int32), score=weight, weight=weight,
                          cost_eur=np.zeros(len(rows)), distance_km=np.zeros(len(rows), dtype=np.float32),
                          n_seekers=n, openings=np.ones(n, dtype=np.int64), seats=np.zeros(0, dtype=np.int64),
                          group_member=np.zeros((n, 0), dtype=bool))
    result = solve_programme(options)
    result.check_validity(MatchingPolicy())
    assert result.certificate["status"] == "OPTIMAL"
    assert result.n_matched == n
    assert np.unique(result.vacancy_index).size == n
    total_cost = int(costs[result.chosen].sum())
    assert total_cost == n * big - round(result.objective * scale)
    assert total_cost == published_optima(shared_dir)["assign100"] == 305


def test_parts_solved_in_worker_processes_equal_the_whole(taxonomy, monkeypatch):
    """A national market spread thin falls apart into several parts; solving the large ones
    in worker processes must give exactly the whole-graph optimum."""
    import matching.decomposition as decomposition
    from matching.batch import run_programme
    from matching.decomposition import option_components, solve_decomposed
    from matching.programme import solve_programme
    from matching.synthetic import generate_market

    market = generate_market(n_seekers=400, n_vacancies=120, n_trainings=10, geography="national", seed=8,
                             taxonomy=taxonomy)
    run = run_programme(market.seekers, market.vacancies, market.trainings, taxonomy)
    n_parts, _ = option_components(run.options)
    assert n_parts > 1
    monkeypatch.setattr(decomposition, "PARALLEL_MIN_OPTIONS", 1)
    policy = MatchingPolicy()
    parallel = solve_decomposed(run.options, policy, workers=2)
    whole = solve_programme(run.options, policy)
    parallel.check_validity(policy)
    assert parallel.certificate["parts"] == n_parts
    assert parallel.objective == pytest.approx(whole.objective, abs=1e-5)


# --------------------------------------------------------------------------- regressions found in review


def _three_pathways(costs, weights):
    w = np.asarray(weights, dtype=float)
    return OptionGraph(seeker=np.arange(3, dtype=np.int32), vacancy=np.arange(3, dtype=np.int32),
                       training=np.arange(3, dtype=np.int32), score=w.copy(), weight=w,
                       cost_eur=np.asarray(costs, dtype=float), distance_km=np.zeros(3, np.float32), n_seekers=3,
                       openings=np.ones(3, np.int64), seats=np.ones(3, np.int64), group_member=np.zeros((3, 0), bool))


def test_a_budget_in_cents_is_not_rounded_down_by_the_exact_solver():
    # 1024.09 × 100 is 102408.999… in floating point: the first pathway must still fit.
    options = _three_pathways([1024.09, 600.0, 500.0], [1.0, 0.55, 0.5])
    policy = MatchingPolicy(training_budget_eur=1024.09)
    result = solve_programme(options, policy)
    result.check_validity(policy)
    assert result.objective == pytest.approx(1.0)
    assert result.certificate["bound"] >= 1.0 - 1e-9


def test_a_run_without_any_training_offer_matches_directly_and_explains_everyone(small_market, taxonomy):
    m = small_market
    run = run_programme(m.seekers, m.vacancies, m.trainings.take(np.array([], dtype=np.int64)), taxonomy)
    assert run.result.n_matched > 0 and (run.result.training_index < 0).all()
    explained = explain_programme_seekers(run)
    assert len(explained) == m.seekers.n and explained["reason"].notna().all()


def test_a_vacancy_left_open_because_its_candidate_lacks_a_seat_says_so(small_market, taxonomy):
    from matching.programme_explanations import explain_programme_vacancies

    m = small_market
    # One seat per training: most pathway candidates find their training full.
    trainings = dataclasses.replace(m.trainings, seats=np.ones(m.trainings.n, dtype=np.int32))
    run = run_programme(m.seekers, m.vacancies, trainings, taxonomy)
    o, r = run.options, run.result
    explained = explain_programme_vacancies(run)
    flagged = np.flatnonzero(explained["reason"].str.contains("seats are taken").to_numpy())
    assert flagged.size > 0
    unplaced = np.ones(o.n_seekers, dtype=bool)
    unplaced[r.seeker_index] = False
    full_training = r.seat_use() >= o.seats
    for v in flagged:
        assert r.vacancy_fill()[v] < o.openings[v]
        waiting = (o.vacancy == v) & unplaced[o.seeker] & (o.training >= 0)
        assert full_training[o.training[waiting]].any()
