"""Work-style questionnaire: scores stay on the answer scale, agreeing in the keyed direction
never lowers a scale, and reverse keying cancels the pull of agreeing with everything."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from assessment.questionnaire import ITEM_IDS, ITEMS, WorkStyleQuestionnaire, inconsistency_index

QUESTIONNAIRE = WorkStyleQuestionnaire()
REVERSE = dict(zip(ITEMS["item_id"], ITEMS["reverse"]))
SCALE = dict(zip(ITEMS["item_id"], "questionnaire." + ITEMS["scale"]))

answer_sets = st.dictionaries(st.sampled_from(ITEM_IDS), st.integers(1, 5), min_size=1)


def _events(answers: dict[str, int]):
    log = [{"session_id": 0, "event_id": ITEM_IDS.index(item), "trial": ITEM_IDS.index(item),
            "t_ms": 4000.0 * ITEM_IDS.index(item), "item_id": item, "answer": answer, "rt_ms": 3000.0}
           for item, answer in answers.items()]
    return QUESTIONNAIRE.prepare(log)[0]


def _scores(answers: dict[str, int]):
    return QUESTIONNAIRE.raw_scores(_events(answers)).loc[0]


@given(answers=answer_sets)
def test_scores_and_inconsistency_stay_in_range(answers):
    scores = _scores(answers)
    assert ((scores >= 1.0) & (scores <= 5.0)).all()
    index = inconsistency_index(_events(answers)).loc[0]
    assert np.isnan(index) or 0.0 <= index <= 4.0


@given(answers=answer_sets, data=st.data())
def test_agreeing_more_in_the_keyed_direction_never_lowers_the_scale(answers, data):
    item = data.draw(st.sampled_from(sorted(answers)))
    stronger = dict(answers)
    step = -1 if REVERSE[item] else 1
    stronger[item] = int(np.clip(answers[item] + step, 1, 5))
    before, after = _scores(answers), _scores(stronger)
    assert after[SCALE[item]] >= before[SCALE[item]]
    others = [s for s in before.index if s != SCALE[item]]
    assert (after[others] == before[others]).all()


@given(answers=st.dictionaries(st.sampled_from(ITEM_IDS), st.integers(1, 4), min_size=1))
def test_agreeing_with_everything_moves_a_scale_only_by_its_key_imbalance(answers):
    # One step more agreement on every statement: positive items gain a point, reversed
    # ones lose one, so a scale moves by (positive - reversed) / answered, never by a full point.
    before, after = _scores(answers), _scores({item: a + 1 for item, a in answers.items()})
    for scale in {SCALE[item] for item in answers}:
        mine = [item for item in answers if SCALE[item] == scale]
        balance = sum(-1 if REVERSE[item] else 1 for item in mine) / len(mine)
        assert after[scale] - before[scale] == pytest.approx(balance)
