"""Pruned candidate generation: exact where nothing is pruned, high recall where it is."""

from __future__ import annotations

import numpy as np
import pytest

from matching import RuleBasedScorer
from matching.candidates import FeatureScorer, generate_candidates
from matching.prescreen import FALLBACK_WEIGHTS, TERMS, fit_prescreen
from matching.pruned import (PRESCREEN_RECALL_TARGET, ShortlistRule, _calibrate_shortlist, _Context, candidate_recall,
                             generate_pruned_candidates, hilbert_index)
from matching.spatial_reach import GridProjection, VacancyGrid, concatenated_ranges
from matching.vacancy_types import pack_bits, vacancy_types
from passport.geography import haversine_km


@pytest.fixture(scope="module")
def national(taxonomy):
    from matching.synthetic import generate_market

    return generate_market(n_seekers=2_500, n_vacancies=1_500, seed=3, geography="national", passports="noise",
                           taxonomy=taxonomy)


@pytest.fixture(scope="module")
def scorer(national):
    return FeatureScorer(RuleBasedScorer(), national.taxonomy)


def test_pack_bits_keeps_every_flag_in_its_word():
    flags = np.zeros((2, 70), dtype=bool)
    flags[0, [0, 63, 64, 69]] = True
    words = pack_bits(flags)
    assert words.shape == (2, 2) and words.dtype == np.uint64
    assert words[0, 0] == (1 | (1 << 63)) and words[0, 1] == (1 | (1 << 5))
    assert not words[1].any()


def test_vacancy_types_group_vacancies_with_equal_requirements(national):
    types = vacancy_types(national.vacancies)
    v = national.vacancies
    assert types.count.sum() == v.n and types.n < v.n
    for field in ("occupation", "sector", "min_dutch_cefr", "hours_min", "hours_max", "min_eqf"):
        assert np.array_equal(getattr(types, field)[types.type_of], getattr(v, field))
    assert np.array_equal(types.must_bits[types.type_of], pack_bits(v.must_have))


def test_hilbert_index_visits_every_cell_once_through_neighbours():
    x, y = np.meshgrid(np.arange(16), np.arange(16))
    index = hilbert_index(x.ravel(), y.ravel(), order=4)
    assert np.array_equal(np.sort(index), np.arange(256))
    order = np.argsort(index)
    steps = np.abs(np.diff(x.ravel()[order])) + np.abs(np.diff(y.ravel()[order]))
    assert np.all(steps == 1)


def test_concatenated_ranges_equals_the_loop():
    start, stop = np.array([3, 10, 7, 0]), np.array([6, 10, 9, 2])
    expected = np.concatenate([np.arange(a, b) for a, b in zip(start, stop)])
    assert np.array_equal(concatenated_ranges(start, stop), expected)


def test_grid_reach_contains_every_vacancy_within_the_radius(national):
    v = national.vacancies
    projection = GridProjection.covering((v.lat, v.lon))
    grid = VacancyGrid(projection, v.lat, v.lon, cell_km=2.0)
    rng = np.random.default_rng(0)
    for _ in range(20):
        centre = rng.integers(v.n)
        radius = float(rng.uniform(3, 60))
        x, y = projection.xy(v.lat[[centre]], v.lon[[centre]])
        reached = grid.reach(x[0], x[0], y[0], y[0], radius)
        within = np.flatnonzero(haversine_km(v.lat[centre], v.lon[centre], v.lat, v.lon) <= radius)
        assert set(within) <= set(reached)
        assert len(reached) < v.n  # and it does prune


