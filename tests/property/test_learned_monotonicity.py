"""Better fit never lowers the learned probability; order of the rows never changes a score."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matching.features import pair_features
from tests.strategies import skill_levels, standard_errors


@pytest.fixture(scope="module")
def model(taxonomy):
    from matching.synthetic import generate_market
    from matching.synthetic.history import generate_history
    from matching.training import train_placement_model

    market = generate_market(n_seekers=1_500, n_vacancies=400, seed=31, passports="noise", taxonomy=taxonomy)
    return train_placement_model(generate_history(market, years=2, seed=3), max_iter=150).model


def _score(model, seekers, vacancies, taxonomy):
    X = pair_features(seekers, vacancies, np.array([0]), np.array([0]), taxonomy)
    return model.score_pairs(X)[0]


@settings(max_examples=40, deadline=None)
@given(skill=st.integers(0, 19), raise_by=st.floats(0.0, 2.0), level=skill_levels, se=standard_errors)
def test_raising_a_seeker_level_never_lowers_the_learned_probability(model, small_market, taxonomy, skill,
                                                                      raise_by, level, se):
    seekers, vacancies = small_market.seekers.take([0]), small_market.vacancies.take([0])
    levels, ses = seekers.levels.copy(), seekers.se.copy()
    levels[0, skill], ses[0, skill] = level, se
    before = dataclasses.replace(seekers, levels=levels, se=ses)
    higher = levels.copy()
    higher[0, skill] = min(level + raise_by, 5.0)
    after = dataclasses.replace(seekers, levels=higher, se=ses)
    assert _score(model, after, vacancies, taxonomy) >= _score(model, before, vacancies, taxonomy) - 1e-9


@settings(max_examples=40, deadline=None)
@given(extra_km=st.floats(0.0, 60.0), pair=st.integers(0, 99))
def test_a_longer_commute_never_raises_the_learned_probability(model, small_market, taxonomy, extra_km, pair):
    s, v = np.array([pair % small_market.seekers.n]), np.array([pair % small_market.vacancies.n])
    X = pair_features(small_market.seekers, small_market.vacancies, s, v, taxonomy, distance_km=np.array([5.0]))
    X_far = pair_features(small_market.seekers, small_market.vacancies, s, v, taxonomy,
                          distance_km=np.array([5.0 + extra_km]))
    assert model.score_pairs(X_far)[0] <= model.score_pairs(X)[0] + 1e-9


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_scores_do_not_depend_on_row_order(model, small_market, taxonomy, seed):
    rng = np.random.default_rng(seed)
    s = rng.integers(0, small_market.seekers.n, 64)
    v = rng.integers(0, small_market.vacancies.n, 64)
    X = pair_features(small_market.seekers, small_market.vacancies, s, v, taxonomy)
    order = rng.permutation(64)
    assert np.array_equal(model.score_pairs(X)[order], model.score_pairs(X[order]))
