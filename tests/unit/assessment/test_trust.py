"""Trust game: hand-made logs with known scores, bad events, careless play, and recovery."""

from __future__ import annotations

import numpy as np
import pytest

from assessment.errors import AssessmentInputError
from assessment.trust import TrustGame


def _log(rounds: list[tuple[str, int | None, int, int]], session="s1", rt_ms=2100.0) -> list[dict]:
    return [{"session_id": session, "event_id": f"e{i}", "trial": i, "t_ms": 7000.0 * i, "partner": partner,
             "promised_pct": promised, "received": received, "returned": returned, "rt_ms": rt_ms}
            for i, (partner, promised, received, returned) in enumerate(rounds)]


def test_hand_made_log_scores_as_counted():
    rounds = [("generous", 50, 30, 15),     # half back, promise kept: 1/2
              ("generous", None, 27, 27),   # everything back, capped at the fair two thirds
              ("cautious", 50, 3, 0),       # nothing back, half promised: 0 - 1/2
              ("reciprocal", 30, 15, 5)]    # a third back, promise of 30 % kept: 1/3
    scores = TrustGame().score(_log(rounds))
    generous, cautious, reciprocal = (1 / 2 + 2 / 3) / 2, 0 - 1 / 2, 1 / 3
    assert scores.raw.loc["s1", "trust.reciprocity"] == pytest.approx((generous + cautious + reciprocal) / 3)
    assert scores.completion.loc["s1"] == pytest.approx(4 / TrustGame.n_trials)
    assert scores.flags.loc["s1", "incomplete"] and scores.flags.loc["s1", "too_short"]


def test_each_kind_of_partner_weighs_the_same_however_often_it_came():
    # Three generous rounds at a half and one cautious round at nothing: (1/2 + 0) / 2.
    rounds = [("generous", None, 30, 15)] * 3 + [("cautious", None, 6, 0)]
    assert TrustGame().score(_log(rounds)).raw.loc["s1", "trust.reciprocity"] == pytest.approx(0.25)


def test_a_bad_event_is_named_by_id_and_field():
    log = _log([("generous", 50, 30, 15), ("generous", 50, 30, 15)])
    log[1]["partner"] = "friendly"
    with pytest.raises(AssessmentInputError, match=r"trust event 'e1', field 'partner': 'friendly' is not one of"):
        TrustGame().score(log)
    log = _log([("cautious", 50, 6, -1)])
    with pytest.raises(AssessmentInputError, match=r"trust event 'e0', field 'returned': -1 is below the minimum 0"):
        TrustGame().score(log)


def test_careless_play_is_flagged():
    received = [30, 3, 18, 27, 6, 12, 24, 9] * 3
    kinds = ["generous", "cautious", "unpredictable", "reciprocal"] * 6
    same_amount = _log([(k, 50, r, 2) for k, r in zip(kinds, received, strict=True)], session="same")
    instant = _log([(k, 50, r, r // 3) for k, r in zip(kinds, received, strict=True)], session="instant", rt_ms=220.0)
    selfish = _log([(k, 0, r, 0) for k, r in zip(kinds, received, strict=True)], session="selfish")
    fair = _log([(k, 40, r, r // 2) for k, r in zip(kinds, received, strict=True)], session="fair")
    flags = TrustGame().score(same_amount + instant + selfish + fair).flags
    assert flags.loc["same", "patterned"] and flags.loc["instant", "too_fast"]
    # Keeping everything is a choice the score reflects, not a sign of inattention.
    assert not flags.loc[["selfish", "fair"], ["too_fast", "patterned"]].to_numpy().any()


def test_simulated_careless_sessions_are_flagged():
    rng = np.random.default_rng(3)
    careless = np.arange(40) >= 20
    flags = TrustGame().score(TrustGame().simulate(rng.normal(size=(40, 1)), rng, careless=careless)).flags
    doubtful = (flags["too_fast"] | flags["patterned"]).to_numpy()
    assert doubtful[careless].all() and not doubtful[~careless].any()


def test_every_kind_of_partner_appears_in_both_halves():
    events = TrustGame().simulate(np.zeros((5, 1)), np.random.default_rng(2))
    counts = events.groupby(["session_id", events["trial"] % 2, "partner"]).size()
    assert (counts == TrustGame.n_trials // 8).all() and len(counts) == 5 * 2 * 4


def test_scores_recover_the_simulated_trait():
    rng = np.random.default_rng(5)
    theta = rng.normal(size=(400, 1))
    raw = TrustGame().score(TrustGame().simulate(theta, rng)).raw
    assert np.corrcoef(theta[:, 0], raw["trust.reciprocity"])[0, 1] > 0.9
