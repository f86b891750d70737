from __future__ import annotations

import json

import numpy as np
import pytest
from pydantic import ValidationError

from passport.errors import RecordReferenceError
from passport.models import (PUBLISHED_SCHEMAS, SCHEMA_DIR, Location, Passport, Preferences, SkillEstimate,
                             SkillProfile, Vacancy, json_schema)
from passport.population import SeekerArrays, VacancyArrays

EINDHOVEN = Location(lat=51.44, lon=5.48, municipality_id="eindhoven")


def make_passport(**overrides) -> Passport:
    fields = dict(passport_id="p1", holder_id="h1", education_eqf=2, location=EINDHOVEN,
                  profile=SkillProfile(skills={"active_listening": SkillEstimate(level=3.5, se=0.4)}),
                  languages=[{"language": "nl", "cefr": "B1"}], hard_skills=[{"hard_skill_id": "vca_basic"}])
    fields.update(overrides)
    return Passport(**fields)


def test_a_valid_passport_round_trips_through_json():
    passport = make_passport()
    assert Passport.model_validate_json(passport.model_dump_json()) == passport


@pytest.mark.parametrize("field,value,message", [
    ("education_eqf", 9, "education_eqf"),
    ("languages", [{"language": "nl", "cefr": "D1"}], "languages.0.cefr"),
    ("preferences", {"hours_min": 40, "hours_max": 20}, "hours_min must not exceed hours_max"),
    ("hard_skills", [{"hard_skill_id": "vca_basic"}, {"hard_skill_id": "vca_basic"}], "listed twice"),
])
def test_invalid_passports_name_the_field(field, value, message):
    with pytest.raises(ValidationError, match=message):
        make_passport(**{field: value})


def test_a_skill_level_outside_the_scale_is_refused():
    with pytest.raises(ValidationError, match="level"):
        SkillEstimate(level=5.5, se=0.3)


def test_unknown_references_are_named(taxonomy):
    bad = make_passport(profile=SkillProfile(skills={"juggling": SkillEstimate(level=3, se=0.5)}))
    with pytest.raises(RecordReferenceError, match="profile.skills.juggling"):
        bad.check_references(taxonomy)
    bad = make_passport(hard_skills=[{"hard_skill_id": "pilot_licence"}])
    with pytest.raises(RecordReferenceError, match=r"hard_skills\[0\].hard_skill_id"):
        bad.check_references(taxonomy)
    bad = make_passport(preferences=Preferences(sectors=["space"]))
    with pytest.raises(RecordReferenceError, match=r"preferences.sectors\[0\]"):
        bad.check_references(taxonomy)


def test_unmeasured_skills_carry_the_prior(taxonomy):
    levels, se, measured = make_passport().profile.to_arrays(taxonomy)
    k = taxonomy.skill_index("active_listening")
    assert measured.sum() == 1 and measured[k]
    assert levels[k] == 3.5 and se[k] == 0.4
    assert np.all(se[~measured] == 1.0) and np.all(levels[~measured] == 3.0)


def test_profile_vectors_round_trip(taxonomy):
    rng = np.random.default_rng(0)
    levels = rng.uniform(1, 5, taxonomy.n_soft_skills)
    se = rng.uniform(0.2, 0.8, taxonomy.n_soft_skills)
    back_levels, back_se, measured = SkillProfile.from_arrays(taxonomy, levels, se).to_arrays(taxonomy)
    np.testing.assert_allclose(back_levels, levels)
    np.testing.assert_allclose(back_se, se)
    assert measured.all()


def test_a_vacancy_starts_from_an_occupation_profile(taxonomy):
    vacancy = Vacancy.from_occupation(taxonomy, "heat_pump_technician", vacancy_id="v1", employer_id="e1",
                                      location=EINDHOVEN, openings=2)
    vacancy.check_references(taxonomy)
    assert set(vacancy.must_have) == {"install_heat_pump", "fgas_cat1", "vca_basic"}
    assert vacancy.requirements["safety_awareness"].level == 4
    with pytest.raises(RecordReferenceError, match="occupation_id"):
        Vacancy.from_occupation(taxonomy, "astronaut", vacancy_id="v", employer_id="e", location=EINDHOVEN)


def test_a_vacancy_listing_a_skill_as_must_and_nice_is_refused(taxonomy):
    with pytest.raises(ValidationError, match="both must-have and nice-to-have"):
        Vacancy.from_occupation(taxonomy, "welder", vacancy_id="v", employer_id="e", location=EINDHOVEN,
                                nice_to_have=["welding_cert"])


def test_population_arrays_follow_the_records(taxonomy):
    passports = [make_passport(passport_id=f"p{i}") for i in range(3)]
    seekers = SeekerArrays.from_passports(passports, taxonomy)
    assert seekers.levels.shape == (3, taxonomy.n_soft_skills)
    assert seekers.hard[:, taxonomy.hard_skill_index("vca_basic")].all()
    assert (seekers.dutch_cefr == 3).all() and not seekers.consent_matching.any()
    vacancy = Vacancy.from_occupation(taxonomy, "welder", vacancy_id="v1", employer_id="e", location=EINDHOVEN)
    vacancies = VacancyArrays.from_vacancies([vacancy], taxonomy)
    assert vacancies.must_have[0, taxonomy.hard_skill_index("welding_cert")]
    assert taxonomy.sectors[vacancies.sector[0]] == "industry"


@pytest.mark.parametrize("name", PUBLISHED_SCHEMAS)
def test_published_json_schemas_match_the_models(name):
    published = json.loads((SCHEMA_DIR / f"{name}.schema.json").read_text())
    assert published == json.loads(json.dumps(json_schema(name))), "run `skillpass schema --write`"
