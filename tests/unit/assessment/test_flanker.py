"""Flanker: hand-made logs with known scores, bad events, flags, and recovery at small scale."""

from __future__ import annotations

import math

import numpy as np
import pytest

from assessment.errors import AssessmentInputError
from assessment.flanker import FLOOR_SHARE, PRIOR_RATE, Flanker


def _log(pattern: list[tuple[str, str, float | None]], session="s1") -> list[dict]:
    """Trials as (congruency, outcome, rt): outcome 'right', 'wrong' or 'miss'; arrows point left."""
    return [{"session_id": session, "event_id": f"e{i}", "trial": i, "t_ms": 1400.0 * i,
             "congruency": congruency, "direction": "left", "correct": outcome == "right",
             "responded": outcome != "miss", "rt_ms": rt}
            for i, (congruency, outcome, rt) in enumerate(pattern)]


def test_hand_made_log_scores_as_counted():
    pattern = [("congruent", "right", 500.0), ("congruent", "right", 500.0), ("neutral", "right", 400.0),
               ("congruent", "wrong", 300.0),
               ("incongruent", "right", 625.0), ("incongruent", "right", 625.0), ("incongruent", "miss", None),
               ("incongruent", "right", 100.0)]  # an anticipation: right by luck, so it earns nothing
    scores = Flanker().score(_log(pattern))
    row = scores.raw.loc["s1"]
    floor = FLOOR_SHARE * (2.0 + 2.0 + 2.5 + PRIOR_RATE) / (3 + 1)
    prior = PRIOR_RATE * (1 - FLOOR_SHARE)
    calm = ((2.0 - floor) * 2 + (2.5 - floor) + prior) / (4 + 1)
    conflict = ((1.6 - floor) * 2 + prior) / (4 + 1)
    assert row["flanker.interference_control"] == pytest.approx(conflict / calm)
    # Seven answers given, five of them right and seen (the anticipation is not).
    assert row["flanker.accuracy"] == pytest.approx(math.log(5.5 / 2.5))
    assert scores.completion.loc["s1"] == pytest.approx(8 / Flanker.n_trials)
    assert scores.flags.loc["s1", "too_short"]


def test_a_right_answer_slower_than_the_floor_earns_nothing():
    fast_calm = [("congruent", "right", 250.0)] * 10  # 4 answers a second: the floor is near 2.4
    slow = Flanker().score(_log(fast_calm + [("incongruent", "right", 790.0)])).raw.loc["s1"]
    wrong = Flanker().score(_log(fast_calm + [("incongruent", "wrong", 300.0)])).raw.loc["s1"]
    assert slow["flanker.interference_control"] == pytest.approx(wrong["flanker.interference_control"])


def test_a_bad_event_is_named_by_id_and_field():
    log = _log([("congruent", "right", 450.0), ("incongruent", "right", 520.0)])
    log[1]["direction"] = "up"
    with pytest.raises(AssessmentInputError, match=r"flanker event 'e1', field 'direction': 'up' is not one of"):
        Flanker().score(log)
    log = _log([("congruent", "right", 450.0), ("congruent", "miss", None)])
    log[1]["correct"] = True
    with pytest.raises(AssessmentInputError, match=r"event 'e1', field 'correct': a trial without a response"):
        Flanker().score(log)
    log = _log([("congruent", "right", 450.0)])
    log[0]["rt_ms"] = None
    with pytest.raises(AssessmentInputError, match=r"event 'e0', field 'rt_ms': a response needs its reaction time"):
        Flanker().score(log)
    log = _log([("congruent", "right", 950.0)])
    with pytest.raises(AssessmentInputError, match=r"field 'rt_ms': 950 is above the maximum 800"):
        Flanker().score(log)


def test_careless_play_is_flagged():
    rng = np.random.default_rng(3)
    careless = np.array([False, True, True, True, False, True])
    scores = Flanker().score(Flanker().simulate(np.zeros((6, 2)), rng, careless=careless))
    caught = scores.flags[["too_fast", "patterned", "non_responding"]].any(axis=1)
    assert caught.tolist() == careless.tolist()


def test_pressing_one_key_throughout_is_patterned():
    log = _log([("congruent", "right", 420.0)] * 30)  # every arrow pointed left, every press went left
    assert Flanker().score(log).flags.loc["s1", "patterned"]


def test_scores_recover_the_simulated_traits():
    rng = np.random.default_rng(5)
    theta = rng.normal(size=(400, 2))
    raw = Flanker().score(Flanker().simulate(theta, rng)).raw
    for j, scale in enumerate(Flanker().scale_ids):
        assert np.corrcoef(theta[:, j], raw[scale])[0, 1] > 0.85
