from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import average_precision_score, ndcg_score

from matching.ranking_metrics import (
    average_precision,
    congestion_summary,
    expected_calibration_error,
    exposure_by,
    exposure_ratios,
    gini,
    group_rates,
    ndcg_at_k,
    position_weights,
    rank_within,
    recall_at_k,
    reliability_table,
    selection_rate_ratios,
)

LOG3 = np.log2(3.0)


# --------------------------------------------------------------------------- ranking


def test_ranks_follow_descending_score_within_each_group_in_input_order():
    group = np.array([1, 0, 1, 1, 0])
    score = np.array([0.2, 0.1, 0.9, 0.5, 0.7])
    np.testing.assert_array_equal(rank_within(group, score), [3, 2, 1, 2, 1])


def test_tied_scores_are_ranked_in_input_order():
    group = np.array([0, 0, 0, 1, 0])
    score = np.array([0.5, 0.9, 0.5, 0.5, 0.5])
    np.testing.assert_array_equal(rank_within(group, score), [2, 1, 3, 1, 4])


def test_ranks_of_an_empty_population_are_empty():
    assert rank_within(np.array([], dtype=int), np.array([])).shape == (0,)


def test_ndcg_by_hand():
    # Ranked by score: gains 0, 2, 1. DCG@3 = 2/log2(3) + 1/2; ideal = 2 + 1/log2(3).
    group = np.zeros(3, dtype=int)
    score = np.array([0.9, 0.5, 0.1])
    gain = np.array([0.0, 2.0, 1.0])
    expected = (2 / LOG3 + 0.5) / (2 + 1 / LOG3)
    np.testing.assert_allclose(ndcg_at_k(group, score, gain, k=3), [expected])
    # At k = 1 only the top row counts, and it has no gain.
    np.testing.assert_allclose(ndcg_at_k(group, score, gain, k=1), [0.0])


def test_ndcg_equals_sklearn_for_one_list_with_distinct_scores():
    rng = np.random.default_rng(3)
    score = rng.permutation(25) / 25.0
    gain = rng.integers(0, 4, 25).astype(float)
    for k in (1, 5, 10, 25):
        ours = ndcg_at_k(np.zeros(25, dtype=int), score, gain, k=k)[0]
        assert ours == pytest.approx(ndcg_score([gain], [score], k=k, ignore_ties=True))


def test_ndcg_is_nan_without_gain_or_rows():
    group = np.array([0, 0, 2])
    score = np.array([0.3, 0.2, 0.1])
    gain = np.array([0.0, 0.0, 1.0])
    result = ndcg_at_k(group, score, gain, n_groups=4)
    assert np.isnan(result[0]) and np.isnan(result[1]) and np.isnan(result[3])
    assert result[2] == 1.0


def test_recall_by_hand():
    group = np.array([0, 0, 0, 0, 1, 1])
    score = np.array([0.9, 0.8, 0.7, 0.6, 0.5, 0.4])
    relevant = np.array([True, False, True, True, False, False])
    np.testing.assert_allclose(recall_at_k(group, score, relevant, k=2), [1 / 3, np.nan])
    np.testing.assert_allclose(recall_at_k(group, score, relevant, k=3), [2 / 3, np.nan])


def test_average_precision_by_hand():
    # Relevant at ranks 1, 3 and 4: (1/1 + 2/3 + 3/4) / 3.
    group = np.array([0, 0, 0, 0, 1])
    score = np.array([0.9, 0.8, 0.7, 0.6, 0.5])
    relevant = np.array([1, 0, 1, 1, 0])
    ap = average_precision(group, score, relevant)
    assert ap[0] == pytest.approx((1 + 2 / 3 + 3 / 4) / 3)
    assert np.isnan(ap[1])
    assert np.nanmean(ap) == pytest.approx(ap[0])  # MAP leaves out lists without relevant rows


def test_average_precision_equals_sklearn_per_group_with_distinct_scores():
    rng = np.random.default_rng(5)
    group = rng.integers(0, 8, 200)
    score = rng.permutation(200) / 200.0
    relevant = rng.random(200) < 0.3
    ours = average_precision(group, score, relevant)
    for g in range(8):
        rows = group == g
        assert ours[g] == pytest.approx(average_precision_score(relevant[rows], score[rows]))


def test_rows_beyond_the_largest_group_need_a_large_enough_n_groups():
    with pytest.raises(ValueError, match="^n_groups:"):
        recall_at_k(np.array([0, 3]), np.array([0.1, 0.2]), np.array([1, 1]), n_groups=2)


