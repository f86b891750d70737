"""Trust game: reciprocity stays in -1..2/3, returning more never lowers it, keeping promises pays."""

from __future__ import annotations

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from assessment.trust import FAIR_SHARE, PARTNERS, TrustGame


@st.composite
def a_round(draw):
    received = 3 * draw(st.integers(1, 10))
    promised = draw(st.none() | st.integers(0, 10).map(lambda p: 10 * p))
    return draw(st.sampled_from(PARTNERS)), promised, received, draw(st.integers(0, received))


rounds = st.lists(a_round(), min_size=1, max_size=24)


def reciprocity(played) -> float:
    events = pd.DataFrame({"session_id": 0, "event_id": range(len(played)), "trial": range(len(played)),
                           "t_ms": [7000.0 * i for i in range(len(played))],
                           "partner": [r[0] for r in played],
                           "promised_pct": pd.array([r[1] for r in played], dtype="Int64"),
                           "received": [r[2] for r in played], "returned": [r[3] for r in played],
                           "rt_ms": 2000.0})
    return TrustGame().raw_scores(TrustGame().schema.validate(events))["trust.reciprocity"].iloc[0]


@given(rounds)
def test_reciprocity_stays_in_its_range(played):
    assert -1.0 <= reciprocity(played) <= FAIR_SHARE + 1e-12


@given(rounds, st.data())
def test_returning_more_never_lowers_reciprocity(played, data):
    which = data.draw(st.integers(0, len(played) - 1))
    partner, promised, received, returned = played[which]
    more = data.draw(st.integers(returned, received))
    generous = [*played[:which], (partner, promised, received, more), *played[which + 1:]]
    assert reciprocity(generous) >= reciprocity(played) - 1e-12


@given(rounds, st.data())
def test_promising_less_than_one_returns_never_lowers_reciprocity(played, data):
    which = data.draw(st.integers(0, len(played) - 1))
    partner, _, received, returned = played[which]
    kept = 10 * data.draw(st.integers(0, (100 * returned // received) // 10))
    honest = [*played[:which], (partner, kept, received, returned), *played[which + 1:]]
    assert reciprocity(honest) >= reciprocity(played) - 1e-12
