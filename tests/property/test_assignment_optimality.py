"""The assignment is valid and optimal: checked against brute force and an independent solver."""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linear_sum_assignment

from matching.assignment import max_weight_assignment, scale_scores, solve_assignment
from tests.strategies import candidate_instances, graph_from


def brute_force_optimum(n_seekers, seeker, vacancy, weight, capacity) -> int:
    options = [[None] + [e for e in range(len(seeker)) if seeker[e] == s] for s in range(n_seekers)]
    best = 0
    for choice in itertools.product(*options):
        edges = [e for e in choice if e is not None]
        fill = np.bincount(vacancy[edges], minlength=len(capacity)) if edges else np.zeros(len(capacity))
        if np.all(fill <= capacity):
            best = max(best, int(sum(max(weight[e], 0) for e in edges)))
    return best


def hungarian_optimum(n_seekers, seeker, vacancy, weight, capacity) -> int:
    """Expand each vacancy into one column per opening; zero columns let seekers stay unmatched."""
    columns = np.repeat(np.arange(len(capacity)), capacity)
    gain = np.zeros((n_seekers, len(columns) + n_seekers), dtype=np.int64)
    for s, v, w in zip(seeker, vacancy, weight):
        gain[s, : len(columns)][columns == v] = max(w, 0)
    rows, cols = linear_sum_assignment(gain, maximize=True)
    return int(gain[rows, cols].sum())


@given(candidate_instances(max_seekers=5, max_vacancies=3, max_capacity=2))
def test_optimum_equals_brute_force_on_tiny_instances(instance):
    n_seekers, _, seeker, vacancy, score, capacity = instance
    weight = scale_scores(score)
    _, total, status = max_weight_assignment(seeker, vacancy, weight, capacity, n_seekers)
    assert status == "OPTIMAL"
    assert total == brute_force_optimum(n_seekers, seeker, vacancy, weight, capacity)


@given(candidate_instances(max_seekers=25, max_vacancies=10, max_capacity=4))
def test_optimum_equals_hungarian_algorithm(instance):
    n_seekers, _, seeker, vacancy, score, capacity = instance
    weight = scale_scores(score)
    _, total, _ = max_weight_assignment(seeker, vacancy, weight, capacity, n_seekers)
    assert total == hungarian_optimum(n_seekers, seeker, vacancy, weight, capacity)


@given(candidate_instances(max_seekers=20, max_vacancies=8))
def test_result_is_valid_and_explains_every_seeker(instance):
    n_seekers, n_vacancies, seeker, vacancy, score, capacity = instance
    graph = graph_from(n_seekers, n_vacancies, seeker, vacancy, score)
    result = solve_assignment(graph, capacity)
    result.check_validity(graph)
    assert len(result.outcome) == n_seekers
    assert np.all(result.vacancy_fill() <= capacity)


@given(candidate_instances(max_seekers=15, max_vacancies=6), st.randoms(use_true_random=False))
def test_objective_does_not_depend_on_input_order(instance, random):
    n_seekers, n_vacancies, seeker, vacancy, score, capacity = instance
    weight = scale_scores(score)
    permutation = np.array(random.sample(range(len(seeker)), len(seeker)), dtype=np.int64)
    _, total, _ = max_weight_assignment(seeker, vacancy, weight, capacity, n_seekers)
    _, shuffled_total, _ = max_weight_assignment(seeker[permutation], vacancy[permutation], weight[permutation],
                                                 capacity, n_seekers)
    assert total == shuffled_total


@settings(max_examples=20)
@given(candidate_instances(max_seekers=10, max_vacancies=5))
def test_solving_never_mutates_its_inputs(instance):
    n_seekers, n_vacancies, seeker, vacancy, score, capacity = instance
    graph = graph_from(n_seekers, n_vacancies, seeker, vacancy, score)
    before = [a.copy() for a in (graph.seeker, graph.vacancy, graph.score, capacity)]
    solve_assignment(graph, capacity)
    for old, new in zip(before, (graph.seeker, graph.vacancy, graph.score, capacity)):
        np.testing.assert_array_equal(old, new)
