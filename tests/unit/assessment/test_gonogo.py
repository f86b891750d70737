"""Go/no-go: hand-made logs with known scores, bad events, flags, and recovery at small scale."""

from __future__ import annotations

import numpy as np
import pytest

from assessment.errors import AssessmentInputError
from assessment.gonogo import GoNoGo


def _log(pattern: list[tuple[str, bool, float | None]], session="s1") -> list[dict]:
    return [{"session_id": session, "event_id": f"e{i}", "trial": i, "t_ms": 1600.0 * i,
             "stimulus": stimulus, "responded": responded, "rt_ms": rt}
            for i, (stimulus, responded, rt) in enumerate(pattern)]


def test_hand_made_log_scores_as_counted():
    # 4 no-go trials, one pressed; 6 go trials, 4 on time, one too slow, one missed.
    pattern = ([("nogo", False, None)] * 3 + [("nogo", True, 300.0)]
               + [("go", True, 400.0)] * 4 + [("go", True, 800.0), ("go", False, None)])
    scores = GoNoGo().score(_log(pattern))
    row = scores.raw.loc["s1"]
    assert row["gonogo.inhibition"] == pytest.approx((3 + 0.5) / (4 + 1))
    assert row["gonogo.vigilance"] == pytest.approx((4 + 0.5) / (6 + 1))
    assert scores.completion.loc["s1"] == pytest.approx(10 / GoNoGo.n_trials)
    assert scores.flags.loc["s1", "incomplete"] and scores.flags.loc["s1", "too_short"]


def test_a_bad_event_is_named_by_id_and_field():
    log = _log([("go", True, 400.0), ("go", True, 400.0)])
    log[1]["stimulus"] = "blue"
    with pytest.raises(AssessmentInputError, match=r"gonogo event 'e1', field 'stimulus': 'blue' is not one of"):
        GoNoGo().score(log)
    log = _log([("go", True, -3.0)])
    with pytest.raises(AssessmentInputError, match=r"field 'rt_ms': -3 is below the minimum 0"):
        GoNoGo().score(log)


def test_the_same_event_id_with_other_content_is_refused():
    log = _log([("go", True, 400.0)])
    log.append({**log[0], "rt_ms": 410.0})
    with pytest.raises(AssessmentInputError, match="sent twice with different content"):
        GoNoGo().score(log)


def test_careless_pressing_is_flagged_too_fast():
    rng = np.random.default_rng(3)
    careless = np.array([False, True])
    scores = GoNoGo().score(GoNoGo().simulate(np.zeros((2, 2)), rng, careless=careless))
    assert scores.flags["too_fast"].tolist() == [False, True]


def test_scores_recover_the_simulated_traits():
    rng = np.random.default_rng(5)
    theta = rng.normal(size=(600, 2))
    raw = GoNoGo().score(GoNoGo().simulate(theta, rng)).raw
    for j, scale in enumerate(GoNoGo().scale_ids):
        assert np.corrcoef(theta[:, j], raw[scale])[0, 1] > 0.85
