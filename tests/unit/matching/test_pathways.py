"""Training pathways on the small synthetic market: trained profiles, eligibility, generation."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from matching import RuleBasedScorer
from tests.arrays import replace_row
from matching.candidates import FeatureScorer, Knockout, generate_candidates, knockout_codes
from matching.pathways import (MAX_CEFR_RANK, _distinct_combos, generate_pathways, trained_profiles,
                               training_eligibility)
from passport.taxonomy import MASTERY_MAX

COMPLETION = 0.85


@pytest.fixture(scope="module")
def score_fn(taxonomy):
    return FeatureScorer(RuleBasedScorer(), taxonomy)


@pytest.fixture(scope="module")
def direct(small_market, score_fn):
    return generate_candidates(small_market.seekers, small_market.vacancies, score_fn)


@pytest.fixture(scope="module")
def eligible(small_market):
    return training_eligibility(small_market.seekers, small_market.trainings)


@pytest.fixture(scope="module")
def every_pathway(small_market, score_fn, direct, eligible):
    """All useful pathways: no per-seeker cut."""
    m = small_market
    return generate_pathways(m.seekers, m.vacancies, m.trainings, score_fn, direct, eligible=eligible,
                             completion_rate=COMPLETION, per_seeker=10**6)


def pair_keys(seeker, vacancy, n_vacancies) -> np.ndarray:
    return np.asarray(seeker, dtype=np.int64) * n_vacancies + np.asarray(vacancy, dtype=np.int64)


# --------------------------------------------------------------------------- trained_profiles


def test_trained_profiles_raise_levels_by_the_uplift_capped_at_the_top(small_market):
    seekers, trainings = small_market.seekers, small_market.trainings
    s = np.repeat(np.arange(0, seekers.n, 7), trainings.n)
    t = np.tile(np.arange(trainings.n), len(s) // trainings.n)
    after = trained_profiles(seekers, trainings, s, t)
    expected = np.minimum(seekers.levels[s] + trainings.uplift[t], MASTERY_MAX)
    np.testing.assert_allclose(after.levels, expected, rtol=0, atol=1e-6)
    raised = trainings.uplift[t] > 0
    assert np.all(after.levels[raised] > seekers.levels[s][raised] - 1e-6)
    assert np.any(after.levels[raised] > seekers.levels[s][raised] + 0.05), "no uplift in the sample"
    capped = seekers.levels[s] + trainings.uplift[t] > MASTERY_MAX
    assert capped.any(), "the sample never reaches the cap"
    assert np.all(after.levels[capped] == MASTERY_MAX)
    assert after.levels.max() <= MASTERY_MAX


def test_trained_profiles_grant_the_certificate_and_keep_everything_else(small_market):
    seekers, trainings = small_market.seekers, small_market.trainings
    s = np.repeat(np.arange(0, seekers.n, 11), trainings.n)
    t = np.tile(np.arange(trainings.n), len(s) // trainings.n)
    before = dataclasses.replace(seekers, levels=seekers.levels.copy(), hard=seekers.hard.copy())
    after = trained_profiles(seekers, trainings, s, t)
    assert after.n == len(s)
    np.testing.assert_array_equal(after.hard, seekers.hard[s] | trainings.grants[t])
    granting = trainings.grants[t].any(axis=1)
    assert granting.any() and np.all(after.hard[trainings.grants[t]])
    assert np.any(~seekers.hard[s][trainings.grants[t]]), "every seeker already held every granted certificate"
    np.testing.assert_array_equal(after.dutch_cefr,
                                  np.minimum(seekers.dutch_cefr[s] + trainings.dutch_cefr_uplift[t], MAX_CEFR_RANK))
    # A course moves the level, not the measurement: SE and the measured mask stay as they were.
    np.testing.assert_array_equal(after.se, seekers.se[s])
    np.testing.assert_array_equal(after.measured, seekers.measured[s])
    for name in ("ids", "eqf", "lat", "lon", "max_travel_km", "hours_min", "hours_max", "sector_pref",
                 "sector_excluded", "consent_matching"):
        np.testing.assert_array_equal(getattr(after, name), getattr(seekers, name)[s], err_msg=name)
    # the input population is untouched
    np.testing.assert_array_equal(seekers.levels, before.levels)
    np.testing.assert_array_equal(seekers.hard, before.hard)


def test_dutch_uplift_is_capped_at_the_top_of_the_scale(small_market):
    seekers = replace_row(small_market.seekers.take([0, 1]), 0, dutch_cefr=MAX_CEFR_RANK)
    trainings = replace_row(small_market.trainings, 0, dutch_cefr_uplift=2)
    after = trained_profiles(seekers, trainings, [0, 1], [0, 0])
    assert after.dutch_cefr[0] == MAX_CEFR_RANK
    assert after.dutch_cefr[1] == min(seekers.dutch_cefr[1] + 2, MAX_CEFR_RANK)


# --------------------------------------------------------------------------- training_eligibility


def reference_eligibility(seekers, trainings, s, t, *, max_weeks=None, max_cost_eur=None) -> bool:
    """One pair, spelled out rule by rule."""
    holds = seekers.hard[s]
    adds = (bool(np.any(trainings.grants[t] & ~holds)) or trainings.dutch_cefr_uplift[t] > 0
            or trainings.uplift[t].sum() > 0)
    return bool(seekers.consent_matching[s]
                and seekers.dutch_cefr[s] >= trainings.min_dutch_cefr[t]
                and seekers.eqf[s] >= trainings.min_eqf[t]
                and trainings.seats[t] > 0
                and np.all(holds[trainings.prerequisite[t]])
                and adds
                and (max_weeks is None or trainings.duration_weeks[t] <= max_weeks)
                and (max_cost_eur is None or trainings.cost_eur[t] <= max_cost_eur))


@pytest.mark.parametrize("caps", [{}, {"max_weeks": 3}, {"max_cost_eur": 900}, {"max_weeks": 2, "max_cost_eur": 400}])
def test_eligibility_matches_the_rules_pair_by_pair(small_market, caps):
    seekers, trainings = small_market.seekers, small_market.trainings
    ok = training_eligibility(seekers, trainings, **caps)
    assert ok.shape == (seekers.n, trainings.n)
    sample = np.arange(0, seekers.n, 3)
    expected = np.array([[reference_eligibility(seekers, trainings, s, t, **caps) for t in range(trainings.n)]
                         for s in sample])
    np.testing.assert_array_equal(ok[sample], expected)
    assert ok.any()


def test_eligibility_requires_consent_prerequisites_and_the_dutch_minimum(small_market, eligible):
    seekers, trainings = small_market.seekers, small_market.trainings
    assert not eligible[~seekers.consent_matching].any()
    s, t = np.nonzero(eligible)
    assert np.all(seekers.dutch_cefr[s] >= trainings.min_dutch_cefr[t])
    assert np.all(seekers.eqf[s] >= trainings.min_eqf[t])
    assert not np.any(trainings.prerequisite[t] & ~seekers.hard[s])
    # the rules do bite on this market: someone lacks a prerequisite, someone the Dutch level
    with_prerequisite = np.flatnonzero(trainings.prerequisite.any(axis=1))
    lacking = (trainings.prerequisite[None, with_prerequisite] & ~seekers.hard[:, None, :]).any(axis=2)
    assert lacking.any() and not eligible[:, with_prerequisite][lacking].any()
    too_little_dutch = seekers.dutch_cefr[:, None] < trainings.min_dutch_cefr[None, :]
    assert too_little_dutch.any() and not eligible[too_little_dutch].any()


def test_eligibility_caps_drop_exactly_the_long_and_the_expensive_offers(small_market, eligible):
    seekers, trainings = small_market.seekers, small_market.trainings
    short = training_eligibility(seekers, trainings, max_weeks=3)
    cheap = training_eligibility(seekers, trainings, max_cost_eur=900)
    np.testing.assert_array_equal(short, eligible & (trainings.duration_weeks <= 3)[None, :])
    np.testing.assert_array_equal(cheap, eligible & (trainings.cost_eur <= 900)[None, :])
    assert eligible[:, trainings.duration_weeks > 3].any() and eligible[:, trainings.cost_eur > 900].any()


def test_an_offer_without_seats_is_open_to_nobody(small_market, eligible):
    trainings = replace_row(small_market.trainings, 0, seats=0)
    ok = training_eligibility(small_market.seekers, trainings)
    assert eligible[:, 0].any() and not ok[:, 0].any()
    np.testing.assert_array_equal(ok[:, 1:], eligible[:, 1:])


# --------------------------------------------------------------------------- generate_pathways


def test_boost_pathways_beat_the_direct_score_of_the_same_pair(small_market, direct, every_pathway):
    p = every_pathway
    boost = ~np.isnan(p.direct_score)
    assert boost.any() and (~boost).any()
    n_v = small_market.vacancies.n
    direct_keys = pair_keys(direct.seeker, direct.vacancy, n_v)
    order = np.argsort(direct_keys)
    keys = pair_keys(p.seeker, p.vacancy, n_v)
    position = np.minimum(np.searchsorted(direct_keys[order], keys), len(order) - 1)
    is_candidate = direct_keys[order][position] == keys
    # direct_score is set exactly when the pair is a direct candidate, and is its score then
    np.testing.assert_array_equal(is_candidate, boost)
    np.testing.assert_array_equal(p.direct_score[boost], direct.score[order][position][boost])
    assert np.all(p.score[boost] > p.direct_score[boost])


def test_pathways_use_eligible_trainings_and_are_scored_after_training(small_market, score_fn, eligible,
                                                                       every_pathway):
    m, p = small_market, every_pathway
    assert np.all(eligible[p.seeker, p.training])
    rows = np.arange(0, p.n, max(p.n // 200, 1))
    after = trained_profiles(m.seekers, m.trainings, p.seeker[rows], p.training[rows])
    expected = score_fn(after, m.vacancies, np.arange(len(rows)), p.vacancy[rows], p.distance_km[rows]) * COMPLETION
    np.testing.assert_allclose(p.score[rows], expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("per_seeker", [1, 3])
def test_at_most_per_seeker_pathways_are_kept_and_they_are_the_best(small_market, score_fn, direct, eligible,
                                                                    every_pathway, per_seeker):
    m = small_market
    kept = generate_pathways(m.seekers, m.vacancies, m.trainings, score_fn, direct, eligible=eligible,
                             completion_rate=COMPLETION, per_seeker=per_seeker)
    counts = np.bincount(kept.seeker, minlength=m.seekers.n)
    available = np.bincount(every_pathway.seeker, minlength=m.seekers.n)
    np.testing.assert_array_equal(counts, np.minimum(available, per_seeker))
    assert np.any(available > per_seeker), "the cut never binds"
    # each seeker keeps their best: the kept scores are the top of all their scores
    def best_first(p):
        order = np.lexsort((-p.score, p.seeker))
        rank = np.arange(p.n) - np.searchsorted(p.seeker[order], p.seeker[order], side="left")
        return p.seeker[order], p.score[order], rank

    seeker, score, rank = best_first(every_pathway)
    top = rank < per_seeker
    kept_seeker, kept_score, _ = best_first(kept)
    np.testing.assert_array_equal(kept_seeker, seeker[top])
    np.testing.assert_array_equal(kept_score, score[top])


def test_unlock_pathways_are_exactly_the_pairs_a_training_lets_through(small_market, eligible, every_pathway):
    """NaN direct score ⇔ the pair fails only on must-have/language and the trained profile passes."""
    seekers, vacancies, trainings = small_market.seekers, small_market.vacancies, small_market.trainings
    codes, failing, _ = knockout_codes(seekers, vacancies)
    elsewhere = (failing[Knockout.NO_CONSENT] | failing[Knockout.HOURS] | failing[Knockout.TRAVEL]
                 | failing[Knockout.SECTOR_EXCLUDED])
    only_fixable = ~elsewhere & (failing[Knockout.MUST_HAVE] | failing[Knockout.LANGUAGE])
    np.testing.assert_array_equal(only_fixable, np.isin(codes, [Knockout.LANGUAGE, Knockout.MUST_HAVE])
                                  & ~failing[Knockout.SECTOR_EXCLUDED])
    s, t = np.nonzero(eligible)
    after_codes, _, _ = knockout_codes(trained_profiles(seekers, trainings, s, t), vacancies)
    row, v = np.nonzero(only_fixable[s] & (after_codes == Knockout.FEASIBLE))
    expected = {(int(a), int(b), int(c)) for a, b, c in zip(s[row], t[row], v)}
    unlock = np.isnan(every_pathway.direct_score)
    found = {(int(a), int(b), int(c)) for a, b, c in zip(every_pathway.seeker[unlock], every_pathway.training[unlock],
                                                         every_pathway.vacancy[unlock])}
    assert len(expected) > 100
    assert found == expected


def test_a_course_granting_the_certificate_and_the_dutch_level_unlocks_a_pair_missing_both(small_market, score_fn):
    """The catalogue format allows a course with both ``grants_hard_skill`` and ``dutch_cefr_uplift``."""
    m = small_market
    # a vacancy with a must-have that one of the market's courses grants
    grantable = m.vacancies.must_have & m.trainings.grants.any(axis=0)[None, :]
    vacancy = int(np.flatnonzero(grantable.any(axis=1))[0])
    certificate = int(np.flatnonzero(grantable[vacancy])[0])
    course = int(np.flatnonzero(m.trainings.grants[:, certificate])[0])
    trainings = replace_row(m.trainings, course, dutch_cefr_uplift=1, min_dutch_cefr=1, min_eqf=1,
                            prerequisite=np.zeros(m.trainings.prerequisite.shape[1], dtype=bool))
    hard = np.ones(m.seekers.hard.shape[1], dtype=bool)
    hard[certificate] = False
    target_dutch = int(max(m.vacancies.min_dutch_cefr[vacancy], 2))
    vacancies = replace_row(m.vacancies, vacancy, min_dutch_cefr=target_dutch)
    seekers = replace_row(m.seekers.take([0]), 0, lat=vacancies.lat[vacancy], lon=vacancies.lon[vacancy],
                          hours_min=vacancies.hours_min[vacancy], hours_max=vacancies.hours_max[vacancy],
                          consent_matching=True, hard=hard, dutch_cefr=target_dutch - 1, eqf=8,
                          sector_excluded=np.zeros(m.seekers.sector_excluded.shape[1], dtype=bool))
    codes, failing, _ = knockout_codes(seekers, vacancies)
    assert failing[Knockout.MUST_HAVE][0, vacancy] and failing[Knockout.LANGUAGE][0, vacancy]
    after_codes, _, _ = knockout_codes(trained_profiles(seekers, trainings, [0], [course]), vacancies)
    assert after_codes[0, vacancy] == Knockout.FEASIBLE  # the course fixes both
    eligible = training_eligibility(seekers, trainings)
    assert eligible[0, course]
    direct = generate_candidates(seekers, vacancies, score_fn)
    pathways = generate_pathways(seekers, vacancies, trainings, score_fn, direct, eligible=eligible,
                                 per_seeker=10**6)
    assert np.any((pathways.training == course) & (pathways.vacancy == vacancy) & np.isnan(pathways.direct_score))


def test_near_misses_kept_by_the_candidate_stage_give_the_same_pathways(small_market, score_fn, direct, eligible,
                                                                        every_pathway):
    """The direct stage may hand over the pairs blocked only by must-haves or Dutch, so the
    pathway stage skips a second knock-out pass; the pathways must not change."""
    m = small_market
    with_near = generate_candidates(m.seekers, m.vacancies, score_fn, keep_near_misses=True)
    assert with_near.near_misses is not None and direct.near_misses is None
    np.testing.assert_array_equal(with_near.seeker, direct.seeker)
    np.testing.assert_array_equal(with_near.score, direct.score)
    near = with_near.near_misses
    codes, failing, _ = knockout_codes(m.seekers, m.vacancies)
    only_skills_or_dutch = (failing[Knockout.MUST_HAVE] | failing[Knockout.LANGUAGE]) & ~(
        failing[Knockout.NO_CONSENT] | failing[Knockout.HOURS] | failing[Knockout.TRAVEL]
        | failing[Knockout.SECTOR_EXCLUDED])
    assert only_skills_or_dutch[near.seeker, near.vacancy].all()
    assert len(near.seeker) == only_skills_or_dutch.sum()
    again = generate_pathways(m.seekers, m.vacancies, m.trainings, score_fn, with_near, eligible=eligible,
                              completion_rate=COMPLETION, per_seeker=10**6)

    def rows(p):
        order = np.lexsort((p.vacancy, p.training, p.seeker))
        return np.c_[p.seeker[order], p.training[order], p.vacancy[order]], p.score[order]

    (keys_a, score_a), (keys_b, score_b) = rows(every_pathway), rows(again)
    np.testing.assert_array_equal(keys_a, keys_b)
    np.testing.assert_allclose(score_a, score_b, rtol=1e-6)


@given(st.lists(st.integers(0, 199), max_size=300), st.sampled_from([200, 10**7]))
def test_distinct_combos_equal_numpy_unique(combos, n_cells):
    # Both branches: the dense marking (small grid) and np.unique (grid far larger than the input).
    combo = np.asarray(combos, dtype=np.int64)
    distinct, row = _distinct_combos(combo, n_cells)
    expected, expected_row = np.unique(combo, return_inverse=True)
    np.testing.assert_array_equal(distinct, expected)
    np.testing.assert_array_equal(row, expected_row)
