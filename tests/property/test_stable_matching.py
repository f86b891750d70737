"""Deferred acceptance finds each side's optimal stable matching: checked against brute force.

Brute force enumerates every assignment of a tiny instance (each seeker takes one of its
edges or none, capacities respected), keeps the stable ones by the textbook definition,
and compares. Larger instances are compared with a plain one-proposal-at-a-time
Gale–Shapley written for clarity, not speed.
"""

from __future__ import annotations

import collections
import itertools

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from matching.assignment import max_weight_assignment, scale_scores
from matching.stable import TwoSidedPreferences, blocking_pairs, deferred_acceptance, is_stable


@st.composite
def hr_instances(draw, max_seekers: int = 6, max_vacancies: int = 4, max_capacity: int = 2):
    """Random hospitals/residents instance with incomplete lists and strict ranks.

    Hypothesis picks how the two sides' lists relate and a seed; the seed fills in sizes,
    capacities, which pairs are acceptable and the lists. (Drawing every coin through
    Hypothesis skews towards closed vacancies and one-seeker markets, where only one stable
    matching exists and the optimality checks have nothing to choose between.)
    Half the time ranks are the raw priorities (strict, with gaps), otherwise positions
    0, 1, … within each list.
    """
    conflict = draw(st.sampled_from(["cyclic", "opposed", "none"]))
    gaps = draw(st.booleans())
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    n_seekers = int(rng.integers(1, max_seekers + 1))
    n_vacancies = int(rng.integers(1, max_vacancies + 1))
    capacity = rng.integers(0, max_capacity + 1, n_vacancies)
    seeker, vacancy = np.nonzero(rng.random((n_seekers, n_vacancies)) < rng.uniform(0.4, 1.0))
    seeker_priority, vacancy_priority = rng.permutation(len(seeker)), rng.permutation(len(seeker))
    # Independent lists rarely admit more than one stable matching; conflicting lists often do.
    if conflict == "opposed":  # what seekers like, vacancies dislike
        vacancy_priority = len(seeker) - 1 - seeker_priority
    elif conflict == "cyclic":  # seeker s prefers vacancies s, s+1, …; vacancy v prefers seekers v+1, v+2, …
        seeker_priority = priorities((vacancy - seeker) % n_vacancies, seeker_priority)
        vacancy_priority = priorities((seeker - vacancy - 1) % n_seekers, vacancy_priority)
    if gaps:
        seeker_rank, vacancy_rank = seeker_priority, vacancy_priority
    else:
        seeker_rank = positions_within(seeker, seeker_priority)
        vacancy_rank = positions_within(vacancy, vacancy_priority)
    return TwoSidedPreferences(seeker=seeker, vacancy=vacancy, seeker_rank=seeker_rank, vacancy_rank=vacancy_rank,
                               capacity=capacity, n_seekers=n_seekers, n_vacancies=n_vacancies)


def priorities(primary, tiebreak):
    """Distinct priorities 0 … n−1 ordering by *primary*, then *tiebreak*."""
    priority = np.empty(len(primary), dtype=np.int64)
    priority[np.lexsort((tiebreak, primary))] = np.arange(len(primary))
    return priority


def positions_within(group, priority):
    return np.array([int(np.sum((group == g) & (priority < p))) for g, p in zip(group, priority)], dtype=np.int64)


# --- brute force -------------------------------------------------------------------------------------


def dense_ranks(prefs):
    """(n_seekers, n_vacancies) rank matrices, +inf where there is no edge."""
    seeker_rank = np.full((prefs.n_seekers, prefs.n_vacancies), np.inf)
    vacancy_rank = np.full((prefs.n_seekers, prefs.n_vacancies), np.inf)
    seeker_rank[prefs.seeker, prefs.vacancy] = prefs.seeker_rank
    vacancy_rank[prefs.seeker, prefs.vacancy] = prefs.vacancy_rank
    return seeker_rank, vacancy_rank


def feasible_assignments(prefs) -> np.ndarray:
    """Every assignment (rows: vacancy per seeker, −1 unmatched) that uses edges and respects capacities."""
    options = [[-1] + prefs.vacancy[prefs.seeker == s].tolist() for s in range(prefs.n_seekers)]
    every = np.array(list(itertools.product(*options)), dtype=np.int64).reshape(-1, prefs.n_seekers)
    fill = (every[:, :, None] == np.arange(prefs.n_vacancies)).sum(axis=1)
    return every[np.all(fill <= prefs.capacity, axis=1)]


