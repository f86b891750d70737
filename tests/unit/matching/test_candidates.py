from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from matching import RuleBasedScorer
from tests.arrays import replace_row as tweak
from matching.candidates import FeatureScorer, Knockout, generate_candidates, knockout_codes, road_distance_km


@pytest.fixture()
def pair(small_market):
    """Seeker 0 and vacancy 0 made feasible: same place, fitting hours, all certificates."""
    seekers = small_market.seekers.take([0])
    vacancies = small_market.vacancies.take([0])
    seekers = tweak(seekers, 0, lat=vacancies.lat[0], lon=vacancies.lon[0], hours_min=8, hours_max=40,
                    dutch_cefr=6, consent_matching=True, hard=np.ones(seekers.hard.shape[1], dtype=bool))
    return seekers, vacancies


def code_of(seekers, vacancies):
    codes, _, _ = knockout_codes(seekers, vacancies)
    return Knockout(codes[0, 0])


def test_a_pair_meeting_every_condition_is_feasible(pair):
    assert code_of(*pair) == Knockout.FEASIBLE


@pytest.mark.parametrize("change,expected", [
    ({"consent_matching": False}, Knockout.NO_CONSENT),
    ({"hours_min": 8, "hours_max": 8}, Knockout.HOURS),
    ({"max_travel_km": 0.0, "lat": 52.5}, Knockout.TRAVEL),
    ({"dutch_cefr": 0}, Knockout.LANGUAGE),
])
def test_each_knockout_is_reported_with_its_reason(pair, change, expected):
    seekers, vacancies = pair
    vacancies = tweak(vacancies, 0, hours_min=32, hours_max=40)
    assert code_of(tweak(seekers, 0, **change), vacancies) == expected


def test_a_missing_must_have_knocks_out(pair, taxonomy):
    seekers, vacancies = pair
    must = np.zeros(taxonomy.n_hard_skills, dtype=bool)
    must[taxonomy.hard_skill_index("vca_basic")] = True
    vacancies = tweak(vacancies, 0, must_have=must)
    lacking = seekers.hard[0].copy()
    lacking[taxonomy.hard_skill_index("vca_basic")] = False
    assert code_of(tweak(seekers, 0, hard=lacking), vacancies) == Knockout.MUST_HAVE
    assert code_of(seekers, vacancies) == Knockout.FEASIBLE


def test_the_first_failing_reason_wins_and_every_reason_is_counted(pair):
    seekers, vacancies = pair
    seekers = tweak(seekers, 0, consent_matching=False, dutch_cefr=0)
    codes, failing, _ = knockout_codes(seekers, vacancies)
    assert codes[0, 0] == Knockout.NO_CONSENT
    assert failing[Knockout.LANGUAGE][0, 0] and failing[Knockout.NO_CONSENT][0, 0]


def test_candidates_respect_top_k_and_keep_only_feasible_pairs(small_market, taxonomy):
    graph = generate_candidates(small_market.seekers, small_market.vacancies,
                                FeatureScorer(RuleBasedScorer(), taxonomy), top_k=5, per_opening=0)
    assert graph.candidates_per_seeker().max() <= 5
    codes, _, _ = knockout_codes(small_market.seekers, small_market.vacancies)
    assert (codes[graph.seeker, graph.vacancy] == Knockout.FEASIBLE).all()
    # Sorted by seeker, best score first within each seeker.
    assert np.all(np.diff(graph.seeker) >= 0)
    same = graph.seeker[1:] == graph.seeker[:-1]
    assert np.all(graph.score[1:][same] <= graph.score[:-1][same])


def test_top_k_per_seeker_equals_exact_top_k(small_market, taxonomy):
    scorer = FeatureScorer(RuleBasedScorer(), taxonomy)
    graph = generate_candidates(small_market.seekers, small_market.vacancies, scorer, top_k=7, per_opening=0)
    codes, _, chord_sq = knockout_codes(small_market.seekers, small_market.vacancies)
    s, v = np.nonzero(codes == 0)
    score = scorer(small_market.seekers, small_market.vacancies, s, v, road_distance_km(chord_sq[s, v]))
    for seeker in range(0, small_market.seekers.n, 37):
        mine = score[s == seeker]
        expected = np.sort(mine)[::-1][:7]
        np.testing.assert_allclose(np.sort(graph.score[graph.seeker == seeker])[::-1], expected, rtol=1e-6)


def test_per_vacancy_rule_adds_candidates_for_unpopular_vacancies(small_market, taxonomy):
    scorer = FeatureScorer(RuleBasedScorer(), taxonomy)
    only_seeker = generate_candidates(small_market.seekers, small_market.vacancies, scorer, top_k=3, per_opening=0)
    both = generate_candidates(small_market.seekers, small_market.vacancies, scorer, top_k=3, per_opening=5)
    covered = lambda g: (np.bincount(g.vacancy, minlength=g.n_vacancies) > 0).sum()
    assert covered(both) >= covered(only_seeker)
    assert both.n_pairs > only_seeker.n_pairs


def test_chord_distances_agree_with_the_haversine_formula(small_market):
    from passport.geography import haversine_km, road_km

    seekers, vacancies = small_market.seekers, small_market.vacancies
    _, _, chord_sq = knockout_codes(seekers, vacancies, np.arange(20))
    expected = road_km(haversine_km(seekers.lat[:20, None], seekers.lon[:20, None], vacancies.lat, vacancies.lon))
    np.testing.assert_allclose(road_distance_km(chord_sq), expected, rtol=1e-5, atol=1e-3)


def test_travel_knockout_is_exact_at_the_limit(pair):
    seekers, vacancies = pair
    from passport.geography import haversine_km, road_km
    moved = tweak(seekers, 0, lat=vacancies.lat[0] + 0.1)
    distance = float(road_km(haversine_km(moved.lat[0], moved.lon[0], vacancies.lat[0], vacancies.lon[0])))
    assert code_of(tweak(moved, 0, max_travel_km=distance * 1.001), vacancies) == Knockout.FEASIBLE
    assert code_of(tweak(moved, 0, max_travel_km=distance * 0.999), vacancies) == Knockout.TRAVEL


def test_blocking_does_not_change_the_candidates(small_market, taxonomy):
    scorer = FeatureScorer(RuleBasedScorer(), taxonomy)
    whole = generate_candidates(small_market.seekers, small_market.vacancies, scorer, memory_budget_mb=1000)
    blocked = generate_candidates(small_market.seekers, small_market.vacancies, scorer, memory_budget_mb=0.05)
    for name in ("seeker", "vacancy", "score"):
        np.testing.assert_array_equal(getattr(whole, name), getattr(blocked, name))
    np.testing.assert_array_equal(whole.knockout_counts, blocked.knockout_counts)


@given(st.integers(1, 40), st.integers(0, 2**32 - 1))
def test_must_have_knockouts_agree_between_bit_words_and_the_matrix_product(n_block, seed):
    # Small blocks use packed bit words, large ones a matrix product: both must say the same.
    from matching import candidates

    rng = np.random.default_rng(seed)
    n_hard = int(rng.integers(1, 140))
    seekers = SimpleNamespace(hard=rng.random((n_block, n_hard)) < 0.5, n=n_block)
    vacancies = SimpleNamespace(must_have=rng.random((30, n_hard)) < 0.05, n=30)
    index = np.arange(n_block)
    expected = ((~seekers.hard[:, None, :]) & vacancies.must_have[None, :, :]).any(axis=2)
    np.testing.assert_array_equal(candidates._lacks_a_must_have(seekers, vacancies, index), expected)
