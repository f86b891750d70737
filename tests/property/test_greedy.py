"""The vectorised greedy is the sequential greedy: same edges, feasible, at least half the optimum."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from matching.assignment import max_weight_assignment, scale_scores
from matching.greedy import greedy_assignment


def sequential_greedy(seeker, vacancy, score, capacity, n_seekers) -> np.ndarray:
    """The definition, edge by edge: best score first, ties to the lower seeker, vacancy, then edge."""
    walk = sorted(range(len(seeker)), key=lambda e: (-float(score[e]), int(seeker[e]), int(vacancy[e]), e))
    free = [True] * n_seekers
    openings = [int(c) for c in capacity]
    chosen = np.zeros(len(seeker), dtype=bool)
    for e in walk:
        if free[seeker[e]] and openings[vacancy[e]] > 0:
            chosen[e] = True
            free[seeker[e]] = False
            openings[vacancy[e]] -= 1
    return chosen


@st.composite
def greedy_instances(draw, repeated_pairs: bool = True):
    """≤ 8 seekers, ≤ 5 vacancies, capacities 0–3; scores on a coarse grid so ties are common.

    With *repeated_pairs*, a (seeker, vacancy) pair may appear more than once.
    """
    n_seekers = draw(st.integers(1, 8))
    n_vacancies = draw(st.integers(1, 5))
    capacity = np.array(draw(st.lists(st.integers(0, 3), min_size=n_vacancies, max_size=n_vacancies)))
    pair = st.tuples(st.integers(0, n_seekers - 1), st.integers(0, n_vacancies - 1))
    pairs = draw(st.lists(pair, max_size=24, unique=not repeated_pairs))
    levels = draw(st.lists(st.integers(0, 4), min_size=len(pairs), max_size=len(pairs)))
    dtype = draw(st.sampled_from([np.float32, np.float64, np.int64]))
    score = np.array(levels, dtype=np.float64) / 4 if dtype is not np.int64 else np.array(levels) * 250_000
    seeker = np.array([p[0] for p in pairs], dtype=np.int32)
    vacancy = np.array([p[1] for p in pairs], dtype=np.int32)
    return seeker, vacancy, score.astype(dtype), capacity, n_seekers


@settings(max_examples=100)
@given(greedy_instances())
def test_equals_the_sequential_greedy(instance):
    expected = sequential_greedy(*instance)
    np.testing.assert_array_equal(greedy_assignment(*instance), expected)


@settings(max_examples=100)
@given(greedy_instances())
def test_is_feasible_and_maximal(instance):
    seeker, vacancy, score, capacity, n_seekers = instance
    chosen = greedy_assignment(*instance)
    assert np.all(np.bincount(seeker[chosen], minlength=n_seekers) <= 1)
    fill = np.bincount(vacancy[chosen], minlength=len(capacity))
    assert np.all(fill <= capacity)
    # Greedy never leaves an edge whose seeker is free and whose vacancy has room.
    matched = np.zeros(n_seekers, dtype=bool)
    matched[seeker[chosen]] = True
    assert not np.any(~matched[seeker] & (fill[vacancy] < capacity[vacancy]))


@settings(max_examples=100)
@given(greedy_instances(repeated_pairs=False))
def test_reaches_at_least_half_the_optimum(instance):
    seeker, vacancy, score, capacity, n_seekers = instance
    weight = scale_scores(score / score.max()) if score.size and score.max() > 0 else np.zeros(len(score), np.int64)
    chosen = greedy_assignment(seeker, vacancy, weight, capacity, n_seekers)
    _, optimum, _ = max_weight_assignment(seeker, vacancy, weight, capacity, n_seekers)
    assert 2 * int(weight[chosen].sum()) >= optimum


@settings(max_examples=100)
@given(greedy_instances(repeated_pairs=False), st.randoms(use_true_random=False))
def test_does_not_depend_on_the_order_of_the_edges(instance, random):
    seeker, vacancy, score, capacity, n_seekers = instance
    permutation = np.array(random.sample(range(len(seeker)), len(seeker)), dtype=np.int64)
    chosen = greedy_assignment(*instance)
    shuffled = greedy_assignment(seeker[permutation], vacancy[permutation], score[permutation], capacity, n_seekers)
    assert set(zip(seeker[chosen].tolist(), vacancy[chosen].tolist())) == \
        set(zip(seeker[permutation][shuffled].tolist(), vacancy[permutation][shuffled].tolist()))
