"""Pruned candidates equal the exact generator on small markets, whatever their shape."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from matching import RuleBasedScorer
from matching.candidates import FeatureScorer, generate_candidates
from matching.pruned import generate_pruned_candidates

markets = st.fixed_dictionaries({
    "n_seekers": st.integers(1, 120), "n_vacancies": st.integers(1, 60), "seed": st.integers(0, 10_000),
    "geography": st.sampled_from(["region", "national"]),
})


def _market(taxonomy, spec):
    from matching.synthetic import generate_market

    return generate_market(passports="noise", taxonomy=taxonomy, **spec)


@settings(max_examples=25)
@given(markets, st.integers(1, 8), st.sampled_from([1, 7, 64]), st.sampled_from([0.5, 4.0, 25.0]),
       st.one_of(st.none(), st.floats(2.0, 40.0)))
def test_pruned_equals_exact_when_the_prescreen_keeps_everything(taxonomy, spec, top_k, block_seekers, cell_km,
                                                                  travel_cap):
    market = _market(taxonomy, spec)
    scorer = FeatureScorer(RuleBasedScorer(), taxonomy)
    exact = generate_candidates(market.seekers, market.vacancies, scorer, top_k=top_k, per_opening=0,
                                max_travel_km=travel_cap)
    pruned = generate_pruned_candidates(market.seekers, market.vacancies, scorer, top_k=top_k,
                                        prescreen_k=max(market.vacancies.n, top_k), per_opening=0, block_seekers=block_seekers,
                                        cell_km=cell_km, max_travel_km=travel_cap, fit_sample=50).graph
    assert np.array_equal(pruned.knockout_counts, exact.knockout_counts)
    assert np.array_equal(pruned.seeker, exact.seeker)
    assert np.array_equal(pruned.vacancy, exact.vacancy)
    assert np.array_equal(pruned.score, exact.score)


@settings(max_examples=15)
@given(markets, st.integers(0, 2**31 - 1))
def test_seeker_order_does_not_change_the_candidates(taxonomy, spec, seed):
    market = _market(taxonomy, spec)
    scorer = FeatureScorer(RuleBasedScorer(), taxonomy)
    permutation = np.random.default_rng(seed).permutation(market.seekers.n)
    shuffled = market.seekers.take(permutation)
    # fit_sample covers everyone, so both runs fit the pre-screen on the same pairs.
    kwargs = dict(top_k=5, prescreen_k=8, per_opening=2, fit_sample=market.seekers.n)
    base = generate_pruned_candidates(market.seekers, market.vacancies, scorer, **kwargs).graph
    other = generate_pruned_candidates(shuffled, market.vacancies, scorer, **kwargs).graph
    base_pairs = set(zip(base.seeker.tolist(), base.vacancy.tolist()))
    other_pairs = set(zip(permutation[other.seeker].tolist(), other.vacancy.tolist()))
    assert base_pairs == other_pairs
    assert np.array_equal(base.knockout_counts[permutation], other.knockout_counts)


def test_the_shortlist_rule_equals_its_definition_on_random_blocks():
    from matching.pruned import ShortlistRule

    rng = np.random.default_rng(3)
    local = np.sort(rng.integers(0, 40, 5_000))
    estimate = rng.normal(size=5_000).astype(np.float32)
    chosen = set(ShortlistRule(length=30, margin=0.4).select(local, estimate, top_k=10, n_rows=40).tolist())
    for seeker in range(40):
        mine = np.flatnonzero(local == seeker)
        ranked = mine[np.argsort(-estimate[mine], kind="stable")]
        kth = float(estimate[ranked[9]]) if len(ranked) >= 10 else -np.inf
        expected = [i for i in ranked[:30] if float(estimate[i]) >= kth - 0.4]
        assert set(expected) == chosen & set(mine.tolist())
