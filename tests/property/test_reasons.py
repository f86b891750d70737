"""Properties of the reasons' ranks and row order, on random pair sets and competitor graphs."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd
from hypothesis import given, settings, strategies as st

from matching import RuleBasedScorer
from matching.candidates import FeatureScorer, generate_candidates
from matching.features import pair_features
from matching.reasons import explain_pairs
from matching.synthetic import generate_market


@lru_cache(maxsize=1)
def setting():
    """A small market, its candidate pairs and a scorer fitted on simulated outcomes."""
    market = generate_market(n_seekers=200, n_vacancies=40, seed=5, passports="noise")
    graph = generate_candidates(market.seekers, market.vacancies, FeatureScorer(RuleBasedScorer(), market.taxonomy),
                                top_k=20)
    X = pair_features(market.seekers, market.vacancies, graph.seeker, graph.vacancy, market.taxonomy)
    p = market.truth.probability(market.seekers, market.vacancies, graph.seeker, graph.vacancy)
    y = (np.random.default_rng(0).random(len(p)) < p).astype(int)
    return market, graph, RuleBasedScorer().fit(X, y)


@st.composite
def pairs_and_competitors(draw):
    """Some candidate pairs, and a competitor graph on their vacancies.

    Competitor scores are multiples of 1/20, so ties with each other are common, or
    exactly an explained pair's own score; some competitor rows are the explained pairs
    themselves. (seeker, vacancy) is unique.
    """
    market, graph, model = setting()
    chosen = np.array(draw(st.lists(st.integers(0, graph.n_pairs - 1), min_size=1, max_size=12, unique=True)))
    s, v = graph.seeker[chosen].astype(np.int64), graph.vacancy[chosen].astype(np.int64)
    rows = draw(st.lists(st.tuples(st.integers(0, market.seekers.n - 1), st.sampled_from(sorted(set(v.tolist()))),
                                   st.integers(0, 20)),
                         max_size=40, unique_by=lambda r: (r[0], r[1])))
    include_own = draw(st.lists(st.booleans(), min_size=len(s), max_size=len(s)))
    known = {(r[0], r[1]) for r in rows}
    rows += [(int(a), int(b), draw(st.integers(0, 20))) for a, b, own in zip(s, v, include_own)
             if own and (int(a), int(b)) not in known]
    scores = [r[2] / 20.0 for r in rows]
    # Other seekers scoring exactly what an explained pair scores: ties must not count as higher.
    probability = model.score_pairs(pair_features(market.seekers, market.vacancies, s, v, market.taxonomy))
    for i in draw(st.lists(st.integers(0, len(s) - 1), max_size=4)):
        other = draw(st.integers(0, market.seekers.n - 1))
        if other != s[i] and (other, int(v[i])) not in {(r[0], r[1]) for r in rows}:
            rows.append((other, int(v[i]), 0))
            scores.append(float(probability[i]))
    competitors = tuple(np.array([r[i] for r in rows], dtype=np.int64) for i in range(2))
    competitors += (np.array(scores, dtype=np.float64),)
    permutation = np.array(draw(st.permutations(range(len(s)))))
    return s, v, competitors, permutation


def brute_force_rank(seeker, vacancy, score, competitors):
    others = (competitors[1] == vacancy) & (competitors[0] != seeker)
    return 1 + int((competitors[2][others] > score).sum()), int(others.sum()) + 1


@settings(max_examples=25, deadline=None)
@given(pairs_and_competitors())
def test_ranks_count_higher_scoring_other_candidates(case):
    s, v, competitors, _ = case
    market, _, model = setting()
    out = explain_pairs(market.seekers, market.vacancies, market.trainings, market.taxonomy, s, v, model,
                        competitors=competitors)
    rank_now = out.rank_now.to_numpy(dtype=np.int64)
    candidates = out.candidates.to_numpy(dtype=np.int64)
    assert ((1 <= rank_now) & (rank_now <= candidates)).all()
    for i in range(len(s)):
        assert (rank_now[i], candidates[i]) == brute_force_rank(s[i], v[i], out.probability[i], competitors)
    trained = out.training_id != ""
    assert out.rank_after_training[~trained].isna().all()
    assert out.probability_after_training[~trained].isna().all()
    for i in np.flatnonzero(trained):
        assert out.rank_after_training[i] == brute_force_rank(s[i], v[i], out.probability_after_training[i],
                                                              competitors)[0]
    improved = trained & (out.probability_after_training >= out.probability)
    assert (out.rank_after_training[improved] <= out.rank_now[improved]).all()


@settings(max_examples=15, deadline=None)
@given(pairs_and_competitors())
def test_rows_follow_the_input_and_do_not_depend_on_its_order(case):
    s, v, competitors, permutation = case
    market, _, model = setting()
    out = explain_pairs(market.seekers, market.vacancies, market.trainings, market.taxonomy, s, v, model,
                        competitors=competitors)
    assert out.seeker_id.tolist() == market.seekers.ids[s].tolist()
    assert out.vacancy_id.tolist() == market.vacancies.ids[v].tolist()
    shuffled = explain_pairs(market.seekers, market.vacancies, market.trainings, market.taxonomy, s[permutation],
                             v[permutation], model, competitors=competitors)
    back = shuffled.iloc[np.argsort(permutation)].reset_index(drop=True)
    pd.testing.assert_frame_equal(back, out)
