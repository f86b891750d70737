"""Tower of London properties: scores stay within 0..1, and better play never scores worse.

Planning rises with a solution in the fewest moves and with more thought before the first
move. Problem solving is read from the problems whose plan broke, so its property stays
among those: fewer extra moves, or solving instead of running out, never lowers it.
"""

from __future__ import annotations

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from assessment.tower import TowerOfLondon, move_limit

TOWER = TowerOfLondon()
PLANNING, SOLVING = "tower.planning", "tower.problem_solving"


@st.composite
def problem(draw):
    minimum = draw(st.integers(2, 6))
    solved = draw(st.booleans())
    used = draw(st.integers(minimum if solved else 0, int(move_limit(minimum))))
    total = draw(st.floats(500.0, 120_000.0))
    first = draw(st.floats(0.0, total)) if used else None
    return minimum, used, solved, first, total


problems = st.lists(problem(), min_size=1, max_size=16)


def _frame(rows) -> pd.DataFrame:
    return pd.DataFrame({
        "session_id": 0, "event_id": range(len(rows)), "trial": range(len(rows)),
        "t_ms": [150_000.0 * i for i in range(len(rows))],
        "min_moves": [r[0] for r in rows], "moves_used": [r[1] for r in rows], "solved": [r[2] for r in rows],
        "first_move_ms": [r[3] for r in rows], "total_ms": [r[4] for r in rows]})


def _scores(rows) -> pd.Series:
    return TOWER.score(_frame(rows)).raw.iloc[0]


@given(problems)
def test_scores_stay_within_zero_and_one(rows):
    row = _scores(rows)
    assert 0.0 <= row[PLANNING] <= 1.0 and 0.0 <= row[SOLVING] <= 1.0


@given(problems, st.data())
def test_a_perfect_solution_or_more_thought_never_lowers_planning(rows, data):
    i = data.draw(st.integers(0, len(rows) - 1), label="problem")
    minimum, used, solved, first, total = rows[i]
    if data.draw(st.booleans(), label="perfect"):
        changed = (minimum, minimum, True, first if first is not None else total / 2, total)
    elif first is not None:
        changed = (minimum, used, solved, data.draw(st.floats(first, total), label="first"), total)
    else:
        return
    better = [*rows[:i], changed, *rows[i + 1:]]
    assert _scores(better)[PLANNING] >= _scores(rows)[PLANNING] - 1e-12


@given(problems, st.data())
def test_recovering_better_from_a_broken_plan_never_lowers_problem_solving(rows, data):
    broken = [i for i, r in enumerate(rows) if not (r[2] and r[1] == r[0])]
    if not broken:
        return
    i = data.draw(st.sampled_from(broken), label="problem")
    minimum, used, solved, first, total = rows[i]
    # Still broken (at least one extra move), but solved, in no more moves than a solved run used.
    most = used if solved else int(move_limit(minimum))
    fewer = data.draw(st.integers(minimum + 1, max(most, minimum + 1)), label="moves")
    better = [*rows[:i], (minimum, fewer, True, first if first is not None else total / 2, total), *rows[i + 1:]]
    assert _scores(better)[SOLVING] >= _scores(rows)[SOLVING] - 1e-12
