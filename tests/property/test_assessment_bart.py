"""Balloon pumping: prudence stays in 0..1, and collecting a balloon earlier never lowers it."""

from __future__ import annotations

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from assessment.bart import MAX_BURST, BalloonRisk

balloon = st.tuples(st.integers(0, MAX_BURST), st.booleans()).map(lambda b: (max(b[0], 1), True) if b[1] else b)
balloons = st.lists(balloon, min_size=1, max_size=30)


def prudence(played: list[tuple[int, bool]]) -> float:
    events = pd.DataFrame({"session_id": 0, "event_id": range(len(played)), "trial": range(len(played)),
                           "t_ms": [8000.0 * i for i in range(len(played))],
                           "pumps": [p for p, _ in played], "exploded": [e for _, e in played],
                           "pump_ms": 300.0, "cash_ms": 600.0})
    return BalloonRisk().raw_scores(events)["bart.prudence"].iloc[0]


@given(balloons)
def test_prudence_stays_between_zero_and_one(played):
    assert 0.0 <= prudence(played) <= 1.0


@given(balloons, st.data())
def test_collecting_a_balloon_earlier_never_lowers_prudence(played, data):
    which = data.draw(st.integers(0, len(played) - 1))
    pumps, _ = played[which]
    earlier = data.draw(st.integers(0, pumps))
    # Collecting at `earlier` pumps, whether the balloon had burst or was collected later.
    safer = [*played[:which], (earlier, False), *played[which + 1:]]
    assert prudence(safer) >= prudence(played) - 1e-12


@given(balloons)
def test_fewer_pumps_throughout_never_lower_prudence(played):
    halved = [(pumps // 2, False) for pumps, _ in played]
    assert prudence(halved) >= prudence(played) - 1e-12