def test_a_block_s_reach_holds_every_member_s_disk_and_trims_the_grid_s_cells(national):
    seekers, v = national.seekers, national.vacancies
    ctx = _Context(seekers, v, 2.0, None)
    trimmed = 0
    for rows in ctx.blocks(np.arange(seekers.n), 64)[::7]:
        reach = set(ctx.reach(rows).tolist())
        for seeker in rows:
            straight = haversine_km(seekers.lat[seeker], seekers.lon[seeker], v.lat, v.lon)
            assert set(np.flatnonzero(straight <= ctx.straight_limit[seeker]).tolist()) <= reach
        x, y = ctx.seeker_x[rows], ctx.seeker_y[rows]
        whole_cells = ctx.grid.reach(x.min(), x.max(), y.min(), y.max(), float(ctx.straight_limit[rows].max()))
        assert reach <= set(whole_cells.tolist())
        trimmed += len(whole_cells) - len(reach)
    assert trimmed > 0  # the box test drops the corners of whole cells


def test_without_pruning_the_graph_equals_the_exact_generator(national, scorer):
    exact = generate_candidates(national.seekers, national.vacancies, scorer, top_k=15, per_opening=0)
    pruned = generate_pruned_candidates(national.seekers, national.vacancies, scorer, top_k=15,
                                        prescreen_k=national.vacancies.n, per_opening=0)
    graph = pruned.graph
    assert np.array_equal(graph.knockout_counts, exact.knockout_counts)
    assert np.array_equal(graph.seeker, exact.seeker) and np.array_equal(graph.vacancy, exact.vacancy)
    assert np.array_equal(graph.score, exact.score)
    np.testing.assert_allclose(graph.distance_km, exact.distance_km, rtol=1e-6)


def test_program_travel_cap_applies_as_in_the_exact_generator(national, scorer):
    exact = generate_candidates(national.seekers, national.vacancies, scorer, top_k=10, per_opening=0,
                                max_travel_km=12.0)
    pruned = generate_pruned_candidates(national.seekers, national.vacancies, scorer, top_k=10,
                                        prescreen_k=national.vacancies.n, per_opening=0, max_travel_km=12.0)
    assert np.array_equal(pruned.graph.knockout_counts, exact.knockout_counts)
    assert np.array_equal(pruned.graph.vacancy, exact.vacancy)


def test_default_pruning_keeps_the_exact_top_k(national, scorer):
    pruned = generate_pruned_candidates(national.seekers, national.vacancies, scorer, top_k=20)
    assert pruned.prescreen.r_squared > 0.9  # the stand-in tracks the rule-based log-odds closely
    recall = candidate_recall(pruned.graph, national.seekers, national.vacancies, scorer, top_k=20,
                              sample_size=400)
    assert recall["exact_pairs"] > 1_000
    assert recall["recall"] >= 0.99


def test_the_shortlist_margin_is_measured_to_keep_the_recall_target(national, scorer):
    pruned = generate_pruned_candidates(national.seekers, national.vacancies, scorer, top_k=5)
    stats = pruned.stats
    assert stats["shortlist_margin"] is not None and stats["shortlist_margin"] >= 0
    assert stats["shortlist_sample_recall"] >= PRESCREEN_RECALL_TARGET
    assert stats["shortlist_sample_pairs_scored"] > 0
    # The margin shortlists far fewer pairs than the longest list it is capped at.
    assert 0 < stats["shortlist_per_seeker"] < stats["shortlist_length"] / 2
    recall = candidate_recall(pruned.graph, national.seekers, national.vacancies, scorer, top_k=5, sample_size=400)
    assert recall["recall"] >= 0.99


