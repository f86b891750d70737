"""Flanker properties: scores stay in range, and doing better on a trial never scores worse.

Interference control is a contrast, so only incongruent trials are improved for it (a
better congruent trial raises the baseline, rightly lowering the share kept); accuracy
counts every answer.
"""

from __future__ import annotations

import math

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from assessment.flanker import DEADLINE_MS, Flanker

FLANKER = Flanker()
INTERFERENCE, ACCURACY = "flanker.interference_control", "flanker.accuracy"

trials = st.lists(
    st.tuples(st.sampled_from(["congruent", "incongruent", "neutral"]), st.sampled_from(["left", "right"]),
              st.sampled_from(["right", "wrong", "miss"]), st.floats(0.0, DEADLINE_MS)),
    min_size=1, max_size=40)


def _frame(rows) -> pd.DataFrame:
    return pd.DataFrame({
        "session_id": 0, "event_id": range(len(rows)), "trial": range(len(rows)),
        "t_ms": [1400.0 * i for i in range(len(rows))],
        "congruency": [r[0] for r in rows], "direction": [r[1] for r in rows],
        "correct": [r[2] == "right" for r in rows], "responded": [r[2] != "miss" for r in rows],
        "rt_ms": [None if r[2] == "miss" else r[3] for r in rows]})


def _scores(rows) -> pd.Series:
    return FLANKER.score(_frame(rows)).raw.iloc[0]


@given(trials)
def test_scores_are_finite_and_in_range(rows):
    row = _scores(rows)
    assert math.isfinite(row[INTERFERENCE]) and row[INTERFERENCE] >= 0.0
    answered = sum(r[2] != "miss" for r in rows)
    bound = math.log((answered + 0.5) / 0.5)
    assert -bound - 1e-9 <= row[ACCURACY] <= bound + 1e-9


@given(trials, st.data())
def test_a_better_incongruent_answer_never_lowers_interference_control(rows, data):
    conflict = [i for i, r in enumerate(rows) if r[0] == "incongruent"]
    if not conflict:
        return
    i = data.draw(st.sampled_from(conflict), label="trial")
    kind, direction, outcome, rt = rows[i]
    # A right answer where there was an error, a miss or an anticipation, or the same right answer sooner.
    seen = outcome == "right" and rt >= 150.0
    faster = data.draw(st.floats(150.0, rt if seen else DEADLINE_MS), label="rt")
    better = [*rows[:i], (kind, direction, "right", faster), *rows[i + 1:]]
    assert _scores(better)[INTERFERENCE] >= _scores(rows)[INTERFERENCE] - 1e-12


@given(trials, st.data())
def test_a_right_answer_instead_of_a_wrong_one_never_lowers_accuracy(rows, data):
    wrong = [i for i, r in enumerate(rows) if r[2] != "right"]
    if not wrong:
        return
    i = data.draw(st.sampled_from(wrong), label="trial")
    kind, direction, _, rt = rows[i]
    better = [*rows[:i], (kind, direction, "right", max(rt, 150.0)), *rows[i + 1:]]
    assert _scores(better)[ACCURACY] >= _scores(rows)[ACCURACY] - 1e-12
