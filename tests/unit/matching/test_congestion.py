from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.special import logsumexp

from matching.congestion import congestion_aware_scores, rerank

# Three seekers who all put A first; B and C follow a few points lower. The best
# one-to-one assignment is 0 → B, 1 → C, 2 → A (total 2.65 against at most 2.60 otherwise).
THREE_SEEKER = np.repeat([0, 1, 2], 3)
THREE_VACANCY = np.tile([0, 1, 2], 3)
THREE_SCORE = np.array([0.90, 0.85, 0.80,
                        0.90, 0.80, 0.85,
                        0.95, 0.85, 0.85])


def complete_bipartite(n_seekers, n_vacancies, seed):
    seeker, vacancy = np.divmod(np.arange(n_seekers * n_vacancies), n_vacancies)
    score = np.random.default_rng(seed).random(len(seeker))
    return seeker, vacancy, score


def dense_sinkhorn(seeker, vacancy, score, openings, strength, epsilon, rounds=3000):
    """Plain unbalanced Sinkhorn on a dense matrix (no translation), for cross-checking."""
    n_s, n_v = seeker.max() + 1, len(openings)
    log_kernel = np.full((n_s, n_v), -np.inf)
    best = np.full(n_s, -np.inf)
    np.maximum.at(best, seeker, score)
    log_kernel[seeker, vacancy] = (score - best[seeker]) / epsilon
    target = len(np.unique(seeker)) * openings / openings.sum()
    log_v = np.zeros(n_v)
    for _ in range(rounds):
        log_u = -logsumexp(log_kernel + log_v, axis=1)
        log_v = strength * (np.log(target) - logsumexp(log_kernel + log_u[:, None], axis=0))
    log_u = -logsumexp(log_kernel + log_v, axis=1)
    return np.exp(log_u[:, None] + log_kernel + log_v)[seeker, vacancy]


def test_strength_zero_keeps_the_relevance_order_and_the_scores():
    seeker = np.array([1, 0, 0, 1, 0, 1])
    vacancy = np.array([0, 0, 1, 1, 2, 2])
    score = np.array([0.2, 0.5, 0.9, 0.7, 0.1, 0.4])
    lists = rerank(seeker, vacancy, score, [1, 1, 1], k=3, strength=0.0)
    assert lists["seeker"].tolist() == [0, 0, 0, 1, 1, 1]
    assert lists["vacancy"].tolist() == [1, 0, 2, 1, 2, 0]
    assert lists["rank"].tolist() == [1, 2, 3, 1, 2, 3]
    result = congestion_aware_scores(seeker, vacancy, score, [1, 1, 1], strength=0.0)
    np.testing.assert_array_equal(result.adjusted, score)
    np.testing.assert_array_equal(result.vacancy_price, 0.0)
    # The plan is then the seeker's softmax of score / ε: 0.9 vs 0.5 is a factor e^8.
    assert result.plan[2] / result.plan[1] == pytest.approx(np.exp(0.4 / 0.05))


def test_strength_one_spreads_first_places_over_the_three_vacancies():
    first_at = {strength: rerank(THREE_SEEKER, THREE_VACANCY, THREE_SCORE, [1, 1, 1], k=1, strength=strength)
                for strength in (0.0, 1.0)}
    assert first_at[0.0]["vacancy"].tolist() == [0, 0, 0]
    assert first_at[1.0]["vacancy"].tolist() == [1, 2, 0]
    # The lists still show the model's own probabilities.
    assert first_at[1.0]["score"].tolist() == [0.85, 0.85, 0.95]


def test_the_congested_vacancy_gets_a_positive_price_and_the_others_a_negative_one():
    result = congestion_aware_scores(THREE_SEEKER, THREE_VACANCY, THREE_SCORE, [1, 1, 1], strength=1.0)
    assert result.converged
    assert result.vacancy_price[0] > 0 > result.vacancy_price[1]
    assert result.vacancy_price[1] == pytest.approx(result.vacancy_price[2])  # B and C are symmetric
    np.testing.assert_allclose(result.adjusted, THREE_SCORE - result.vacancy_price[THREE_VACANCY])


def test_balanced_transport_meets_the_opening_targets_on_a_complete_graph():
    seeker, vacancy, score = complete_bipartite(5, 3, seed=4)
    result = congestion_aware_scores(seeker, vacancy, score, [1, 2, 2], strength=1.0)
    assert result.converged
    # 5 seekers' attention split over 5 openings: one unit per opening.
    np.testing.assert_allclose(np.bincount(vacancy, result.plan), [1.0, 2.0, 2.0], atol=1e-3)
    np.testing.assert_allclose(np.bincount(seeker, result.plan), 1.0, atol=1e-12)


@pytest.mark.parametrize("strength", [0.3, 0.8])
def test_plan_equals_a_plain_dense_sinkhorn(strength):
    seeker, vacancy, score = complete_bipartite(4, 3, seed=7)
    openings = np.array([1, 3, 2])
    result = congestion_aware_scores(seeker, vacancy, score, openings, strength=strength, tol=1e-12,
                                     max_iter=10_000)
    expected = dense_sinkhorn(seeker, vacancy, score, openings, strength, 0.05)
    np.testing.assert_allclose(result.plan, expected, atol=1e-9)


def test_strength_just_below_one_agrees_with_the_balanced_limit():
    seeker, vacancy, score = complete_bipartite(6, 3, seed=1)
    near = congestion_aware_scores(seeker, vacancy, score, [1, 2, 3], strength=1 - 1e-7, tol=1e-10)
    balanced = congestion_aware_scores(seeker, vacancy, score, [1, 2, 3], strength=1.0, tol=1e-10)
    np.testing.assert_allclose(near.vacancy_price, balanced.vacancy_price, atol=1e-5)


