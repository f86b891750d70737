from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from matching.synthetic import MarketConfig, generate_market


def arrays_equal(a, b) -> bool:
    return all(np.array_equal(getattr(a, f.name), getattr(b, f.name)) for f in dataclasses.fields(a))


def test_same_seed_gives_the_same_market(taxonomy):
    one = generate_market(n_seekers=300, n_vacancies=80, seed=5, taxonomy=taxonomy)
    two = generate_market(n_seekers=300, n_vacancies=80, seed=5, taxonomy=taxonomy)
    assert arrays_equal(one.seekers, two.seekers)
    assert arrays_equal(one.vacancies, two.vacancies)
    assert arrays_equal(one.trainings, two.trainings)
    assert one.groups.equals(two.groups)
    np.testing.assert_array_equal(one.truth.true_levels, two.truth.true_levels)


def test_another_seed_gives_another_market(taxonomy):
    one = generate_market(n_seekers=300, n_vacancies=80, seed=5, taxonomy=taxonomy)
    two = generate_market(n_seekers=300, n_vacancies=80, seed=6, taxonomy=taxonomy)
    assert not np.array_equal(one.seekers.levels, two.seekers.levels)


def test_sizes_and_ranges(small_market, taxonomy):
    s, v = small_market.seekers, small_market.vacancies
    assert s.levels.shape == (600, taxonomy.n_soft_skills)
    assert (s.levels >= 1).all() and (s.levels <= 5).all() and (s.se > 0).all()
    assert v.openings.min() >= 1 and small_market.trainings.n == 20
    assert set(np.unique(s.eqf)) <= set(range(1, 9))


def test_soft_skills_are_correlated_more_within_a_cluster_than_across(taxonomy):
    market = generate_market(n_seekers=20_000, n_vacancies=10, seed=2, taxonomy=taxonomy)
    corr = np.corrcoef(market.truth.true_levels.T)
    cluster = taxonomy.skill_cluster_index
    same = cluster[:, None] == cluster[None, :]
    off_diagonal = ~np.eye(len(cluster), dtype=bool)
    assert corr[same & off_diagonal].mean() > corr[~same].mean() + 0.1
    assert corr[~same].mean() > 0.05  # a general factor links all skills


def test_observed_passports_scatter_around_the_truth_with_the_stated_error(taxonomy):
    market = generate_market(n_seekers=20_000, n_vacancies=10, seed=3, taxonomy=taxonomy)
    s = market.seekers
    measured = s.measured & (market.truth.true_levels > 1.5) & (market.truth.true_levels < 4.5)
    z = (s.levels - market.truth.true_levels)[measured] / s.se[measured]
    assert abs(z.mean()) < 0.05 and 0.9 < z.std() < 1.1
    assert 0.85 < s.measured.mean() < 0.97


def test_national_geography_spreads_over_the_country(taxonomy):
    market = generate_market(n_seekers=3000, n_vacancies=100, seed=1, geography="national", taxonomy=taxonomy)
    assert market.seekers.lat.max() - market.seekers.lat.min() > 2.0
    regional = generate_market(n_seekers=3000, n_vacancies=100, seed=1, taxonomy=taxonomy)
    assert regional.seekers.lat.max() - regional.seekers.lat.min() < 1.0


def test_ground_truth_gives_probabilities_that_reward_fit(small_market):
    truth, s, v = small_market.truth, small_market.seekers, small_market.vacancies
    rng = np.random.default_rng(0)
    si, vi = rng.integers(0, s.n, 2000), rng.integers(0, v.n, 2000)
    p = truth.probability(s, v, si, vi)
    assert ((p > 0) & (p < 1)).all()
    skilled = dataclasses.replace(truth, true_levels=np.full_like(truth.true_levels, 5.0))
    assert (skilled.probability(s, v, si, vi) >= p).all()


@pytest.mark.parametrize("bad", [{"n_seekers": 0}, {"geography": "mars"}, {"general_loading": 0.9, "cluster_loading": 0.9}])
def test_bad_config_is_refused_with_the_field_named(bad):
    with pytest.raises(ValueError, match=next(iter(bad)).split("_")[0]):
        MarketConfig(**bad)
