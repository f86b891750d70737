"""Norm tables, reliability formulas and the DIF screen on hand-made data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from assessment.dif import mantel_haenszel
from assessment.norms import ScaleNorm, cronbach_alpha, mid_rank_table, spearman_brown, stanine


def test_mid_ranks_share_ties():
    raw, percentile = mid_rank_table(np.array([1.0, 2.0, 2.0, 3.0]))
    assert raw.tolist() == [1.0, 2.0, 3.0]
    assert percentile.tolist() == [0.125, 0.5, 0.875]


def test_percentiles_stay_inside_the_norm_group_bounds():
    norm = ScaleNorm("x", np.array([0.0, 1.0]), np.array([0.25, 0.75]), 0.5, 0.5, 0.8, "split_half", 100)
    assert norm.percentile_of(np.array([-5.0, 0.5, 5.0])).tolist() == [0.25, 0.5, 0.75]
    assert np.isfinite(norm.z_of(np.array([-1e9, 1e9]))).all()


def test_stanines_follow_the_standard_bounds():
    assert stanine(np.array([0.01, 0.04, 0.5, 0.97, 0.999])).tolist() == [1, 2, 5, 9, 9]


def test_reliability_formulas():
    assert spearman_brown(0.5) == pytest.approx(2 / 3)
    items = pd.DataFrame({"a": [1, 2, 3, 4], "b": [1, 2, 3, 4], "c": [1, 2, 3, 4]})
    assert cronbach_alpha(items) == pytest.approx(1.0)
    items["c"] = [4, 3, 2, 1]
    assert cronbach_alpha(items) < 0.5


def _grm_like_items(n, rng, shift_item=None, shift=0.0, focal=None):
    theta = rng.normal(size=n) - 0.5 * focal  # the focal group is weaker: impact, not bias
    difficulties = np.linspace(-1, 1, 8)
    logits = 1.7 * (theta[:, None] - difficulties[None, :])
    if shift_item is not None:
        logits[:, shift_item] -= shift * focal
    answers = (rng.random((n, 8)) < 1 / (1 + np.exp(-logits))).astype(float)
    return pd.DataFrame(answers, columns=[f"i{j}" for j in range(8)])


def test_dif_screen_separates_impact_from_bias():
    rng = np.random.default_rng(4)
    n = 6000
    focal = rng.random(n) < 0.4
    fair = _grm_like_items(n, rng, focal=focal)
    result = mantel_haenszel(fair, {c: "s" for c in fair.columns}, focal)
    assert (result["category"] == "A").all()
    biased = _grm_like_items(n, rng, shift_item=3, shift=1.2, focal=focal)
    result = mantel_haenszel(biased, {c: "s" for c in biased.columns}, focal).set_index("item_id")
    assert result.loc["i3", "category"] == "C" and result.loc["i3", "ets_delta"] < 0
    assert (result.drop(index="i3")["category"] != "C").all()


def test_an_alpha_scale_without_item_scores_is_refused_when_the_class_is_defined():
    from assessment.instrument import Instrument, Scale

    with pytest.raises(TypeError, match="no item_matrix"):
        class Incomplete(Instrument):  # noqa: F841 - defining it is the test
            scales = (Scale("x.y", "x", "x", "x", "alpha"),)
