"""Balloon pumping: hand-made logs with known scores, bad events, careless play, and recovery."""

from __future__ import annotations

import numpy as np
import pytest

from assessment.bart import BURST_PENALTY, MAX_EXPOSURE, BalloonRisk
from assessment.errors import AssessmentInputError


def _log(balloons: list[tuple[int, bool]], session="s1", pump_ms=320.0, cash_ms=700.0) -> list[dict]:
    return [{"session_id": session, "event_id": f"e{i}", "trial": i, "t_ms": 9000.0 * i,
             "pumps": pumps, "exploded": exploded, "pump_ms": pump_ms if pumps else None,
             "cash_ms": None if exploded else cash_ms}
            for i, (pumps, exploded) in enumerate(balloons)]


def test_hand_made_log_scores_as_counted():
    # Collected at 10, 20 and 0 pumps; burst at 5 pumps, which adds the burst penalty.
    scores = BalloonRisk().score(_log([(10, False), (20, False), (5, True), (0, False)]))
    exposure = (10 + 20 + (5 + BURST_PENALTY) + 0) / 4
    assert BURST_PENALTY == 16 and MAX_EXPOSURE == 80
    assert scores.raw.loc["s1", "bart.prudence"] == pytest.approx(1 - exposure / 80)
    assert scores.completion.loc["s1"] == pytest.approx(4 / BalloonRisk.n_trials)
    assert scores.flags.loc["s1", "incomplete"] and scores.flags.loc["s1", "too_short"]


def test_collecting_a_balloon_before_it_bursts_scores_more_prudent():
    # The adjusted average pumps would call the second log riskier (it adds a 30-pump
    # collect to the average); prudence does not.
    burst = BalloonRisk().score(_log([(10, False), (40, True)])).raw.loc["s1", "bart.prudence"]
    collected = BalloonRisk().score(_log([(10, False), (30, False)])).raw.loc["s1", "bart.prudence"]
    assert collected > burst


def test_a_bad_event_is_named_by_id_and_field():
    log = _log([(10, False), (70, True)])
    with pytest.raises(AssessmentInputError, match=r"bart event 'e1', field 'pumps': 70 is above the maximum 64"):
        BalloonRisk().score(log)
    log = _log([(10, False), (12, False)])
    log[0]["exploded"] = "maybe"
    with pytest.raises(AssessmentInputError, match=r"bart event 'e0', field 'exploded': 'maybe' is not true or false"):
        BalloonRisk().score(log)


def test_careless_play_is_flagged():
    inst = BalloonRisk()
    masher = _log([(b, True) for b in range(3, 33)], session="masher", pump_ms=95.0)
    grabber = _log([(0, False)] * 30, session="grabber", cash_ms=110.0)
    careful = _log([(12, False), (8, True)] * 15, session="careful")
    flags = inst.score(masher + grabber + careful).flags
    assert flags.loc["masher", ["too_fast", "patterned"]].all()
    assert flags.loc["grabber", ["too_fast", "patterned"]].all()
    assert not flags.loc["careful", ["too_fast", "patterned"]].any()


def test_simulated_careless_sessions_are_flagged():
    rng = np.random.default_rng(3)
    careless = np.arange(40) >= 20
    flags = BalloonRisk().score(BalloonRisk().simulate(rng.normal(size=(40, 1)), rng, careless=careless)).flags
    doubtful = (flags["too_fast"] | flags["patterned"]).to_numpy()
    assert doubtful[careless].all() and not doubtful[~careless].any()


def test_scores_recover_the_simulated_trait():
    rng = np.random.default_rng(5)
    theta = rng.normal(size=(400, 1))
    raw = BalloonRisk().score(BalloonRisk().simulate(theta, rng)).raw
    assert np.corrcoef(theta[:, 0], raw["bart.prudence"])[0, 1] > 0.9
