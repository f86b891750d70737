"""import(export(v)) == v for every field a schema.org JobPosting carries."""

from __future__ import annotations

import json
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from passport.models import Location, Vacancy
from passport.taxonomy import CEFR_LEVELS, load_taxonomy
from service.api.jobposting import jobposting_from_vacancy, vacancy_from_jobposting

TAXONOMY = load_taxonomy()


@st.composite
def vacancies(draw) -> Vacancy:
    """Any vacancy an employer can post: an occupation profile with any of the posting's fields changed."""
    occupation_id = draw(st.sampled_from(TAXONOMY.occupation_ids))
    hard = st.sampled_from(TAXONOMY.hard_skill_ids)
    must_have = draw(st.lists(hard, unique=True, max_size=5))
    nice_to_have = draw(st.lists(hard.filter(lambda h: h not in must_have), unique=True, max_size=5))
    hours_min = draw(st.integers(1, 48))
    location = Location(lat=draw(st.floats(-90, 90, allow_nan=False)), lon=draw(st.floats(-180, 180, allow_nan=False)),
                        municipality_id=draw(st.none() | st.sampled_from(list(TAXONOMY.municipalities.index))))
    return Vacancy.from_occupation(
        TAXONOMY, occupation_id, vacancy_id="vac-1", employer_id="org-1", location=location,
        openings=draw(st.integers(1, 10_000)),
        title=draw(st.text(min_size=1, max_size=200).filter(str.strip)),
        hours_min=hours_min, hours_max=draw(st.integers(hours_min, 48)),
        min_dutch_cefr=draw(st.sampled_from(CEFR_LEVELS)), min_eqf=draw(st.integers(1, 8)),
        must_have=must_have, nice_to_have=nice_to_have)


@settings(max_examples=150, deadline=None)
@given(vacancies())
def test_import_of_export_is_the_vacancy(vacancy):
    posting = jobposting_from_vacancy(vacancy, TAXONOMY, employer_name="Any BV", date_posted=date(2026, 11, 1))
    wire = json.loads(json.dumps(posting.model_dump(by_alias=True, exclude_none=True, mode="json")))
    imported = vacancy_from_jobposting(wire, TAXONOMY, vacancy_id=vacancy.vacancy_id, employer_id=vacancy.employer_id)
    assert imported.vacancy == vacancy
    assert all(note.target is None for note in imported.notes if note.property in ("hiringOrganization", "identifier"))