def test_a_prescreen_that_ranks_nothing_shortlists_far_more_pairs(national, scorer):
    from matching.prescreen import Prescreen

    ctx = _Context(national.seekers, national.vacancies, 2.0, None)
    blind = Prescreen(weights=np.zeros(len(TERMS) + 1), n_fit_pairs=0, r_squared=0.0)
    sample = np.flatnonzero(national.seekers.consent_matching)[:300]
    rule, measured = _calibrate_shortlist(ctx, blind, scorer, sample, 256, 5)
    informed = fit_prescreen(np.zeros((0, len(TERMS))), np.zeros(0))  # the fallback: signs and rough sizes
    _, informed_measured = _calibrate_shortlist(ctx, informed, scorer, sample, 256, 5)
    # With every estimate equal no margin separates anything: each seeker's whole list goes
    # to exact scoring, cut only at the longest list allowed (which few seekers here reach).
    assert rule.margin in (None, 0.0) and measured["sample_pairs_scored"] > 0
    assert informed_measured["sample_recall"] >= PRESCREEN_RECALL_TARGET
    feasible_per_seeker = measured["sample_pairs_scored"] / len(sample)
    assert 0.95 * feasible_per_seeker < measured["sample_shortlist_per_seeker"] <= feasible_per_seeker
    assert informed_measured["sample_shortlist_per_seeker"] < 0.6 * feasible_per_seeker


def test_the_shortlist_keeps_pairs_within_the_margin_of_the_kth_best():
    # Two seekers: seeker 0 has a clear top two; seeker 1 has five close estimates.
    local = np.array([0, 0, 0, 0, 1, 1, 1, 1, 1])
    estimate = np.array([3.0, 2.9, 1.0, 0.5, 1.0, 0.98, 0.97, 0.96, 0.2], dtype=np.float32)
    chosen = ShortlistRule(length=4, margin=0.05).select(local, estimate, top_k=2, n_rows=2)
    assert sorted(chosen.tolist()) == [0, 1, 4, 5, 6, 7]
    # The length caps what the margin lets through, best first.
    capped = ShortlistRule(length=3, margin=0.05).select(local, estimate, top_k=2, n_rows=2)
    assert sorted(capped.tolist()) == [0, 1, 4, 5, 6]
    # Without a margin: a fixed list of the best `length`.
    fixed = ShortlistRule(length=3).select(local, estimate, top_k=2, n_rows=2)
    assert sorted(fixed.tolist()) == [0, 1, 2, 4, 5, 6]


def test_a_short_prescreen_list_loses_pairs_and_recall_says_so(national, scorer):
    # prescreen_k == top_k leaves no room for the stand-in's errors: recall must drop below 1.
    pruned = generate_pruned_candidates(national.seekers, national.vacancies, scorer, top_k=20, prescreen_k=20,
                                        per_opening=0)
    recall = candidate_recall(pruned.graph, national.seekers, national.vacancies, scorer, top_k=20,
                              sample_size=400)
    assert recall["recall"] < 1.0


def _coarse(scorer, step):
    """The scorer rounded to *step*: many pairs tie, as under a boosted model's leaves."""
    def score(seekers, vacancies, s, v, d):
        return (np.round(np.asarray(scorer(seekers, vacancies, s, v, d)) / step) * step).astype(np.float32)
    score.thread_safe = True
    return score


def test_recall_by_score_counts_a_tied_pair_in_its_place_as_kept(national, scorer):
    coarse = _coarse(scorer, 0.05)
    pruned = generate_pruned_candidates(national.seekers, national.vacancies, coarse, top_k=10, prescreen_k=200,
                                        per_opening=0)
    recall = candidate_recall(pruned.graph, national.seekers, national.vacancies, coarse, top_k=10,
                              sample_size=300)
    # With wide ties the two routes fill the last places with different, equally scored pairs.
    assert recall["recall"] < recall["recall_by_score"]
    assert recall["recall_by_score"] >= 0.99


def test_recall_by_score_still_misses_a_better_pair_left_out(national, scorer):
    pruned = generate_pruned_candidates(national.seekers, national.vacancies, scorer, top_k=10, prescreen_k=10,
                                        per_opening=0)
    graph = pruned.graph
    # Drop every seeker's best pair: nothing in the graph scores as high in its place.
    first = np.r_[True, graph.seeker[1:] != graph.seeker[:-1]]
    keep = np.flatnonzero(~first)
    graph = type(graph)(seeker=graph.seeker[keep], vacancy=graph.vacancy[keep], score=graph.score[keep],
                        distance_km=graph.distance_km[keep], n_seekers=graph.n_seekers,
                        n_vacancies=graph.n_vacancies, knockout_counts=graph.knockout_counts, top_k=graph.top_k)
    recall = candidate_recall(graph, national.seekers, national.vacancies, scorer, top_k=10, sample_size=300)
    assert recall["recall_by_score"] <= 0.91