def brute_force_blocking(prefs, assignments) -> np.ndarray:
    """bool (n_assignments, n_seekers, n_vacancies): the pair blocks, straight from the definition."""
    seeker_rank, vacancy_rank = dense_ranks(prefs)
    seekers = np.arange(prefs.n_seekers)
    matched = assignments >= 0
    current = np.where(matched, seeker_rank[seekers, np.maximum(assignments, 0)], np.inf)
    at = assignments[:, :, None] == np.arange(prefs.n_vacancies)  # (A, S, V)
    fill = at.sum(axis=1)
    worst = np.where(at, vacancy_rank[None], -np.inf).max(axis=1)  # (A, V)
    seeker_wants = seeker_rank[None] < current[:, :, None]
    vacancy_wants = (fill < prefs.capacity)[:, None, :] | (vacancy_rank[None] < worst[:, None, :])
    return np.isfinite(seeker_rank)[None] & seeker_wants & vacancy_wants


def stable_assignments(prefs) -> np.ndarray:
    every = feasible_assignments(prefs)
    return every[~brute_force_blocking(prefs, every).any(axis=(1, 2))]


def rank_of_partner(prefs, assignment) -> np.ndarray:
    """Each seeker's rank of its vacancy, +inf when unmatched."""
    seeker_rank, _ = dense_ranks(prefs)
    return np.where(assignment >= 0, seeker_rank[np.arange(prefs.n_seekers), np.maximum(assignment, 0)], np.inf)


def sequential_gale_shapley(prefs, proposing: str) -> np.ndarray:
    """One proposal at a time from a queue: the textbook algorithm, for reference."""
    by_seeker = collections.defaultdict(list)
    by_vacancy = collections.defaultdict(list)
    for e in np.argsort(prefs.seeker_rank, kind="stable"):
        by_seeker[prefs.seeker[e]].append(e)
    for e in np.argsort(prefs.vacancy_rank, kind="stable"):
        by_vacancy[prefs.vacancy[e]].append(e)
    result = np.full(prefs.n_seekers, -1)
    if proposing == "seekers":
        next_choice, held = collections.Counter(), collections.defaultdict(list)
        queue = collections.deque(range(prefs.n_seekers))
        while queue:
            s = queue.popleft()
            if next_choice[s] == len(by_seeker[s]):
                continue
            e = by_seeker[s][next_choice[s]]
            next_choice[s] += 1
            v = prefs.vacancy[e]
            held[v] = sorted(held[v] + [e], key=lambda edge: prefs.vacancy_rank[edge])
            if len(held[v]) > prefs.capacity[v]:
                queue.append(prefs.seeker[held[v].pop()])
        for edges in held.values():
            result[prefs.seeker[edges]] = prefs.vacancy[edges]
        return result
    next_offer, holds, taken = collections.Counter(), {}, collections.Counter()
    queue = collections.deque(range(prefs.n_vacancies))
    while queue:
        v = queue.popleft()
        while taken[v] < prefs.capacity[v] and next_offer[v] < len(by_vacancy[v]):
            e = by_vacancy[v][next_offer[v]]
            next_offer[v] += 1
            s = prefs.seeker[e]
            current = holds.get(s)
            if current is None or prefs.seeker_rank[e] < prefs.seeker_rank[current]:
                holds[s] = e
                taken[v] += 1
                if current is not None:
                    taken[prefs.vacancy[current]] -= 1
                    queue.append(prefs.vacancy[current])
    for s, e in holds.items():
        result[s] = prefs.vacancy[e]
    return result


# --- properties --------------------------------------------------------------------------------------


# More examples than elsewhere: only about one instance in twenty has two stable matchings.
@settings(max_examples=300)
@given(hr_instances())
def test_seeker_proposing_is_stable_feasible_and_seeker_optimal(prefs):
    result = deferred_acceptance(prefs, "seekers").vacancy_of_seeker
    fill = np.bincount(result[result >= 0], minlength=prefs.n_vacancies)
    assert np.all(fill <= prefs.capacity)
    assert blocking_pairs(prefs, result).size == 0
    stable = stable_assignments(prefs)
    assert any(np.array_equal(result, other) for other in stable)
    best = np.min([rank_of_partner(prefs, other) for other in stable], axis=0)
    assert np.array_equal(rank_of_partner(prefs, result), best)


