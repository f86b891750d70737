"""N-back: hand-made logs with known scores, bad events, flags, and recovery at small scale."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import norm

from assessment.errors import AssessmentInputError
from assessment.nback import TYPICAL_D_PRIME, NBack


def _log(pattern: list[tuple[int, bool, bool]], session="s1") -> list[dict]:
    """Letters as (load, is_target, responded); blocks follow the changes of load."""
    block, events = 0, []
    for i, (load, target, responded) in enumerate(pattern):
        if i and load != pattern[i - 1][0]:
            block += 1
        events.append({"session_id": session, "event_id": f"e{i}", "trial": i, "t_ms": 2000.0 * i,
                       "block": block, "load": load, "is_target": target, "responded": responded,
                       "rt_ms": 650.0 if responded else None})
    return events


def _d_prime(hits, targets, false_alarms, others) -> float:
    return norm.ppf((hits + 0.5) / (targets + 1)) - norm.ppf((false_alarms + 0.5) / (others + 1))


def test_hand_made_log_scores_as_counted():
    # 1-back: 4 targets, 3 hit; 6 others, 1 false alarm. 2-back: 2 targets, 1 hit; 4 others, none pressed.
    one = [(1, True, True)] * 3 + [(1, True, False)] + [(1, False, True)] + [(1, False, False)] * 5
    two = [(2, True, True), (2, True, False)] + [(2, False, False)] * 4
    scores = NBack().score(_log(one + two))
    one_back, two_back = _d_prime(3, 4, 1, 6), _d_prime(1, 2, 0, 4)
    # The 3-back was not played: it is filled in at the player's mean distance from the typical d'.
    offset = (1 * (one_back - TYPICAL_D_PRIME[1]) + 2 * (two_back - TYPICAL_D_PRIME[2])) / 3
    expected = (1 * one_back + 2 * two_back + 3 * (TYPICAL_D_PRIME[3] + offset)) / 6
    assert scores.raw.loc["s1", "nback.working_memory"] == pytest.approx(expected)
    assert scores.completion.loc["s1"] == pytest.approx(16 / NBack.n_trials)
    assert scores.flags.loc["s1", "too_short"]


def test_a_bad_event_is_named_by_id_and_field():
    log = _log([(1, False, False), (1, True, True)])
    log[1]["load"] = 4
    with pytest.raises(AssessmentInputError, match=r"nback event 'e1', field 'load': 4 is above the maximum 3"):
        NBack().score(log)
    log = _log([(1, False, False), (1, True, True)])
    log[1]["rt_ms"] = None
    with pytest.raises(AssessmentInputError, match=r"event 'e1', field 'rt_ms': a response needs its reaction time"):
        NBack().score(log)
    log = _log([(1, False, False)])
    log[0]["is_target"] = "maybe"
    with pytest.raises(AssessmentInputError, match=r"field 'is_target': 'maybe' is not true or false"):
        NBack().score(log)


def test_careless_play_is_flagged():
    rng = np.random.default_rng(3)
    careless = np.array([False, True, True, True, True, True, True, False])
    scores = NBack().score(NBack().simulate(np.zeros((8, 1)), rng, careless=careless))
    caught = scores.flags[["too_fast", "patterned", "non_responding"]].any(axis=1)
    assert caught.tolist() == careless.tolist()


def test_pressing_on_every_letter_is_patterned_and_scores_at_chance():
    rows = [(load, target, True) for load in (1, 2, 3) for target in [True] * 8 + [False] * 16]
    scores = NBack().score(_log(rows))
    assert scores.flags.loc["s1", "patterned"]
    # Hits and false alarms both at 100 % (corrected): d' is the small-count residue only.
    assert abs(scores.raw.loc["s1", "nback.working_memory"]) < 0.3


def test_scores_recover_the_simulated_trait():
    rng = np.random.default_rng(5)
    theta = rng.normal(size=(400, 1))
    raw = NBack().score(NBack().simulate(theta, rng)).raw
    assert np.corrcoef(theta[:, 0], raw["nback.working_memory"])[0, 1] > 0.85
