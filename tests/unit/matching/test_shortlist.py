"""One seeker's shortlist: exact where it scores everything, the exact top 10 where it does not."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matching import RuleBasedScorer
from matching.bits import pack_bits
from matching.candidates import FeatureScorer, Knockout, knockout_codes, road_distance_km
from matching.prescreen import OccupationProxies, pair_terms, type_terms
from matching.shortlist import seeker_shortlist
from matching.vacancy_types import vacancy_types


@pytest.fixture(scope="module")
def crowded(taxonomy):
    """Few seekers, many nearby vacancies: most seekers pass the knock-outs for thousands."""
    from matching.synthetic import generate_market

    return generate_market(n_seekers=120, n_vacancies=8_000, seed=5, passports="noise", taxonomy=taxonomy)


@pytest.fixture(scope="module")
def scorer(crowded):
    return FeatureScorer(RuleBasedScorer(), crowded.taxonomy)


def feasible_of(market, row):
    codes, _, chord_sq = knockout_codes(market.seekers, market.vacancies, [row])
    feasible = np.flatnonzero(codes[0] == Knockout.FEASIBLE)
    return feasible, road_distance_km(chord_sq[0, feasible])


def best10(score):
    return set(np.lexsort((np.arange(len(score)), -score.astype(np.float64)))[:10].tolist())


def test_pair_terms_agree_with_the_terms_per_vacancy_type(crowded):
    seekers, vacancies = crowded.seekers, crowded.vacancies
    types = vacancy_types(vacancies)
    proxies = OccupationProxies.from_vacancies(vacancies)
    above = proxies.requirement_above(vacancies)
    rng = np.random.default_rng(0)
    s, v = rng.integers(0, seekers.n, 500), rng.integers(0, vacancies.n, 500)
    travel = rng.uniform(0, 1, 500).astype(np.float32)
    by_pair = pair_terms(seekers, vacancies, s, v, travel, proxies, above)
    rows = np.unique(s)
    by_type = type_terms(seekers, pack_bits(seekers.hard), rows, types, proxies)
    expected = by_type[np.searchsorted(rows, s), types.type_of[v]]
    np.testing.assert_allclose(by_pair[:, :expected.shape[1]], expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(by_pair[:, -2], above[v])
    np.testing.assert_array_equal(by_pair[:, -1], travel)


def test_a_short_list_is_scored_whole_and_exactly(crowded, scorer):
    row = next(r for r in range(crowded.seekers.n) if len(feasible_of(crowded, r)[0]) > 100)
    feasible, distance = feasible_of(crowded, row)
    keep = len(feasible)
    positions, score = seeker_shortlist(crowded.seekers, crowded.vacancies, row, feasible, distance, scorer,
                                        keep=keep)
    np.testing.assert_array_equal(positions, np.arange(keep))
    exact = scorer(crowded.seekers, crowded.vacancies, np.full(keep, row), feasible, distance)
    np.testing.assert_array_equal(score, exact)


def test_the_shortlist_keeps_the_exact_top_ten(crowded, scorer):
    """Recall of the exact top 10 over every seeker with more feasible vacancies than are kept."""
    keep, hits, lists = 300, 0, 0
    for row in range(crowded.seekers.n):
        feasible, distance = feasible_of(crowded, row)
        if len(feasible) <= keep:
            continue
        exact = scorer(crowded.seekers, crowded.vacancies, np.full(len(feasible), row), feasible, distance)
        positions, score = seeker_shortlist(crowded.seekers, crowded.vacancies, row, feasible, distance, scorer,
                                            keep=keep)
        np.testing.assert_array_equal(score, exact[positions])
        hits += len(best10(exact) & set(positions[sorted(best10(score))].tolist()))
        lists += 1
    assert lists >= 50, "the fixture should give most seekers more feasible vacancies than are kept"
    assert hits / (10 * lists) >= 0.99


@settings(max_examples=25, deadline=None)
@given(row=st.integers(0, 119), keep=st.integers(1, 2_000), seed=st.integers(0, 3))
def test_the_shortlist_scores_distinct_pairs_exactly(crowded, scorer, row, keep, seed):
    feasible, distance = feasible_of(crowded, row)
    positions, score = seeker_shortlist(crowded.seekers, crowded.vacancies, row, feasible, distance, scorer,
                                        keep=keep, random_state=seed)
    assert len(positions) == min(keep, len(feasible))
    assert np.all(np.diff(positions) > 0)
    exact = scorer(crowded.seekers, crowded.vacancies, np.full(len(positions), row), feasible[positions],
                   distance[positions])
    np.testing.assert_array_equal(score, exact)


def test_keep_must_be_positive(crowded, scorer):
    with pytest.raises(ValueError, match="keep"):
        seeker_shortlist(crowded.seekers, crowded.vacancies, 0, np.arange(3), np.ones(3, np.float32), scorer, keep=0)
