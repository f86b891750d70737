from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from matching.assignment import (InvalidAssignmentError, Outcome, max_weight_assignment, scale_scores,
                                 solve_assignment)
from tests.strategies import graph_from


def worked_example():
    # Three seekers, two vacancies; vacancy 0 has one opening, vacancy 1 has one.
    # Greedy by score would give seeker 0 → vacancy 0 (0.9) and then seeker 1 nothing
    # (0.8 only at vacancy 0) → total 0.9 + 0.3 (seeker 2 → vacancy 1) = 1.2.
    # The optimum sends seeker 0 to vacancy 1 (0.7) and seeker 1 to vacancy 0 (0.8): 1.5.
    seeker = np.array([0, 0, 1, 2], dtype=np.int32)
    vacancy = np.array([0, 1, 0, 1], dtype=np.int32)
    score = np.array([0.9, 0.7, 0.8, 0.3], dtype=np.float32)
    return graph_from(3, 2, seeker, vacancy, score), np.array([1, 1])


def test_optimal_assignment_beats_greedy_on_the_worked_example():
    graph, capacity = worked_example()
    result = solve_assignment(graph, capacity)
    assert result.objective == pytest.approx(1.5, abs=1e-6)
    assert dict(zip(result.seeker_index.tolist(), result.vacancy_index.tolist())) == {0: 1, 1: 0}
    assert result.outcome.tolist() == [Outcome.MATCHED, Outcome.MATCHED, Outcome.OUTCOMPETED]
    assert result.certificate["status"] == "OPTIMAL"
    result.check_validity(graph)


def test_seekers_without_candidates_or_consent_get_their_own_outcome():
    graph = graph_from(3, 1, np.array([0], dtype=np.int32), np.array([0], dtype=np.int32),
                       np.array([0.5], dtype=np.float32))
    result = solve_assignment(graph, np.array([1]), consent=np.array([True, True, False]))
    assert result.outcome.tolist() == [Outcome.MATCHED, Outcome.NO_CANDIDATES, Outcome.NO_CONSENT]


def test_zero_capacity_vacancy_is_never_filled():
    graph = graph_from(2, 1, np.array([0, 1], dtype=np.int32), np.array([0, 0], dtype=np.int32),
                       np.array([0.9, 0.8], dtype=np.float32))
    result = solve_assignment(graph, np.array([0]))
    assert result.n_matched == 0


def test_scores_outside_unit_interval_are_refused():
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        scale_scores(np.array([0.5, 1.2]))
    with pytest.raises(ValueError, match="finite"):
        scale_scores(np.array([np.nan]))


def test_scaling_keeps_small_scores_distinct():
    # Regression guard: OR-Tools truncates float costs, so unscaled scores would all be 0.
    assert scale_scores(np.array([0.000004, 0.000006])).tolist() == [4, 6]


def test_duplicate_pairs_are_refused():
    graph = graph_from(1, 1, np.array([0, 0], dtype=np.int32), np.array([0, 0], dtype=np.int32),
                       np.array([0.5, 0.4], dtype=np.float32))
    with pytest.raises(ValueError, match="twice"):
        solve_assignment(graph, np.array([1]))


def test_capacity_shape_is_checked():
    graph, _ = worked_example()
    with pytest.raises(ValueError, match="capacity must have shape"):
        solve_assignment(graph, np.array([1, 1, 1]))


def test_validity_check_catches_an_over_full_vacancy():
    graph, capacity = worked_example()
    result = solve_assignment(graph, capacity)
    broken = dataclasses.replace(result, seeker_index=np.array([0, 1]), vacancy_index=np.array([0, 0]))
    with pytest.raises(InvalidAssignmentError, match="more placements than openings"):
        broken.check_validity()


def test_validity_check_catches_a_missed_free_opening():
    graph, capacity = worked_example()
    result = solve_assignment(graph, capacity)
    keep = result.seeker_index != 1
    outcome = result.outcome.copy()
    outcome[1] = Outcome.OUTCOMPETED
    broken = dataclasses.replace(result, seeker_index=result.seeker_index[keep],
                                 vacancy_index=result.vacancy_index[keep], score=result.score[keep],
                                 objective=float(result.score[keep].sum()), outcome=outcome)
    with pytest.raises(InvalidAssignmentError, match="free opening"):
        broken.check_validity(graph)


def test_empty_graph_solves_to_nothing():
    graph = graph_from(2, 2, np.empty(0, dtype=np.int32), np.empty(0, dtype=np.int32), np.empty(0, dtype=np.float32))
    result = solve_assignment(graph, np.array([1, 1]))
    assert result.n_matched == 0 and result.objective == 0.0
    assert (result.outcome == Outcome.NO_CANDIDATES).all()


def test_low_level_solver_reports_chosen_edges():
    chosen, total, status = max_weight_assignment([0, 1], [0, 0], np.array([5, 7]), np.array([1]), 2)
    assert chosen.tolist() == [False, True] and total == 7 and status == "OPTIMAL"
