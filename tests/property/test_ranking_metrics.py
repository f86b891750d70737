"""Ranking, calibration, inequality and fairness metrics: bounds, invariances and agreement
with scikit-learn on arbitrary populations of ranked lists."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings, strategies as st
from sklearn.metrics import average_precision_score, ndcg_score

from matching.ranking_metrics import (
    average_precision,
    expected_calibration_error,
    exposure_by,
    gini,
    group_rates,
    ndcg_at_k,
    position_weights,
    rank_within,
    recall_at_k,
)


@st.composite
def ranked_lists(draw, max_rows: int = 40, max_groups: int = 6, distinct: bool = True):
    """(group, score, gain) over rows in arbitrary order; gains are small integers so that
    ties between gains are common. With *distinct*, no two rows share a score."""
    n = draw(st.integers(1, max_rows))
    group = np.array(draw(st.lists(st.integers(0, max_groups - 1), min_size=n, max_size=n)))
    if distinct:
        score = np.array(draw(st.permutations(range(n))), dtype=float) / n
    else:
        score = np.array(draw(st.lists(st.integers(0, 4), min_size=n, max_size=n)), dtype=float) / 4
    gain = np.array(draw(st.lists(st.integers(0, 3), min_size=n, max_size=n)), dtype=float)
    return group, score, gain


def shuffled(draw_permutation, *arrays):
    order = np.array(draw_permutation)
    return [a[order] for a in arrays]


@given(ranked_lists(distinct=False))
def test_ranks_are_one_to_size_within_each_group_and_follow_the_score(lists):
    group, score, _ = lists
    rank = rank_within(group, score)
    for g in np.unique(group):
        rows = np.flatnonzero(group == g)
        np.testing.assert_array_equal(np.sort(rank[rows]), np.arange(1, len(rows) + 1))
        by_rank = rows[np.argsort(rank[rows])]
        assert np.all(np.diff(score[by_rank]) <= 0)
        # Among equal scores, earlier rows come first.
        tied = np.diff(score[by_rank]) == 0
        assert np.all(np.diff(by_rank)[tied] > 0)


@given(ranked_lists(distinct=False), st.integers(1, 12))
def test_ndcg_lies_in_unit_interval_and_is_one_when_ranked_by_gain(lists, k):
    group, score, gain = lists
    ndcg = ndcg_at_k(group, score, gain, k=k)
    defined = ~np.isnan(ndcg)
    assert np.all((ndcg[defined] >= 0) & (ndcg[defined] <= 1))
    perfect = ndcg_at_k(group, gain, gain, k=k)
    np.testing.assert_allclose(perfect[~np.isnan(perfect)], 1.0)
    # A group is undefined exactly when it has no gain at all.
    has_gain = np.bincount(group, weights=gain, minlength=len(ndcg)) > 0
    np.testing.assert_array_equal(defined, has_gain)


@given(ranked_lists(), st.integers(1, 12))
def test_ndcg_equals_sklearn_in_every_group(lists, k):
    group, score, gain = lists
    ndcg = ndcg_at_k(group, score, gain, k=k)
    for g in np.unique(group):
        rows = group == g
        if rows.sum() >= 2 and gain[rows].sum() > 0:  # sklearn needs two documents
            expected = ndcg_score([gain[rows]], [score[rows]], k=k, ignore_ties=True)
            np.testing.assert_allclose(ndcg[g], expected, rtol=1e-12)


@given(ranked_lists())
def test_average_precision_equals_sklearn_in_every_group(lists):
    group, score, gain = lists
    relevant = gain >= 2
    ap = average_precision(group, score, relevant)
    for g in np.unique(group):
        rows = group == g
        if relevant[rows].any():
            np.testing.assert_allclose(ap[g], average_precision_score(relevant[rows], score[rows]), rtol=1e-12)
        else:
            assert np.isnan(ap[g])


@given(st.data())
def test_ndcg_and_average_precision_do_not_depend_on_row_order(data):
    group, score, gain = data.draw(ranked_lists())
    permutation = data.draw(st.permutations(range(len(group))))
    group2, score2, gain2 = shuffled(permutation, group, score, gain)
    n_groups = int(group.max()) + 1
    np.testing.assert_allclose(ndcg_at_k(group2, score2, gain2, k=5, n_groups=n_groups),
                               ndcg_at_k(group, score, gain, k=5), rtol=1e-12)
    np.testing.assert_allclose(average_precision(group2, score2, gain2 > 1, n_groups=n_groups),
                               average_precision(group, score, gain > 1), rtol=1e-12)


@given(ranked_lists(distinct=False), st.integers(1, 10))
def test_recall_never_falls_as_k_grows(lists, k):
    group, score, gain = lists
    relevant = gain > 0
    smaller = recall_at_k(group, score, relevant, k=k)
    larger = recall_at_k(group, score, relevant, k=k + 1)
    defined = ~np.isnan(smaller)
    np.testing.assert_array_equal(defined, ~np.isnan(larger))
    assert np.all(larger[defined] >= smaller[defined])
    assert np.all((smaller[defined] >= 0) & (larger[defined] <= 1))


@given(st.lists(st.integers(0, 1000), min_size=1, max_size=50), st.floats(0.01, 100))
def test_gini_lies_in_unit_interval_and_ignores_scale(values, factor):
    values = np.array(values, dtype=float)
    g = gini(values)
    assert 0 <= g < 1
    assert g <= (len(values) - 1) / len(values) + 1e-12
    np.testing.assert_allclose(gini(values * factor), g, atol=1e-12)


@given(st.lists(st.booleans(), min_size=1, max_size=60), st.integers(1, 20),
       st.sampled_from(["uniform", "quantile"]))
def test_ece_of_outcomes_predicted_with_certainty_is_zero(outcomes, n_bins, strategy):
    outcome = np.array(outcomes, dtype=float)
    assert expected_calibration_error(outcome, outcome, n_bins=n_bins, strategy=strategy) == 0.0


@given(st.lists(st.integers(1, 30), min_size=1, max_size=40), st.integers(1, 12))
def test_exposure_sums_to_the_attention_given(ranks, k):
    rank = np.array(ranks)
    target = np.arange(len(rank)) % 3
    total = exposure_by(target, rank, n_targets=3, k=k).sum()
    np.testing.assert_allclose(total, position_weights(rank, k=k).sum())


@st.composite
def populations(draw):
    """Seekers with two group attributes and an integer-valued outcome (so that group means are
    exact whatever the summation order)."""
    n = draw(st.integers(1, 80))
    gender = draw(st.lists(st.sampled_from(["f", "m", "x"]), min_size=n, max_size=n))
    band = draw(st.lists(st.sampled_from(["18-26", "27-49", "50+"]), min_size=n, max_size=n))
    value = np.array(draw(st.lists(st.integers(0, 3), min_size=n, max_size=n)), dtype=float)
    return value, pd.DataFrame({"gender": gender, "band": pd.Categorical(band)})


@settings(max_examples=25)
@given(st.data())
def test_group_rates_do_not_depend_on_row_order(data):
    value, groups = data.draw(populations())
    order = np.array(data.draw(st.permutations(range(len(value)))))
    kwargs = {"n_boot": 40, "min_group_size": 5, "random_state": 7}
    table = group_rates(value, groups, ["gender", "band"], **kwargs)
    reordered = group_rates(value[order], groups.iloc[order].reset_index(drop=True), ["gender", "band"], **kwargs)
    pd.testing.assert_frame_equal(table, reordered)
    # Each attribute's levels together hold every seeker once.
    assert (table.groupby("attribute")["n"].sum() == len(value)).all()
    sized = table[~table["too_small"]]
    assert np.all(sized["ratio"].dropna() <= 1)