@pytest.mark.parametrize("call, argument", [
    (lambda: rank_within(np.array([0.5, 1.0]), np.array([0.1, 0.2])), "group"),
    (lambda: rank_within(np.array([-1, 0]), np.array([0.1, 0.2])), "group"),
    (lambda: rank_within(np.array([0, 0]), np.array([0.1, np.nan])), "score"),
    (lambda: ndcg_at_k(np.array([0]), np.array([0.1]), np.array([-1.0])), "gain"),
    (lambda: ndcg_at_k(np.array([0]), np.array([0.1]), np.array([1.0]), k=0), "k"),
    (lambda: recall_at_k(np.array([0]), np.array([0.1]), np.array([2])), "relevant"),
    (lambda: expected_calibration_error(np.array([1.5]), np.array([1])), "probability"),
    (lambda: expected_calibration_error(np.array([0.5]), np.array([1]), n_bins=0), "n_bins"),
    (lambda: expected_calibration_error(np.array([0.5]), np.array([1]), strategy="equal"), "strategy"),
    (lambda: gini(np.array([1.0, -1.0])), "values"),
    (lambda: gini(np.array([])), "values"),
    (lambda: position_weights(np.array([0, 1])), "rank"),
    (lambda: exposure_by(np.array([0, 2]), np.array([1, 1]), n_targets=2), "target"),
    (lambda: congestion_summary(np.array([0]), np.array([0]), np.array([0.5]), np.array([-1])), "openings"),
])
def test_bad_input_names_the_argument(call, argument):
    with pytest.raises(ValueError, match=f"^{argument}:"):
        call()


# --------------------------------------------------------------------------- calibration


def test_ece_by_hand():
    # Bin [0, 0.5): mean p 0.15, observed 0.5; bin [0.5, 1]: mean p 0.85, observed 1.
    probability = np.array([0.1, 0.2, 0.8, 0.9])
    outcome = np.array([0, 1, 1, 1])
    ece = expected_calibration_error(probability, outcome, n_bins=2)
    assert ece == pytest.approx(0.5 * 0.35 + 0.5 * 0.15)


def test_ece_with_quantile_bins_by_hand():
    # Quantile edges of [0.1, 0.2, 0.3, 0.6] at halves: 0.1, 0.25, 0.6 → {0.1, 0.2} and {0.3, 0.6}.
    probability = np.array([0.6, 0.1, 0.3, 0.2])
    outcome = np.array([1, 0, 0, 0])
    ece = expected_calibration_error(probability, outcome, n_bins=2, strategy="quantile")
    assert ece == pytest.approx(0.5 * 0.15 + 0.5 * abs(0.45 - 0.5))


def test_a_calibrated_sample_has_small_ece_and_a_biased_one_large():
    rng = np.random.default_rng(0)
    probability = rng.random(100_000)
    outcome = rng.random(100_000) < probability
    assert expected_calibration_error(probability, outcome) < 0.01
    assert expected_calibration_error(probability, outcome, strategy="quantile") < 0.01
    overconfident = rng.random(100_000) < probability / 2
    assert expected_calibration_error(probability, overconfident) == pytest.approx(0.25, abs=0.01)


def test_reliability_table_lists_non_empty_bins_and_puts_certainty_in_the_last():
    probability = np.array([0.05, 0.1, 1.0, 0.95])
    outcome = np.array([0, 1, 1, 1])
    table = reliability_table(probability, outcome, n_bins=10)
    assert list(table.columns) == ["bin_low", "bin_high", "n", "mean_predicted", "observed_rate"]
    np.testing.assert_allclose(table["bin_low"], [0.0, 0.1, 0.9])
    np.testing.assert_allclose(table["bin_high"], [0.1, 0.2, 1.0])
    np.testing.assert_array_equal(table["n"], [1, 1, 2])
    np.testing.assert_allclose(table["mean_predicted"], [0.05, 0.1, 0.975])
    np.testing.assert_allclose(table["observed_rate"], [0.0, 1.0, 1.0])


# --------------------------------------------------------------------------- exposure and congestion


@pytest.mark.parametrize("values, expected", [
    ([1, 1, 1, 1], 0.0),
    ([0, 0, 0, 1], 0.75),
    ([0, 0, 0, 0], 0.0),
    ([1, 3], 0.25),  # |1 − 3| · 2 / (2 · 4 · 2)
    ([2, 0, 0, 1], 7 / 12),  # pair sums 2·(2+2+1+0+1+1) = 14 over 2 · 16 · 0.75 = 24
])
def test_gini_by_hand(values, expected):
    assert gini(np.array(values, dtype=float)) == pytest.approx(expected)


