"""Every instrument: the order events arrive in, and events sent twice, never change a score."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assessment.skillsprint import BATTERY, instrument

INSTRUMENT_IDS = [name for name, _, _ in BATTERY]


def _played(instrument_id: str, seed: int, n: int = 6) -> pd.DataFrame:
    inst = instrument(instrument_id)
    rng = np.random.default_rng(seed)
    return inst.simulate(rng.normal(size=(n, len(inst.scales))), rng)


@pytest.mark.parametrize("instrument_id", INSTRUMENT_IDS)
@settings(max_examples=15)
@given(seed=st.integers(0, 2**16), shuffle_seed=st.integers(0, 2**16), repeat_share=st.floats(0.0, 0.5))
def test_shuffled_and_repeated_events_score_the_same(instrument_id, seed, shuffle_seed, repeat_share):
    inst = instrument(instrument_id)
    events = _played(instrument_id, seed)
    rng = np.random.default_rng(shuffle_seed)
    repeats = events.sample(frac=repeat_share, random_state=shuffle_seed)
    messy = pd.concat([events, repeats]).iloc[rng.permutation(len(events) + len(repeats))]
    expected = inst.score(events)
    got = inst.score(messy)
    pd.testing.assert_frame_equal(got.raw.sort_index(), expected.raw.sort_index())
    pd.testing.assert_series_equal(got.completion.sort_index(), expected.completion.sort_index())


@pytest.mark.parametrize("instrument_id", INSTRUMENT_IDS)
@settings(max_examples=10)
@given(seed=st.integers(0, 2**16), keep=st.floats(0.05, 1.0))
def test_any_prefix_of_play_scores_finite_and_within_completion(instrument_id, seed, keep):
    inst = instrument(instrument_id)
    events = _played(instrument_id, seed)
    prefix = events[events["trial"] < max(1, int(keep * inst.n_trials))]
    scores = inst.score(prefix)
    assert np.isfinite(scores.raw[inst.scale_ids].to_numpy(dtype=float)).all()
    assert ((scores.completion >= 0) & (scores.completion <= 1)).all()
