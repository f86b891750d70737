"""Evidence combination: each rule of passport.evidence on hand-made cases, plus invariants."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from passport.errors import RecordReferenceError
from passport.evidence import (
    SELF_DECLARED_MIN_SE,
    STALE_AFTER,
    check_profile_follows_evidence,
    combine_skill_evidence,
    profile_from_evidence,
)
from passport.models import (
    PRIOR_LEVEL,
    PRIOR_SE,
    Location,
    Passport,
    SkillEstimate,
    SkillEvidence,
    SkillProfile,
)
from tests.strategies import skill_evidence

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=timezone.utc)
SKILL = "active_listening"


def item(source, level=None, se=None, *, days=0, by="skillsprint", reference=None, uplift=None):
    return SkillEvidence(skill_id=SKILL, source=source, level=level, se=se, uplift=uplift,
                         observed_at=T0 + timedelta(days=days), recorded_by=by, reference=reference)


def test_no_evidence_leaves_the_skill_unmeasured():
    assert combine_skill_evidence([]) is None


def test_one_measurement_is_taken_as_it_is():
    combined = combine_skill_evidence([item("assessed", 3.4, 0.4)])
    assert (combined.level, combined.se, combined.basis) == (3.4, 0.4, "assessed")


def test_comparable_measurements_are_precision_weighted():
    combined = combine_skill_evidence([item("assessed", 3.0, 0.5, reference="s1"),
                                       item("assessed", 4.0, 0.5, reference="s1"),
                                       item("verified", 5.0, 1.0, days=2, by="employer:acme")])
    weights = [4.0, 4.0, 1.0]
    assert combined.level == pytest.approx((3.0 * 4 + 4.0 * 4 + 5.0) / sum(weights))
    assert combined.se == pytest.approx(sum(weights) ** -0.5)
    assert combined.basis == "verified"
    assert combined.se < 0.5  # combining never loses precision


def test_a_newer_assessment_supersedes_an_older_one():
    combined = combine_skill_evidence([item("assessed", 2.0, 0.3, reference="old"),
                                       item("assessed", 4.0, 0.6, days=30, reference="new")])
    assert (combined.level, combined.se) == (4.0, 0.6)
    assert combined.used == (1,)


def test_a_verifier_newer_rating_replaces_their_own_older_one_only():
    combined = combine_skill_evidence([item("verified", 2.0, 0.5, by="employer:a"),
                                       item("verified", 4.0, 0.5, days=5, by="employer:a"),
                                       item("verified", 3.0, 0.5, days=1, by="employer:b")])
    assert combined.level == pytest.approx(3.5)
    assert combined.used == (1, 2)


def test_stale_measurements_are_dropped():
    combined = combine_skill_evidence([item("verified", 2.0, 0.2, by="employer:a"),
                                       item("assessed", 4.0, 0.5, days=STALE_AFTER.days + 1)])
    assert (combined.level, combined.basis) == (4.0, "assessed")


def test_self_declared_never_overrides_a_measurement():
    combined = combine_skill_evidence([item("assessed", 2.5, 0.4),
                                       item("self_declared", 5.0, 0.1, days=100, by="holder")])
    assert (combined.level, combined.se, combined.basis) == (2.5, 0.4, "assessed")


def test_self_declared_alone_counts_with_a_wide_error():
    combined = combine_skill_evidence([item("self_declared", 4.5, 0.2, by="holder"),
                                       item("self_declared", 4.0, 0.2, days=3, by="holder")])
    assert (combined.level, combined.se, combined.basis) == (4.0, SELF_DECLARED_MIN_SE, "self_declared")


def test_a_training_after_the_measurement_raises_the_level_and_widens_the_error():
    combined = combine_skill_evidence([item("assessed", 3.0, 0.4), item("training", uplift=0.6, days=40, by="vca")])
    assert combined.level == pytest.approx(3.6)
    assert combined.se == pytest.approx((0.4**2 + 0.3**2) ** 0.5)
    assert combined.basis == "training"


def test_a_training_before_the_measurement_is_already_in_it():
    combined = combine_skill_evidence([item("training", uplift=0.6, by="vca"), item("assessed", 3.0, 0.4, days=40)])
    assert (combined.level, combined.se, combined.basis) == (3.0, 0.4, "assessed")


def test_a_training_on_an_unmeasured_skill_starts_from_the_prior_and_stays_uncertain():
    combined = combine_skill_evidence([item("training", uplift=1.0, by="course")])
    assert combined.level == pytest.approx(PRIOR_LEVEL + 1.0)
    assert combined.se > PRIOR_SE


def test_uplift_stops_at_the_top_of_the_scale():
    combined = combine_skill_evidence([item("assessed", 4.8, 0.2), item("training", uplift=2.0, days=1, by="c")])
    assert combined.level == 5.0


def test_a_profile_that_does_not_follow_from_its_evidence_is_refused():
    evidence = [item("assessed", 3.0, 0.4)]
    edited = SkillProfile(skills={SKILL: SkillEstimate(level=4.5, se=0.4)})
    passport = Passport(passport_id="p", holder_id="h", education_eqf=2, location=Location(lat=51.4, lon=5.5),
                        evidence=evidence, profile=edited)
    with pytest.raises(RecordReferenceError, match="profile.skills.active_listening"):
        check_profile_follows_evidence(passport)
    check_profile_follows_evidence(passport.model_copy(update={"profile": profile_from_evidence(evidence)}))


def test_evidence_items_check_their_own_shape():
    with pytest.raises(ValueError, match="training evidence carries an uplift"):
        item("training", 3.0, 0.4)
    with pytest.raises(ValueError, match="assessed evidence carries a level and an se"):
        item("assessed", uplift=0.5)
    with pytest.raises(ValueError, match="timezone"):
        SkillEvidence(skill_id=SKILL, source="assessed", level=3, se=0.5, observed_at=datetime(2026, 1, 1),
                      recorded_by="x")


@given(st.lists(skill_evidence([SKILL]), min_size=1, max_size=8), st.randoms(use_true_random=False))
def test_combination_does_not_depend_on_the_order_evidence_arrives_in(evidence, random):
    shuffled = list(evidence)
    random.shuffle(shuffled)
    first, second = combine_skill_evidence(evidence), combine_skill_evidence(shuffled)
    assert first.basis == second.basis
    assert first.level == pytest.approx(second.level) and first.se == pytest.approx(second.se)


@given(st.lists(skill_evidence([SKILL]), min_size=1, max_size=8))
def test_combined_levels_stay_on_the_scale_with_a_positive_error(evidence):
    combined = combine_skill_evidence(evidence)
    assert 1.0 <= combined.level <= 5.0 and combined.se > 0


@given(st.lists(skill_evidence([SKILL]), max_size=6), st.tuples(st.floats(1, 5), st.floats(0.05, 1.5)))
def test_adding_self_declared_evidence_never_moves_a_measured_skill(evidence, level_and_se):
    if not any(e.source in ("assessed", "verified") for e in evidence):
        return
    before = combine_skill_evidence(evidence)
    declared = item("self_declared", *level_and_se, days=2000, by="holder")
    after = combine_skill_evidence([*evidence, declared])
    assert (after.level, after.se) == (before.level, before.se)


def test_ties_in_time_do_not_depend_on_arrival_order():
    a = item("assessed", 4.0, 0.4, reference="session-a")
    b = item("assessed", 2.0, 0.4, reference="session-b")
    assert combine_skill_evidence([a, b]).level == combine_skill_evidence([b, a]).level
    c, d = item("verified", 4.0, 0.5, by="employer:x"), item("verified", 2.0, 0.5, by="employer:x")
    assert combine_skill_evidence([c, d]).level == combine_skill_evidence([d, c]).level


def test_one_training_recorded_twice_counts_once():
    course = item("training", uplift=0.5, days=10, by="course:vca", reference="enrolment-1")
    once = combine_skill_evidence([item("assessed", 3.0, 0.4), course])
    twice = combine_skill_evidence([item("assessed", 3.0, 0.4), course, course])
    assert once.level == twice.level == pytest.approx(3.5)