def test_position_weights_follow_the_dcg_discount_up_to_k():
    np.testing.assert_allclose(position_weights(np.array([1, 2, 3, 4]), k=3), [1.0, 1 / LOG3, 0.5, 0.0])


def test_exposure_sums_attention_per_target():
    target = np.array([2, 0, 2, 2])
    rank = np.array([1, 1, 3, 2])
    np.testing.assert_allclose(exposure_by(target, rank, n_targets=4, k=2), [1.0, 0.0, 1 + 1 / LOG3, 0.0])
    weighted = exposure_by(target, rank, n_targets=4, k=2, weight=np.array([2.0, 1.0, 1.0, 3.0]))
    np.testing.assert_allclose(weighted, [1.0, 0.0, 2 + 3 / LOG3, 0.0])


def test_congestion_summary_by_hand():
    # Seeker 0 ranks vacancies 0, 1, 2; seeker 1 ranks 0, 1. With k = 2 vacancy 2 is never
    # seen; vacancy 3 has no openings and does not count.
    seeker = np.array([0, 1, 0, 1, 0])
    vacancy = np.array([2, 1, 0, 0, 1])
    score = np.array([0.1, 0.3, 0.9, 0.8, 0.5])
    openings = np.array([1, 2, 1, 0])
    summary = congestion_summary(seeker, vacancy, score, openings, k=2)
    exposure_per_opening = np.array([2.0, 2 / LOG3 / 2, 0.0])
    pairs = np.abs(exposure_per_opening[:, None] - exposure_per_opening[None, :]).sum()
    assert summary["exposure_gini"] == pytest.approx(pairs / (2 * 9 * exposure_per_opening.mean()))
    assert summary["vacancy_coverage"] == pytest.approx(2 / 3)
    applicants_per_opening = 0.5 * exposure_per_opening
    assert summary["applicants_per_opening_mean"] == pytest.approx(applicants_per_opening.mean())
    assert summary["applicants_per_opening_p90"] == pytest.approx(
        applicants_per_opening[1] + 0.8 * (applicants_per_opening[0] - applicants_per_opening[1]))
    assert summary["applicants_per_opening_max"] == pytest.approx(1.0)
    assert summary["share_openings_oversubscribed"] == 0.0


@pytest.mark.parametrize("n_seekers, share", [(10, 0.0), (12, 0.25)])
def test_openings_count_as_oversubscribed_above_five_applicants_each(n_seekers, share):
    # Every seeker has vacancy 0 (1 opening) first and vacancy 1 (3 openings) second:
    # vacancy 0 expects 0.5 · n_seekers applicants, vacancy 1 about 0.32 · n_seekers / 3 each.
    seeker = np.repeat(np.arange(n_seekers), 2)
    vacancy = np.tile([0, 1], n_seekers)
    score = np.tile([0.9, 0.4], n_seekers)
    summary = congestion_summary(seeker, vacancy, score, np.array([1, 3]))
    assert summary["share_openings_oversubscribed"] == share
    assert summary["applicants_per_opening_max"] == pytest.approx(0.5 * n_seekers)


def test_congestion_summary_without_openings_is_nan():
    summary = congestion_summary(np.array([0]), np.array([0]), np.array([0.5]), np.array([0]))
    assert all(np.isnan(value) for value in summary.values())


# --------------------------------------------------------------------------- fairness


def _cells(spec):
    """Seekers built from (gender, age, n, n_selected) cells."""
    gender, age, selected = [], [], []
    for g, a, n, chosen in spec:
        gender += [g] * n
        age += [a] * n
        selected += [True] * chosen + [False] * (n - chosen)
    return np.array(selected), pd.DataFrame({"gender": gender, "age": pd.Categorical(age)})


HAND = [("f", "young", 20, 10), ("f", "old", 20, 10), ("m", "young", 30, 30), ("m", "old", 30, 30),
        ("x", "young", 10, 10)]


