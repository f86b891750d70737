"""Raising a seeker's level never lowers the score; raising a requirement never raises it."""

from __future__ import annotations

import dataclasses

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from matching import RuleBasedScorer
from matching.features import pair_features, skill_fit_terms
from tests.strategies import skill_levels, standard_errors


def score_of(seekers, vacancies, taxonomy):
    X = pair_features(seekers, vacancies, np.array([0]), np.array([0]), taxonomy)
    return RuleBasedScorer().fit(X).predict_proba(X)[0, 1]


def one_pair(small_market):
    return small_market.seekers.take([0]), small_market.vacancies.take([0])


@given(skill=st.integers(0, 19), raise_by=st.floats(0.0, 2.0), level=skill_levels, se=standard_errors)
def test_raising_a_seeker_level_never_lowers_the_score(small_market, taxonomy, skill, raise_by, level, se):
    seekers, vacancies = one_pair(small_market)
    levels = seekers.levels.copy()
    levels[0, skill] = level
    ses = seekers.se.copy()
    ses[0, skill] = se
    before = dataclasses.replace(seekers, levels=levels, se=ses)
    higher = levels.copy()
    higher[0, skill] = min(level + raise_by, 5.0)
    after = dataclasses.replace(seekers, levels=higher, se=ses)
    assert score_of(after, vacancies, taxonomy) >= score_of(before, vacancies, taxonomy) - 1e-6


@given(skill=st.integers(0, 19), raise_by=st.floats(0.0, 2.0), requirement=skill_levels)
def test_raising_a_requirement_never_raises_the_score(small_market, taxonomy, skill, raise_by, requirement):
    seekers, vacancies = one_pair(small_market)
    required = vacancies.required.copy()
    required[0, skill] = requirement
    before = dataclasses.replace(vacancies, required=required)
    stricter = required.copy()
    stricter[0, skill] = min(requirement + raise_by, 5.0)
    after = dataclasses.replace(vacancies, required=stricter)
    assert score_of(seekers, after, taxonomy) <= score_of(seekers, before, taxonomy) + 1e-6


@given(level=skill_levels, se=standard_errors, required=skill_levels, step=st.floats(0.0, 1.0))
def test_fit_terms_move_the_right_way_with_the_level(level, se, required, step):
    p0, short0, surplus0 = skill_fit_terms(level, se, required)
    p1, short1, surplus1 = skill_fit_terms(level + step, se, required)
    assert p1 >= p0 - 1e-6 and short1 <= short0 + 1e-6 and surplus1 >= surplus0 - 1e-6
    assert 0.0 <= p0 <= 1.0 and short0 >= 0.0 and 0.0 <= surplus0 <= 1.0