def test_graph_is_seeker_major_and_best_first(national, scorer):
    graph = generate_pruned_candidates(national.seekers, national.vacancies, scorer, top_k=10).graph
    assert np.all(np.diff(graph.seeker) >= 0)
    same = graph.seeker[1:] == graph.seeker[:-1]
    assert np.all(graph.score[1:][same] <= graph.score[:-1][same])
    keys = graph.seeker.astype(np.int64) * graph.n_vacancies + graph.vacancy
    assert len(np.unique(keys)) == graph.n_pairs


def test_every_vacancy_gets_its_share_of_candidates(national, scorer):
    per_opening = 3
    all_pairs = generate_candidates(national.seekers, national.vacancies, scorer, top_k=national.vacancies.n,
                                    per_opening=0)
    feasible = np.bincount(all_pairs.vacancy, minlength=national.vacancies.n)
    graph = generate_pruned_candidates(national.seekers, national.vacancies, scorer, top_k=5,
                                       per_opening=per_opening).graph
    have = np.bincount(graph.vacancy, minlength=national.vacancies.n)
    assert np.all(have >= np.minimum(feasible, per_opening * national.vacancies.openings))


def test_bad_arguments_are_named(national, scorer):
    with pytest.raises(ValueError, match="top_k"):
        generate_pruned_candidates(national.seekers, national.vacancies, scorer, top_k=0)
    with pytest.raises(ValueError, match="prescreen_k"):
        generate_pruned_candidates(national.seekers, national.vacancies, scorer, top_k=10, prescreen_k=5)
    with pytest.raises(ValueError, match="per_opening"):
        generate_pruned_candidates(national.seekers, national.vacancies, scorer, per_opening=-1)
    with pytest.raises(ValueError, match="cell_km"):
        generate_pruned_candidates(national.seekers, national.vacancies, scorer, cell_km=0)


def test_prescreen_fit_recovers_linear_log_odds():
    rng = np.random.default_rng(1)
    terms = rng.normal(size=(5_000, len(TERMS)))
    weights = rng.normal(size=len(TERMS) + 1)
    score = 1.0 / (1.0 + np.exp(-(weights[0] + terms @ weights[1:])))
    fitted = fit_prescreen(terms, score)
    np.testing.assert_allclose(fitted.weights, weights, atol=1e-3)
    assert fitted.r_squared > 0.999


def test_prescreen_falls_back_when_the_sample_is_too_small():
    fitted = fit_prescreen(np.zeros((10, len(TERMS))), np.full(10, 0.5))
    assert np.array_equal(fitted.weights, FALLBACK_WEIGHTS)
    with pytest.raises(ValueError, match="terms"):
        fit_prescreen(np.zeros((10, 3)), np.zeros(10))


def test_type_log_odds_equal_the_weighted_type_terms(national):
    from matching.bits import pack_bits
    from matching.prescreen import OccupationProxies, Prescreen, type_log_odds, type_terms

    seekers, vacancies = national.seekers, national.vacancies
    types, proxies = vacancy_types(vacancies), OccupationProxies.from_vacancies(vacancies)
    rows = np.arange(0, seekers.n, 7)
    weights = np.random.default_rng(0).normal(size=len(TERMS) + 1)
    prescreen = Prescreen(weights=weights, n_fit_pairs=0, r_squared=0.0)
    bits = pack_bits(seekers.hard)
    expected = type_terms(seekers, bits, rows, types, proxies) @ prescreen.type_weights + np.float32(prescreen.intercept)
    assert np.allclose(type_log_odds(seekers, bits, rows, types, proxies, prescreen), expected, atol=1e-5)