def test_near_balanced_strength_converges_in_few_rounds():
    # Without the per-part translation the common level of log v closes only by a factor
    # 0.99 per round here (about 480 rounds); with it, well under 100.
    seeker, vacancy, score = complete_bipartite(6, 3, seed=1)
    result = congestion_aware_scores(seeker, vacancy, score, [1, 2, 3], strength=0.99)
    assert result.converged and result.iterations < 100


def test_a_vacancy_without_openings_sinks_without_numerical_warnings():
    seeker, vacancy = np.array([0, 0, 1]), np.array([0, 1, 1])
    score = np.array([0.9, 0.8, 0.7])
    with np.errstate(divide="raise", invalid="raise"):
        lists = rerank(seeker, vacancy, score, [0, 1], k=2, strength=0.5)
    assert lists.loc[lists["seeker"] == 0, "vacancy"].tolist() == [1, 0]


def test_vacancies_nobody_reaches_take_no_share_of_the_attention():
    # Vacancy 1 has 99 openings but no candidate. Vacancy 0's two openings must then be
    # enough for the two seekers: no price, where a target of 2 · 2/101 would push it far down.
    result = congestion_aware_scores([0, 1], [0, 0], [0.6, 0.4], [2, 99], strength=0.5)
    assert result.converged
    np.testing.assert_allclose(result.plan, [1.0, 1.0])
    assert result.vacancy_price[1] == 0.0
    assert abs(result.vacancy_price[0]) < 1e-9


def test_an_infeasible_balanced_problem_is_reported_as_not_converged():
    # Seekers 0 and 1 can only go to vacancy 0, which has one opening.
    seeker, vacancy, score = np.array([0, 1, 2, 2]), np.array([0, 0, 0, 1]), np.array([0.9, 0.9, 0.9, 0.5])
    balanced = congestion_aware_scores(seeker, vacancy, score, [1, 1], strength=1.0, max_iter=200)
    assert not balanced.converged and balanced.iterations == 200
    assert balanced.plan[3] > 0.99  # seeker 2, who has a choice, is sent to vacancy 1
    assert congestion_aware_scores(seeker, vacancy, score, [1, 1], strength=0.5).converged


def test_rerank_keeps_the_top_k_with_original_scores_and_adjusted_values():
    seeker, vacancy, score = complete_bipartite(3, 4, seed=2)
    lists = rerank(seeker, vacancy, score, [1, 1, 1, 1], k=2, strength=0.5)
    result = congestion_aware_scores(seeker, vacancy, score, [1, 1, 1, 1], strength=0.5)
    assert list(lists.columns) == ["seeker", "vacancy", "rank", "score", "adjusted"]
    assert lists["rank"].tolist() == [1, 2] * 3
    for s in range(3):
        mine = seeker == s
        best_two = vacancy[mine][np.argsort(-result.adjusted[mine])[:2]]
        assert lists.loc[lists["seeker"] == s, "vacancy"].tolist() == best_two.tolist()
    edge = lists["seeker"].to_numpy() * 4 + lists["vacancy"].to_numpy()
    np.testing.assert_array_equal(lists["score"], score[edge])
    np.testing.assert_array_equal(lists["adjusted"], result.adjusted[edge])


def test_an_empty_graph_gives_empty_results():
    result = congestion_aware_scores([], [], [], [1, 2])
    assert len(result.adjusted) == 0 and result.converged
    np.testing.assert_array_equal(result.vacancy_price, [0.0, 0.0])
    assert rerank([], [], [], [1]).empty


@pytest.mark.parametrize("change,argument", [
    ({"vacancy": [0, 1]}, "vacancy"),
    ({"score": [0.5]}, "score"),
    ({"score": [0.5, np.nan, 0.2]}, "score"),
    ({"seeker": [0.0, 1.0, 1.0]}, "seeker"),
    ({"seeker": [0, 1, -1]}, "seeker"),
    ({"seeker": [0, 1, 5], "n_seekers": 3}, "seeker"),
    ({"vacancy": [0, 1, 2]}, "vacancy"),
    ({"vacancy": [0, 0, 0], "seeker": [1, 1, 0]}, "vacancy"),  # a pair twice
    ({"openings": [1, -1]}, "openings"),
    ({"n_vacancies": 3}, "n_vacancies"),
    ({"strength": 1.5}, "strength"),
    ({"strength": -0.1}, "strength"),
    ({"strength": float("nan")}, "strength"),
    ({"epsilon": 0.0}, "epsilon"),
    ({"epsilon": float("inf")}, "epsilon"),
    ({"max_iter": 0}, "max_iter"),
    ({"tol": 0.0}, "tol"),
])
def test_bad_input_names_the_argument(change, argument):
    kwargs = {"seeker": [0, 1, 1], "vacancy": [0, 0, 1], "score": [0.5, 0.4, 0.3], "openings": [1, 1]}
    kwargs.update(change)
    with pytest.raises(ValueError, match=f"^{argument}:"):
        congestion_aware_scores(**kwargs)


@pytest.mark.parametrize("k", [0, 2.5])
def test_rerank_rejects_a_bad_list_length(k):
    with pytest.raises(ValueError, match="^k:"):
        rerank([0], [0], [0.5], [1], k=k)


def test_rerank_returns_a_frame_sorted_by_seeker_then_rank():
    seeker, vacancy, score = complete_bipartite(4, 3, seed=9)
    order = np.random.default_rng(0).permutation(len(seeker))
    lists = rerank(seeker[order], vacancy[order], score[order], [1, 1, 2], k=3)
    assert isinstance(lists, pd.DataFrame)
    assert lists.equals(lists.sort_values(["seeker", "rank"]).reset_index(drop=True))
