"""N-back properties: the score stays in range, and a right decision never scores worse.

A right decision is a hit where there was a miss, or a held-back press where there was a
false alarm; either moves one load's d' up and leaves the others as they were.
"""

from __future__ import annotations

import math

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st
from scipy.special import ndtri

from assessment.nback import TYPICAL_D_PRIME, NBack

NBACK = NBack()
SCALE = "nback.working_memory"

letters = st.lists(st.tuples(st.integers(1, 3), st.booleans(), st.booleans()), min_size=1, max_size=50)


def _frame(rows) -> pd.DataFrame:
    return pd.DataFrame({
        "session_id": 0, "event_id": range(len(rows)), "trial": range(len(rows)),
        "t_ms": [2000.0 * i for i in range(len(rows))],
        "block": [r[0] - 1 for r in rows], "load": [r[0] for r in rows], "is_target": [r[1] for r in rows],
        "responded": [r[2] for r in rows], "rt_ms": [600.0 if r[2] else None for r in rows]})


def _score(rows) -> float:
    return float(NBACK.score(_frame(rows)).raw.iloc[0][SCALE])


@given(letters)
def test_the_score_is_finite_and_bounded_by_the_counts(rows):
    score = _score(rows)
    # No load's corrected rates can come closer to 0 or 1 than half a letter in all of them;
    # a load filled in from the others moves by no more than their distance from typical.
    extreme = 2 * ndtri(1 - 0.5 / (len(rows) + 1))
    bound = extreme + max(TYPICAL_D_PRIME.values())
    assert math.isfinite(score) and abs(score) <= bound + 1e-9


@given(letters, st.data())
def test_a_right_decision_never_lowers_the_score(rows, data):
    wrong = [i for i, (_, target, responded) in enumerate(rows) if target != responded]
    if not wrong:
        return
    i = data.draw(st.sampled_from(wrong), label="letter")
    load, target, _ = rows[i]
    better = [*rows[:i], (load, target, target), *rows[i + 1:]]
    assert _score(better) >= _score(rows) - 1e-12
