"""schema.org JobPosting import and export over HTTP."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from passport.models import Vacancy
from service.api.app import create_app
from service.db import catalogue
from service.db.tables import VacancyRecord
from service.settings import Settings

LD_JSON = "application/ld+json"
HEAT_PUMP_ESCO = "http://data.europa.eu/esco/occupation/8234eee9-1647-460d-8d62-7fe02cb884b0"
POSTING = {
    "@context": "https://schema.org", "@type": "JobPosting",
    "title": "Warmtepompmonteur (m/v)",
    "occupationalCategory": HEAT_PUMP_ESCO,
    "hiringOrganization": {"@type": "Organization", "name": "Someone Else BV"},
    "jobLocation": {"@type": "Place", "address": {"@type": "PostalAddress", "addressLocality": "Mierlo"}},
    "totalJobOpenings": 3,
    "workHours": "32 tot 38 uur per week",
    "qualifications": "VCA Basis en een rijbewijs B (Driving licence B (car)). Nederlands op B1-niveau.",
    "educationRequirements": {"@type": "EducationalOccupationalCredential", "credentialCategory": "MBO niveau 3"},
    "skills": "Ervaring met Solderen is mooi meegenomen; Elektronica solderen",
    "baseSalary": {"@type": "MonetaryAmount", "currency": "EUR", "value": 3200},
    "datePosted": "2026-10-01",
}


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    return create_app(Settings(data_dir=tmp_path_factory.mktemp("jobposting"), seed_demo=False,
                               secret_key="test-secret"), start_worker=False)


@pytest.fixture(scope="module")
def client(app):
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def employer(people):
    return people.actor("employer", people.organisation("employer", "Installatietechniek Brabant"))


def import_posting(client, employer, posting, **params):
    return client.post("/vacancies/import", content=json.dumps(posting), params=params,
                       headers={**employer.headers, "Content-Type": LD_JSON})


def stored(app, employer) -> int:
    with app.state.ctx.sessions() as db:
        return db.query(VacancyRecord).filter(VacancyRecord.employer_id == employer.organisation_id).count()


def catalogue_version(app) -> int:
    with app.state.ctx.sessions() as db:
        return catalogue.version(db, "vacancies")


def notes_on(body, prop: str) -> list[str]:
    return [n["message"] for n in body["notes"] if n["property"] == prop]


def test_a_job_board_posting_becomes_a_vacancy_with_notes(client, employer, app):
    taxonomy = app.state.ctx.taxonomy
    response = import_posting(client, employer, POSTING)
    assert response.status_code == 201, response.text
    body = response.json()
    vacancy = body["vacancy"]["vacancy"]
    assert body["vacancy"]["employer_id"] == employer.organisation_id  # not "Someone Else BV"
    assert vacancy["occupation_id"] == "heat_pump_technician" and vacancy["title"] == "Warmtepompmonteur (m/v)"
    assert vacancy["location"]["municipality_id"] == "geldrop_mierlo"
    assert (vacancy["openings"], vacancy["hours_min"], vacancy["hours_max"]) == (3, 32, 38)
    assert (vacancy["min_eqf"], vacancy["min_dutch_cefr"]) == (3, "B1")
    profile = Vacancy.from_occupation(taxonomy, "heat_pump_technician", vacancy_id="x", employer_id="x",
                                      location=vacancy["location"])
    # Free text adds to the occupation's lists; it never drops what the occupation needs.
    assert vacancy["must_have"][:len(profile.must_have)] == profile.must_have
    assert "driving_b" in vacancy["must_have"] and "driving_b" not in vacancy["nice_to_have"]
    assert "solder_electronics" in vacancy["nice_to_have"]
    assert {k: v["level"] for k, v in vacancy["requirements"].items()} == \
        {k: r.level for k, r in profile.requirements.items()}
    assert any("your own organisation" in m for m in notes_on(body, "hiringOrganization"))
    assert notes_on(body, "baseSalary") and notes_on(body, "datePosted")
    assert any(n["target"] == "requirements" for n in body["notes"])


def test_an_isco_code_shared_by_occupations_is_settled_by_the_title(client, employer):
    isco = {"@type": "CategoryCode", "inCodeSet": "ISCO-08", "codeValue": "5321"}
    posting = {**POSTING, "occupationalCategory": isco, "title": "Zorgassistent"}
    body = import_posting(client, employer, posting).json()
    assert body["vacancy"]["vacancy"]["occupation_id"] == "healthcare_assistant"
    assert any("covers" in m for m in notes_on(body, "occupationalCategory"))


def test_occupation_from_a_label_or_from_the_title(client, employer):
    by_label = import_posting(client, employer, {**POSTING, "occupationalCategory": "Lasser"}).json()
    assert by_label["vacancy"]["vacancy"]["occupation_id"] == "welder"
    untitled = {k: v for k, v in POSTING.items() if k != "occupationalCategory"} | {"title": "Heftruckchauffeur"}
    by_title = import_posting(client, employer, untitled).json()
    assert by_title["vacancy"]["vacancy"]["occupation_id"] == "forklift_operator"
    assert any(n["property"] == "title" and n["target"] == "occupation_id" for n in by_title["notes"])


def test_an_unknown_occupation_is_refused_unless_the_employer_chooses_one(client, employer, app):
    posting = {**POSTING, "occupationalCategory": "Astronaut"}
    refused = import_posting(client, employer, posting)
    assert refused.status_code == 422
    assert refused.json()["error"]["fields"][0]["field"] == "body.occupationalCategory"
    assert stored(app, employer) == 0
    chosen = import_posting(client, employer, posting, occupation_id="welder")
    assert chosen.status_code == 201 and chosen.json()["vacancy"]["vacancy"]["occupation_id"] == "welder"
    unknown = import_posting(client, employer, posting, occupation_id="astronaut")
    assert unknown.status_code == 422 and unknown.json()["error"]["fields"][0]["field"] == "query.occupation_id"
    assert stored(app, employer) == 1


@pytest.mark.parametrize("changes, field", [
    ({"@type": "Person"}, "body.@type"),
    ({"title": "x" * 201}, "body.title"),
    ({"title": 42}, "body.title"),
    ({"totalJobOpenings": 0}, "body.totalJobOpenings"),
    ({"totalJobOpenings": "many"}, "body.totalJobOpenings"),
    ({"workHours": "flexible"}, "body.workHours"),
    ({"workHours": "50-60 hours"}, "body.workHours"),
    ({"jobLocation": None}, "body.jobLocation"),
    ({"jobLocation": {"address": {"addressLocality": "Atlantis"}}}, "body.jobLocation.address.addressLocality"),
    ({"jobLocation": {"geo": {"latitude": 100, "longitude": 5.4}}}, "body.jobLocation.geo.latitude"),
    ({"jobLocation": {"geo": {"latitude": "north", "longitude": 5.4}}}, "body.jobLocation.geo.latitude"),
])
def test_a_posting_that_cannot_be_read_names_the_property_and_stores_nothing(client, employer, app, changes, field):
    before = catalogue_version(app)
    response = import_posting(client, employer, {**POSTING, **changes})
    assert response.status_code == 422, response.text
    assert response.json()["error"]["fields"][0]["field"] == field
    assert stored(app, employer) == 0 and catalogue_version(app) == before


def test_export_then_import_gives_the_vacancy_back(client, employer, app):
    created = client.post("/vacancies", headers=employer.headers, json={
        "occupation_id": "domestic_electrician", "location": {"lat": 51.48, "lon": 5.66, "municipality_id": "helmond"},
        "openings": 4, "title": "Elektromonteur", "hours_min": 24, "hours_max": 36, "min_dutch_cefr": "A2",
        "min_eqf": 3, "must_have": ["nen3140_vp", "vca_basic"], "nice_to_have": []}).json()
    exported = client.get(f"/vacancies/{created['vacancy_id']}/jobposting", headers=employer.headers)
    assert exported.status_code == 200 and exported.headers["content-type"].startswith(LD_JSON)
    posting = exported.json()
    assert (posting["@context"], posting["@type"]) == ("https://schema.org", "JobPosting")
    assert posting["hiringOrganization"]["name"] == "Installatietechniek Brabant"
    assert posting["identifier"]["value"] == created["vacancy_id"]
    again = import_posting(client, employer, posting).json()["vacancy"]
    assert again["vacancy_id"] != created["vacancy_id"]
    assert {**again["vacancy"], "vacancy_id": created["vacancy_id"]} == created["vacancy"]


def test_import_is_for_employers_and_documented(client, people):
    response = import_posting(client, people.actor("partner"), POSTING)
    assert response.status_code == 403
    operation = client.get("/openapi.json").json()["paths"]["/vacancies/import"]["post"]
    assert operation["summary"] and operation["requestBody"]["content"]
    export = client.get("/openapi.json").json()["paths"]["/vacancies/{vacancy_id}/jobposting"]["get"]
    assert LD_JSON in export["responses"]["200"]["content"]