def test_group_rates_by_hand():
    selected, groups = _cells(HAND)
    table = selection_rate_ratios(selected, groups, ["gender", "age"], n_boot=200)
    single = table[table["attribute"].isin(["gender", "age"])].set_index(["attribute", "group"])
    np.testing.assert_array_equal(single["n"], [40, 60, 10, 50, 60])
    np.testing.assert_allclose(single["rate"], [0.5, 1.0, 1.0, 0.8, 5 / 6])
    np.testing.assert_allclose(single["ratio"], [0.5, 1.0, np.nan, 0.96, 1.0])
    assert single.loc[("gender", "f"), "four_fifths_ok"] == False  # noqa: E712 — a pandas boolean
    assert single.loc[("gender", "m"), "four_fifths_ok"] == True  # noqa: E712
    assert single.loc[("age", "old"), "four_fifths_ok"] == True  # noqa: E712
    assert pd.isna(single.loc[("gender", "x"), "four_fifths_ok"])
    np.testing.assert_array_equal(single["too_small"], [False, False, True, False, False])


def test_intersections_are_reported_with_joined_names():
    selected, groups = _cells(HAND)
    table = selection_rate_ratios(selected, groups, ["gender", "age"], n_boot=0)
    pairs = table[table["attribute"] == "gender×age"]
    assert pairs["group"].tolist() == ["f×old", "f×young", "m×old", "m×young", "x×young"]
    np.testing.assert_array_equal(pairs["n"], [20, 20, 30, 30, 10])
    np.testing.assert_allclose(pairs["ratio"], [np.nan, np.nan, 1.0, 1.0, np.nan])
    assert len(selection_rate_ratios(selected, groups, ["gender", "age"], intersections=False, n_boot=0)) == 5


def test_bootstrap_interval_contains_the_estimate_and_excludes_four_fifths_for_half_the_best():
    selected, groups = _cells(HAND)
    table = selection_rate_ratios(selected, groups, ["gender", "age"], n_boot=500).set_index(["attribute", "group"])
    sized = table[~table["too_small"]]
    assert (sized["ratio_low"] <= sized["ratio"]).all() and (sized["ratio"] <= sized["ratio_high"]).all()
    assert table.loc[("gender", "f"), "ratio_high"] < 0.8
    assert table.loc[("gender", "m"), ["ratio_low", "ratio_high"]].tolist() == [1.0, 1.0]
    assert table.loc[("gender", "x"), ["ratio_low", "ratio_high"]].isna().all()


def test_bootstrap_interval_narrows_with_more_seekers_and_repeats_with_its_seed():
    selected, groups = _cells(HAND)
    many_selected, many_groups = _cells([(g, a, 16 * n, 16 * c) for g, a, n, c in HAND])
    small = selection_rate_ratios(selected, groups, ["gender"], random_state=1).set_index("group")
    large = selection_rate_ratios(many_selected, many_groups, ["gender"], random_state=1).set_index("group")
    width_small = small.loc["f", "ratio_high"] - small.loc["f", "ratio_low"]
    width_large = large.loc["f", "ratio_high"] - large.loc["f", "ratio_low"]
    assert 2.5 < width_small / width_large < 6  # about √16
    again = selection_rate_ratios(selected, groups, ["gender"], random_state=1).set_index("group")
    pd.testing.assert_frame_equal(small, again)


def test_exposure_ratios_average_exposure_and_accept_boolean_groups():
    exposure = np.r_[np.full(40, 2.0), np.full(40, 1.0)]
    groups = pd.DataFrame({"migrant": np.r_[np.zeros(40, bool), np.ones(40, bool)]})
    table = exposure_ratios(exposure, groups, ["migrant"], n_boot=0)
    assert table["group"].tolist() == ["False", "True"]
    np.testing.assert_allclose(table["rate"], [2.0, 1.0])
    np.testing.assert_allclose(table["ratio"], [1.0, 0.5])


@pytest.mark.parametrize("kwargs, argument", [
    ({"columns": ["missing"]}, "columns"),
    ({"columns": []}, "columns"),
    ({"columns": ["gender"], "confidence": 1.0}, "confidence"),
    ({"columns": ["gender"], "n_boot": -1}, "n_boot"),
])
def test_bad_fairness_input_names_the_argument(kwargs, argument):
    selected, groups = _cells(HAND)
    with pytest.raises(ValueError, match=f"^{argument}:"):
        group_rates(selected.astype(float), groups, **kwargs)


def test_selected_must_be_boolean_and_exposure_non_negative():
    _, groups = _cells(HAND)
    with pytest.raises(ValueError, match="^selected:"):
        selection_rate_ratios(np.full(len(groups), 0.5), groups, ["gender"])
    with pytest.raises(ValueError, match="^exposure:"):
        exposure_ratios(np.full(len(groups), -1.0), groups, ["gender"])