@settings(max_examples=300)
@given(hr_instances())
def test_vacancy_proposing_is_stable_and_vacancy_optimal(prefs):
    result = deferred_acceptance(prefs, "vacancies").vacancy_of_seeker
    assert is_stable(prefs, result)
    stable = stable_assignments(prefs)
    assert any(np.array_equal(result, other) for other in stable)
    _, vacancy_rank = dense_ranks(prefs)
    seekers = np.arange(prefs.n_seekers)
    for other in stable:
        # Rural hospitals theorem: the same seekers are matched and each vacancy fills alike ...
        assert np.array_equal(other >= 0, result >= 0)
        for v in range(prefs.n_vacancies):
            mine = np.sort(vacancy_rank[seekers[result == v], v])
            theirs = np.sort(vacancy_rank[seekers[other == v], v])
            assert len(mine) == len(theirs)
            # ... so "weakly preferred" compares the k-th best seeker of each, for every k.
            assert np.all(mine <= theirs)
    # The vacancy-optimal matching is the worst stable one for every seeker.
    worst = np.max([rank_of_partner(prefs, other) for other in stable], axis=0)
    assert np.array_equal(rank_of_partner(prefs, result), worst)


@given(hr_instances(max_seekers=30, max_vacancies=10, max_capacity=3))
def test_rounds_reproduce_the_sequential_algorithm(prefs):
    for side in ("seekers", "vacancies"):
        assert np.array_equal(deferred_acceptance(prefs, side).vacancy_of_seeker,
                              sequential_gale_shapley(prefs, side))


@given(hr_instances(max_seekers=12, max_vacancies=6), st.randoms(use_true_random=False))
def test_edge_order_and_labels_do_not_matter(prefs, random):
    edges = np.array(random.sample(range(prefs.n_edges), prefs.n_edges), dtype=np.int64)
    new_seeker = np.array(random.sample(range(prefs.n_seekers), prefs.n_seekers))  # old label → new label
    new_vacancy = np.array(random.sample(range(prefs.n_vacancies), prefs.n_vacancies))
    capacity = np.empty_like(prefs.capacity)
    capacity[new_vacancy] = prefs.capacity
    relabelled = TwoSidedPreferences(seeker=new_seeker[prefs.seeker[edges]], vacancy=new_vacancy[prefs.vacancy[edges]],
                                     seeker_rank=prefs.seeker_rank[edges], vacancy_rank=prefs.vacancy_rank[edges],
                                     capacity=capacity, n_seekers=prefs.n_seekers, n_vacancies=prefs.n_vacancies)
    for side in ("seekers", "vacancies"):
        original = deferred_acceptance(prefs, side)
        moved = deferred_acceptance(relabelled, side)
        expected = np.full(prefs.n_seekers, -1)
        matched = original.vacancy_of_seeker >= 0
        expected[new_seeker[matched]] = new_vacancy[original.vacancy_of_seeker[matched]]
        assert np.array_equal(moved.vacancy_of_seeker, expected)
        assert np.array_equal(moved.edge_chosen, original.edge_chosen[edges])


@settings(max_examples=100)
@given(hr_instances(), st.data())
def test_blocking_pairs_of_the_max_fit_assignment_match_the_definition(prefs, data):
    fit = np.array(data.draw(st.lists(st.integers(0, 1000), min_size=prefs.n_edges, max_size=prefs.n_edges)),
                   dtype=np.int64) / 1000
    chosen, _, _ = max_weight_assignment(prefs.seeker, prefs.vacancy, scale_scores(fit), prefs.capacity,
                                         prefs.n_seekers)
    optimal = np.full(prefs.n_seekers, -1)
    optimal[prefs.seeker[chosen]] = prefs.vacancy[chosen]
    expected = brute_force_blocking(prefs, optimal[None])[0]
    found = blocking_pairs(prefs, optimal)
    assert sorted(zip(prefs.seeker[found].tolist(), prefs.vacancy[found].tolist())) == \
        sorted(zip(*map(np.ndarray.tolist, np.nonzero(expected))))
    assert is_stable(prefs, optimal) == (not expected.any())


@settings(max_examples=100)
@given(hr_instances(max_seekers=5, max_vacancies=3), st.data())
def test_is_stable_agrees_with_brute_force_on_any_feasible_assignment(prefs, data):
    every = feasible_assignments(prefs)
    assignment = every[data.draw(st.integers(0, len(every) - 1))]
    expected = brute_force_blocking(prefs, assignment[None])[0]
    found = blocking_pairs(prefs, assignment)
    assert np.array_equal(np.sort(found), found)
    assert set(zip(prefs.seeker[found].tolist(), prefs.vacancy[found].tolist())) == \
        set(zip(*map(np.ndarray.tolist, np.nonzero(expected))))
