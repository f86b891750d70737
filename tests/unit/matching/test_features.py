from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, stats

from matching.features import CORE_FEATURES, OCCUPATION_FEATURES, feature_names, pair_features, pair_features_frame, skill_fit_terms


@pytest.mark.parametrize("level,se,required", [(3.0, 0.4, 3.5), (2.0, 1.0, 4.0), (4.5, 0.3, 3.0)])
def test_expected_shortfall_and_surplus_match_numerical_integration(level, se, required):
    density = stats.norm(level, se).pdf
    shortfall = integrate.quad(lambda t: (required - t) * density(t), -np.inf, required)[0]
    surplus = integrate.quad(lambda t: (t - required) * density(t), required, np.inf)[0]
    p_meet, got_short, got_surplus = skill_fit_terms(level, se, required, tolerance=0.0)
    assert got_short == pytest.approx(shortfall, abs=1e-4)
    assert got_surplus == pytest.approx(min(surplus, 1.0), abs=1e-4)
    assert p_meet == pytest.approx(1 - stats.norm(level, se).cdf(required), abs=1e-5)


def test_a_more_certain_passport_meets_a_requirement_it_clears_more_surely():
    sure, _, _ = skill_fit_terms(4.0, 0.2, 3.0)
    unsure, _, _ = skill_fit_terms(4.0, 1.2, 3.0)
    assert sure > unsure


def test_feature_schema_is_core_then_clusters_then_occupation_then_levels(taxonomy):
    names = feature_names(taxonomy)
    assert names[: len(CORE_FEATURES)] == CORE_FEATURES
    clusters = tuple(f"p_meet_{c}" for c in taxonomy.clusters)
    at = len(CORE_FEATURES) + len(clusters)
    assert names[len(CORE_FEATURES):at] == clusters
    assert names[at:at + len(OCCUPATION_FEATURES)] == OCCUPATION_FEATURES
    assert names[at + len(OCCUPATION_FEATURES):] == tuple(f"level_{k}" for k in taxonomy.skill_ids)


def test_occupation_features_compare_the_seeker_with_the_occupation_profile(small_market, taxonomy):
    s, v = np.arange(40), np.arange(40) % small_market.vacancies.n
    frame = pair_features_frame(small_market.seekers, small_market.vacancies, s, v, taxonomy)
    occupation = small_market.vacancies.occupation[v]
    essential = np.asarray(taxonomy.occupation_essential)[occupation]
    lacking = (essential & ~small_market.seekers.hard[s]).sum(axis=1)
    assert np.array_equal(frame["occupation_essential_missing"].to_numpy(), lacking)
    usual = taxonomy.occupations["eqf_level"].to_numpy()[occupation]
    assert np.array_equal(frame["occupation_eqf_gap"].to_numpy(), small_market.seekers.eqf[s] - usual)
    first_level = f"level_{taxonomy.skill_ids[0]}"
    assert np.allclose(frame[first_level].to_numpy(), small_market.seekers.levels[s, 0])


def test_pair_features_are_finite_and_in_range(small_market, taxonomy):
    s = np.arange(50)
    v = np.arange(50) % small_market.vacancies.n
    frame = pair_features_frame(small_market.seekers, small_market.vacancies, s, v, taxonomy)
    assert np.isfinite(frame.to_numpy()).all()
    assert frame["fit_p_meet"].between(0, 1).all()
    assert frame["nice_to_have_coverage"].between(0, 1).all()
    assert frame["hours_overlap"].between(0, 1).all()
    assert set(frame["sector_match"].unique()) <= {0.0, 1.0}


def test_protected_attributes_are_not_reachable_from_pair_features(small_market, taxonomy):
    # The seeker arrays the features read carry no group attributes at all.
    fields = set(small_market.seekers.__dataclass_fields__)
    assert not fields & {"gender", "age", "age_band", "migration_background", "origin"}
    X = pair_features(small_market.seekers, small_market.vacancies, np.array([0]), np.array([0]), taxonomy)
    assert X.shape == (1, len(feature_names(taxonomy)))


def test_the_fast_normal_cdf_matches_scipy_within_float32_resolution():
    from scipy.special import ndtr

    from matching.features import normal_cdf_and_pdf

    z = np.linspace(-12.0, 12.0, 400_001)
    cdf64, pdf64 = normal_cdf_and_pdf(z)
    assert np.abs(cdf64 - ndtr(z)).max() < 1e-7
    assert np.allclose(pdf64, np.exp(-0.5 * z * z) / np.sqrt(2 * np.pi), rtol=1e-12)
    cdf32, _ = normal_cdf_and_pdf(z.astype(np.float32))
    assert cdf32.dtype == np.float32
    assert np.abs(cdf32 - ndtr(z)).max() < 5e-7
    # Monotone, as the scorer's monotonicity guarantees need.
    assert np.all(np.diff(cdf64) >= -1e-12)


@settings(max_examples=30, deadline=None)
@given(cut=st.integers(1, 2_999), chunk=st.sampled_from([1, 7, 64, 4_096]))
def test_a_pairs_features_do_not_depend_on_the_batch_it_is_in(small_market, taxonomy, cut, chunk):
    import matching.features as features

    rng = np.random.default_rng(1)
    s = rng.integers(0, small_market.seekers.n, 3_000)
    v = rng.integers(0, small_market.vacancies.n, 3_000)
    whole = pair_features(small_market.seekers, small_market.vacancies, s, v, taxonomy)
    default, features.PAIR_CHUNK = features.PAIR_CHUNK, chunk
    try:
        parts = [pair_features(small_market.seekers, small_market.vacancies, s[a:b], v[a:b], taxonomy)
                 for a, b in ((0, cut), (cut, 3_000))]
    finally:
        features.PAIR_CHUNK = default
    np.testing.assert_array_equal(np.concatenate(parts), whole)
