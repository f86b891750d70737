from __future__ import annotations

import numpy as np
import pytest

from matching import greedy
from matching.greedy import greedy_assignment, run_greedy


def test_greedy_takes_the_best_edge_first_even_when_that_loses_the_optimum():
    # Seeker 0 takes vacancy 0 (0.9); seeker 1's only edge (0.8) then finds it full and
    # seeker 2 gets vacancy 1 (0.3): total 1.2, whereas the optimum is 0.7 + 0.8 = 1.5.
    seeker = np.array([0, 0, 1, 2])
    vacancy = np.array([0, 1, 0, 1])
    score = np.array([0.9, 0.7, 0.8, 0.3], dtype=np.float32)
    chosen = greedy_assignment(seeker, vacancy, score, np.array([1, 1]), 3)
    assert chosen.tolist() == [True, False, False, True]


def test_equal_scores_go_to_the_lower_seeker_then_the_lower_vacancy():
    # Vacancy 1 (one opening) is wanted by seekers 2 and 1 at 0.5: seeker 1 wins. Seeker 2
    # then ties between vacancies 3 and 2 at 0.5 and takes vacancy 2.
    seeker = np.array([2, 1, 2, 2])
    vacancy = np.array([1, 1, 3, 2])
    score = np.array([0.5, 0.5, 0.5, 0.5])
    chosen = greedy_assignment(seeker, vacancy, score, np.array([0, 1, 1, 1]), 3)
    assert chosen.tolist() == [False, True, False, True]


def test_a_vacancy_takes_its_best_candidates_up_to_its_openings():
    seeker = np.array([0, 1, 2, 3])
    vacancy = np.zeros(4, dtype=np.int64)
    score = np.array([0.2, 0.9, 0.4, 0.7])
    chosen = greedy_assignment(seeker, vacancy, score, np.array([2]), 4)
    assert chosen.tolist() == [False, True, False, True]


def test_vacancies_without_openings_take_nobody():
    chosen = greedy_assignment(np.array([0, 0]), np.array([0, 1]), np.array([0.9, 0.1]), np.array([0, 1]), 1)
    assert chosen.tolist() == [False, True]


def test_negative_and_zero_scores_are_taken_like_any_other():
    # The definition takes every edge it can; -0.0 and 0.0 tie, so the lower seeker wins.
    seeker = np.array([1, 0, 2])
    vacancy = np.array([0, 0, 1])
    score = np.array([-0.0, 0.0, -3.0])
    chosen = greedy_assignment(seeker, vacancy, score, np.array([1, 1]), 3)
    assert chosen.tolist() == [False, True, True]


def test_a_repeated_edge_is_taken_once_at_its_first_copy():
    seeker = np.array([0, 1, 0, 0])
    vacancy = np.array([0, 1, 0, 0])
    score = np.array([0.6, 0.2, 0.6, 0.6])
    chosen = greedy_assignment(seeker, vacancy, score, np.array([3, 1]), 2)
    assert chosen.tolist() == [True, True, False, False]


def test_a_chain_of_displacements_needs_one_round_per_link():
    # Round 1 takes seeker 0 → vacancy 0 (0.9); seeker 1's best (vacancy 0, 0.8) is then
    # full, so round 2 takes seeker 1 → vacancy 1 (0.7); seeker 2 (0.6 at vacancy 1) is left.
    seeker = np.array([0, 1, 1, 2])
    vacancy = np.array([0, 0, 1, 1])
    score = np.array([0.9, 0.8, 0.7, 0.6])
    result = run_greedy(seeker, vacancy, score, np.array([1, 1]), 3)
    assert result.chosen.tolist() == [True, False, True, False]
    assert result.rounds == 2


def test_integer_weights_order_like_the_scores_they_scale():
    seeker = np.array([0, 1, 1])
    vacancy = np.array([0, 0, 1])
    weight = np.array([400_000, 900_000, 100_000], dtype=np.int64)
    assert greedy_assignment(seeker, vacancy, weight, np.array([1, 1]), 2).tolist() == [False, True, False]


def test_no_edges_means_no_rounds():
    result = run_greedy(np.array([], dtype=np.int32), np.array([], dtype=np.int32), np.array([]),
                        np.array([2]), 5)
    assert result.chosen.shape == (0,)
    assert result.rounds == 0


def test_unpacked_ordering_agrees_with_the_packed_keys():
    # The lexsort fallback serves instances too large to pack into one int64 key; force it.
    rng = np.random.default_rng(3)
    seeker, vacancy = rng.integers(0, 30, 200), rng.integers(0, 7, 200)
    descending = rng.integers(0, 5, 200)
    capacity = np.array([1, 0, 2, 1, 3, 1, 2])
    packed = greedy._remaining_edges_by_vacancy(seeker, vacancy, descending, 5, capacity, 30)
    unpacked = greedy._remaining_edges_by_vacancy(seeker, vacancy, descending, 2**63, capacity, 30)
    for a, b in zip(packed, unpacked):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("arguments, name", [
    (([0, 3], [0, 0], [0.5, 0.5], [1], 3), "seeker"),
    (([0, -1], [0, 0], [0.5, 0.5], [1], 3), "seeker"),
    (([0.0, 1.0], [0, 0], [0.5, 0.5], [1], 3), "seeker"),
    (([0, 1], [0, 2], [0.5, 0.5], [1, 1], 2), "vacancy"),
    (([0, 1], [0], [0.5, 0.5], [1], 2), "vacancy"),
    (([0, 1], [0, 0], [0.5], [1], 2), "score"),
    (([0, 1], [0, 0], [0.5, np.nan], [1], 2), "score"),
    (([0, 1], [0, 0], ["a", "b"], [1], 2), "score"),
    (([0, 1], [0, 1], [0.5, 0.5], [1, -1], 2), "capacity"),
    (([0, 1], [0, 0], [0.5, 0.5], [[1]], 2), "capacity"),
    (([0, 1], [0, 0], [0.5, 0.5], [1], -1), "n_seekers"),
    (([0, 1], [0, 0], [0.5, 0.5], [1], 2.0), "n_seekers"),
])
def test_bad_input_is_refused_naming_the_argument(arguments, name):
    seeker, vacancy, score, capacity, n_seekers = arguments
    with pytest.raises(ValueError, match=f"^{name}: "):
        greedy_assignment(np.asarray(seeker), np.asarray(vacancy), np.asarray(score), np.asarray(capacity),
                          n_seekers)


def test_the_error_points_at_the_offending_entry():
    with pytest.raises(ValueError, match=r"^capacity: must not be negative, got -1 at vacancy 2$"):
        greedy_assignment(np.array([0]), np.array([0]), np.array([0.5]), np.array([1, 0, -1]), 1)
