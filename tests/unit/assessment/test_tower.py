"""Tower of London: hand-made logs with known scores, inconsistent events, flags, and recovery."""

from __future__ import annotations

import numpy as np
import pytest

from assessment.errors import AssessmentInputError
from assessment.tower import PRIOR_CREDIT, PRIOR_WEIGHT, TowerOfLondon, move_limit


def _log(problems: list[tuple[int, int, bool, float | None, float]], session="s1") -> list[dict]:
    """Problems as (min_moves, moves_used, solved, first_move_ms, total_ms)."""
    return [{"session_id": session, "event_id": f"p{i}", "trial": i, "t_ms": 40_000.0 * i,
             "min_moves": minimum, "moves_used": used, "solved": solved, "first_move_ms": first, "total_ms": total}
            for i, (minimum, used, solved, first, total) in enumerate(problems)]


def test_hand_made_log_scores_as_counted():
    problems = [(2, 2, True, 3000.0, 5000.0),       # perfect, 60 % of the time thinking: full credit
                (4, 6, True, 1000.0, 11000.0),      # two extra moves, thought for 1/11 of the time
                (6, 16, False, 2000.0, 30000.0)]    # ran out of moves
    scores = TowerOfLondon().score(_log(problems))
    row = scores.raw.loc["s1"]
    plan = [(1 + 0.5 * 1.0) / 1.5, (0 + 0.5 * (1 / 11) / 0.5) / 1.5, (0 + 0.5 * (2 / 30) / 0.5) / 1.5]
    assert row["tower.planning"] == pytest.approx((2 * plan[0] + 4 * plan[1] + 6 * plan[2]) / 12)
    # Only the broken plans count: the 4-move problem had 8 moves to spare and used 2, the 6-move one failed.
    solving = (4 * (1 - 2 / 9) + 6 * 0.0 + PRIOR_WEIGHT * PRIOR_CREDIT) / (4 + 6 + PRIOR_WEIGHT)
    assert row["tower.problem_solving"] == pytest.approx(solving)
    assert scores.completion.loc["s1"] == pytest.approx(3 / TowerOfLondon.n_trials)


def test_a_player_whose_plans_never_broke_keeps_the_typical_problem_solving_score():
    scores = TowerOfLondon().score(_log([(3, 3, True, 4000.0, 7000.0), (5, 5, True, 9000.0, 15000.0)]))
    assert scores.raw.loc["s1", "tower.problem_solving"] == pytest.approx(PRIOR_CREDIT)


@pytest.mark.parametrize(("problem", "field", "message"), [
    ((4, 3, True, 1000.0, 5000.0), "moves_used", "a solved problem needs at least its minimum number of moves"),
    ((4, int(move_limit(4)) + 1, False, 1000.0, 5000.0), "moves_used", "more moves than the problem's limit"),
    ((4, 5, True, None, 5000.0), "first_move_ms", "moves were made but the first has no time"),
    ((4, 0, False, 800.0, 5000.0), "first_move_ms", "a first-move time was sent for a problem without moves"),
    ((4, 4, True, 6000.0, 5000.0), "first_move_ms", "the first move comes after the problem ended"),
])
def test_an_inconsistent_problem_is_named_by_event_and_field(problem, field, message):
    log = _log([(2, 2, True, 2000.0, 4000.0), problem])
    with pytest.raises(AssessmentInputError, match=rf"tower event 'p1', field '{field}': {message}"):
        TowerOfLondon().score(log)


def test_a_problem_given_up_without_a_move_is_consistent():
    scores = TowerOfLondon().score(_log([(5, 0, False, None, 60000.0), (2, 2, True, 2000.0, 4000.0)]))
    assert scores.raw.loc["s1", "tower.problem_solving"] == pytest.approx(
        (5 * 0.0 + PRIOR_WEIGHT * PRIOR_CREDIT) / (5 + PRIOR_WEIGHT))


def test_careless_clicking_is_flagged_too_fast():
    rng = np.random.default_rng(3)
    careless = np.array([False, True, False, True])
    scores = TowerOfLondon().score(TowerOfLondon().simulate(np.zeros((4, 2)), rng, careless=careless))
    assert scores.flags["too_fast"].tolist() == careless.tolist()


def test_simulated_problems_are_consistent():
    rng = np.random.default_rng(4)
    events = TowerOfLondon().simulate(rng.normal(size=(300, 2)), rng, careless=rng.random(300) < 0.1)
    TowerOfLondon().schema.validate(events)  # raises on any inconsistency


def test_scores_recover_the_simulated_traits_each_mostly_its_own():
    rng = np.random.default_rng(5)
    theta = rng.normal(size=(500, 2))
    raw = TowerOfLondon().score(TowerOfLondon().simulate(theta, rng)).raw
    for j, scale in enumerate(TowerOfLondon().scale_ids):
        assert np.corrcoef(theta[:, j], raw[scale])[0, 1] > 0.85
        assert abs(np.corrcoef(theta[:, 1 - j], raw[scale])[0, 1]) < 0.2
