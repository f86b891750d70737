"""Work-style questionnaire: hand-made logs with known scores, bad events, flags, and recovery."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from assessment.errors import AssessmentInputError
from assessment.questionnaire import ITEM_IDS, ITEMS, WorkStyleQuestionnaire, inconsistency_index

QUESTIONNAIRE = WorkStyleQuestionnaire()


def _log(answers: dict[str, int], session="s1", rt_ms=3000.0) -> list[dict]:
    """Events for the given items, shown in the questionnaire's own order."""
    shown = [item for item in ITEM_IDS if item in answers]
    return [{"session_id": session, "event_id": f"e{i}", "trial": ITEM_IDS.index(item), "t_ms": 3500.0 * i,
             "item_id": item, "answer": answers[item], "rt_ms": rt_ms}
            for i, item in enumerate(shown)]


def _alpha(matrix: pd.DataFrame) -> float:
    values = matrix.to_numpy()
    k = values.shape[1]
    return k / (k - 1) * (1 - values.var(axis=0, ddof=1).sum() / values.sum(axis=1).var(ddof=1))


def test_item_bank_is_balanced_and_paired():
    assert len(ITEMS) == 36
    per_scale = ITEMS.groupby("scale")
    assert (per_scale.size() == 6).all() and (per_scale["reverse"].sum() == 2).all()
    pairs = ITEMS.loc[ITEMS["pair_id"] != ""].groupby("pair_id")["reverse"]
    assert len(pairs) == 12 and (pairs.sum() == 1).all()  # one of each pair reverse-keyed
    assert (ITEMS["scale"].to_numpy()[1:] != ITEMS["scale"].to_numpy()[:-1]).all()


def test_hand_made_log_scores_as_counted():
    # dependability: 4, reversed 2 -> 4, and 5; persistence: 3 and reversed 5 -> 1.
    answers = {"dep_on_time": 4, "dep_often_late": 2, "dep_keeps_promises": 5,
               "per_tries_again": 3, "per_stops_when_hard": 5}
    scores = QUESTIONNAIRE.score(_log(answers))
    row = scores.raw.loc["s1"]
    assert row["questionnaire.dependability"] == pytest.approx((4 + 4 + 5) / 3)
    assert row["questionnaire.persistence"] == pytest.approx((3 + 1) / 2)
    assert row["questionnaire.initiative"] == 3.0  # nothing answered: the neutral midpoint
    assert scores.completion.loc["s1"] == pytest.approx(5 / 36)
    assert scores.flags.loc["s1", "incomplete"] and scores.flags.loc["s1", "too_short"]


def test_item_matrix_applies_reverse_keys_and_leaves_gaps():
    events, _ = QUESTIONNAIRE.prepare(_log({"dep_on_time": 4, "dep_often_late": 2}) +
                                      _log({"dep_on_time": 1}, session="s2"))
    matrix = QUESTIONNAIRE.item_matrix(events, "questionnaire.dependability")
    assert list(matrix.columns) == [i for i in ITEM_IDS if i.startswith("dep_")]
    assert matrix.loc["s1", "dep_on_time"] == 4 and matrix.loc["s1", "dep_often_late"] == 4
    assert matrix.loc["s2", "dep_on_time"] == 1 and np.isnan(matrix.loc["s2", "dep_often_late"])


def test_inconsistency_index_by_hand():
    # Pair dep_time: 4 and reversed 2 agree (4, 4). Pair per_hard_task: 5 and reversed 5 clash (5, 1).
    answers = {"dep_on_time": 4, "dep_often_late": 2, "per_keeps_going": 5, "per_stops_when_hard": 5,
               "ini_starts_unasked": 5}  # an unfinished pair does not count
    events, _ = QUESTIONNAIRE.prepare(_log(answers) + _log({"dep_on_time": 3}, session="s2"))
    index = inconsistency_index(events)
    assert index.loc["s1"] == pytest.approx((0 + 4) / 2)
    assert np.isnan(index.loc["s2"])


def test_a_repeated_item_counts_with_its_first_answer():
    log = _log({"dep_on_time": 5})
    log.append({**log[0], "event_id": "again", "trial": 40, "t_ms": 9000.0, "answer": 1})
    assert QUESTIONNAIRE.score(log).raw.loc["s1", "questionnaire.dependability"] == 5.0


def test_a_bad_event_is_named_by_id_and_field():
    log = _log({"dep_on_time": 4, "per_tries_again": 3})
    log[1]["answer"] = 6
    with pytest.raises(AssessmentInputError, match=r"questionnaire event 'e1', field 'answer': 6 is above the maximum 5"):
        QUESTIONNAIRE.score(log)
    log[1]["answer"] = 3
    log[1]["item_id"] = "likes_cake"
    with pytest.raises(AssessmentInputError, match=r"event 'e1', field 'item_id': 'likes_cake' is not one of"):
        QUESTIONNAIRE.score(log)


def test_straight_lining_and_racing_are_flagged():
    all_fours = _log(dict.fromkeys(ITEM_IDS, 4), session="straight")
    racing = _log({item: 1 + i % 5 for i, item in enumerate(ITEM_IDS)}, session="racing", rt_ms=400.0)
    flags = QUESTIONNAIRE.score(all_fours + racing).flags
    assert flags.loc["straight", "patterned"] and not flags.loc["straight", "too_fast"]
    # "4" on a statement and on its reverse keys to 4 and 2: inconsistent on every pair.
    assert flags.loc["straight", "inconsistent"]
    assert flags.loc["racing", "too_fast"] and not flags.loc["racing", "patterned"]


def test_simulated_careless_play_is_caught_and_attentive_play_is_not():
    rng = np.random.default_rng(3)
    careless = np.arange(40) >= 20
    flags = QUESTIONNAIRE.score(QUESTIONNAIRE.simulate(rng.normal(size=(40, 6)), rng, careless=careless)).flags
    doubtful = flags[["too_fast", "patterned", "inconsistent"]].any(axis=1).to_numpy()
    assert doubtful[careless].all() and not doubtful[~careless].any()


def test_scores_recover_the_simulated_traits():
    rng = np.random.default_rng(5)
    theta = rng.normal(size=(400, 6))
    scores = QUESTIONNAIRE.score(QUESTIONNAIRE.simulate(theta, rng))
    for j, scale in enumerate(QUESTIONNAIRE.scale_ids):
        assert np.corrcoef(theta[:, j], scores.raw[scale])[0, 1] > 0.85
        assert _alpha(QUESTIONNAIRE.item_matrix(scores.events, scale)) > 0.8
