"""Graded response model and scenario test: probabilities are distributions, information is
positive, and a better answer never lowers the trait estimate."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from assessment import irt
from assessment.sjt import BANK, SCALE_IDS, ScenarioTest

SJT = ScenarioTest()

discriminations = st.floats(0.2, 4.0)
locations = st.floats(-3.0, 3.0)
gaps = st.lists(st.floats(0.05, 3.0), min_size=2, max_size=2)


@st.composite
def items(draw, max_items: int = 6):
    """GRM items with four categories: (a, thresholds)."""
    n = draw(st.integers(1, max_items))
    a = np.array([draw(discriminations) for _ in range(n)])
    first = np.array([draw(locations) for _ in range(n)])
    steps = np.array([draw(gaps) for _ in range(n)])
    return a, first[:, None] + np.concatenate([np.zeros((n, 1)), np.cumsum(steps, axis=1)], axis=1)


@given(items(), st.lists(st.floats(-6.0, 6.0), min_size=1, max_size=5))
def test_category_probabilities_are_a_distribution_and_information_is_positive(bank, thetas):
    a, thresholds = bank
    theta = np.array(thetas)
    p = irt.grm_probabilities(theta, a, thresholds)
    assert np.all(p >= 0)
    np.testing.assert_allclose(p.sum(axis=-1), 1.0, atol=1e-12)
    information = irt.item_information(theta, a, thresholds)
    assert np.all(np.isfinite(information)) and np.all(information > 0)


@given(items(), st.data())
def test_a_higher_category_never_lowers_the_eap(bank, data):
    a, thresholds = bank
    n = len(a)
    pattern = np.array(data.draw(st.lists(st.sampled_from([np.nan, 0.0, 1.0, 2.0, 3.0]), min_size=n, max_size=n)))
    item = data.draw(st.integers(0, n - 1))
    low = data.draw(st.integers(0, 2))
    high = data.draw(st.integers(low + 1, 3))
    before, after = pattern.copy(), pattern.copy()
    before[item], after[item] = low, high
    mean, sd = irt.eap(np.stack([before, after]), a, thresholds)
    assert mean[1] >= mean[0] - 1e-12
    assert np.all((sd > 0) & (sd <= 1.0 + 1e-9))


@st.composite
def scenario_logs(draw):
    """One session's answers: distinct bank items with a keyed category each."""
    chosen = draw(st.lists(st.integers(0, len(BANK.ids) - 1), min_size=1, max_size=20, unique=True))
    categories = draw(st.lists(st.integers(0, 3), min_size=len(chosen), max_size=len(chosen)))
    return list(zip(chosen, categories))


def _events(answers, session="s"):
    return [{"session_id": session, "event_id": i, "trial": i, "t_ms": 20_000.0 * i, "item_id": BANK.ids[j],
             "option": int(BANK.option_of[j, k]), "rt_ms": 9000.0} for i, (j, k) in enumerate(answers)]


@given(scenario_logs(), st.data())
def test_a_more_effective_option_never_lowers_the_scale_score(answers, data):
    which = data.draw(st.integers(0, len(answers) - 1))
    item, category = answers[which]
    better = data.draw(st.integers(category, 3))
    improved = list(answers)
    improved[which] = (item, better)
    raw = SJT.raw_scores(SJT.prepare(_events(answers, "before") + _events(improved, "after"))[0])
    scale = SCALE_IDS[BANK.scale[item]]
    assert raw.loc["after", scale] >= raw.loc["before", scale] - 1e-12
    for column in SCALE_IDS:
        assert -4.0 <= raw.loc["before", column] <= 4.0
        assert 0.0 < raw.loc["before", column + ".se"] <= 1.0 + 1e-9
