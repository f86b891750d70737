"""Vacancies: built from occupation profiles, owned by one employer, readable by every signed-in role.

One app serves the whole module (each test brings its own organisations), which keeps the
file fast; the listing test, which counts everything, gets a database of its own.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from passport.models import Vacancy
from service.db import catalogue
from service.db.tables import VacancyRecord
from tests.api.conftest import People, error_field, make_app

EINDHOVEN = {"lat": 51.4416, "lon": 5.4697, "municipality_id": "eindhoven"}
BODY = {"occupation_id": "heat_pump_technician", "location": EINDHOVEN, "openings": 2}
POSTING = {"@context": "https://schema.org", "@type": "JobPosting", "title": "Lasser",
           "occupationalCategory": "Lasser", "jobLocation": {"address": {"addressLocality": "Helmond"}}}
ROLES = ("anonymous", "seeker", "coach", "partner", "other_partner", "analyst", "admin", "other_employer", "employer")


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    return make_app(tmp_path_factory.mktemp("vacancies"))


@pytest.fixture(scope="module")
def client(app):
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def cast(people):
    """One account per role; ``employer`` owns the vacancies, ``other_employer`` works elsewhere."""
    actors = {role: people.actor(role) for role in ("seeker", "coach", "partner", "analyst", "admin", "employer")}
    actors["other_employer"] = people.actor("employer")
    actors["other_partner"] = people.actor("partner")
    return actors


def post_vacancy(client, actor, **changes):
    response = client.post("/vacancies", json={**BODY, **changes}, headers=actor.headers)
    assert response.status_code == 201, response.text
    return response.json()


def stored_vacancies(app, employer) -> int:
    with app.state.ctx.sessions() as db:
        return db.query(VacancyRecord).filter(VacancyRecord.employer_id == employer.organisation_id).count()


def catalogue_version(app) -> int:
    with app.state.ctx.sessions() as db:
        return catalogue.version(db, "vacancies")


# ----------------------------------------------------------------------------- who may do what

EMPLOYERS_CREATE = {"employer": 201, "other_employer": 201}
OWNER_ONLY = {"employer": 200, "other_employer": 403}
EVERY_SIGNED_IN = {role: 200 for role in ROLES if role != "anonymous"}


@pytest.mark.parametrize("method, path, body, closed, allowed", [
    ("post", "/vacancies", BODY, False, EMPLOYERS_CREATE),
    ("post", "/vacancies/import", POSTING, False, EMPLOYERS_CREATE),
    ("get", "/vacancies", None, False, EVERY_SIGNED_IN),
    ("get", "/vacancies/{id}", None, False, EVERY_SIGNED_IN),
    ("get", "/vacancies/{id}/jobposting", None, False, EVERY_SIGNED_IN),
    ("put", "/vacancies/{id}", {**BODY, "openings": 5}, False, OWNER_ONLY),
    ("patch", "/vacancies/{id}", {"openings": 4}, False, OWNER_ONLY),
    ("post", "/vacancies/{id}/close", None, False, OWNER_ONLY),
    ("post", "/vacancies/{id}/reopen", None, True, OWNER_ONLY),
])
def test_access_table(client, cast, method, path, body, closed, allowed):
    vacancy_id = post_vacancy(client, cast["employer"])["vacancy_id"]
    if closed:
        client.post(f"/vacancies/{vacancy_id}/close", headers=cast["employer"].headers)
    seen = {}
    for role in ROLES:  # the owner goes last, so a state change it makes cannot mask a denial
        headers = cast[role].headers if role in cast else {}
        kwargs = {"json": body} if body is not None else {}
        seen[role] = client.request(method, path.format(id=vacancy_id), headers=headers, **kwargs).status_code
    expected = {role: allowed.get(role, 401 if role == "anonymous" else 403) for role in ROLES}
    assert seen == expected


def test_another_employers_change_is_refused_and_stores_nothing(client, cast, app):
    vacancy_id = post_vacancy(client, cast["employer"])["vacancy_id"]
    before = catalogue_version(app)
    other = cast["other_employer"].headers
    assert client.patch(f"/vacancies/{vacancy_id}", json={"openings": 9}, headers=other).status_code == 403
    assert client.post(f"/vacancies/{vacancy_id}/close", headers=other).status_code == 403
    current = client.get(f"/vacancies/{vacancy_id}", headers=other).json()
    assert (current["version"], current["status"], current["vacancy"]["openings"]) == (1, "open", 2)
    assert catalogue_version(app) == before


# ----------------------------------------------------------------------------- creating


def test_a_vacancy_starts_from_its_occupation_profile(client, cast, app):
    employer = cast["employer"]
    before = catalogue_version(app)
    created = post_vacancy(client, employer)
    expected = Vacancy.from_occupation(app.state.ctx.taxonomy, "heat_pump_technician",
                                       vacancy_id=created["vacancy_id"], employer_id=employer.organisation_id,
                                       location=EINDHOVEN, openings=2)
    assert created["vacancy_id"].startswith("vac-")
    assert (created["status"], created["version"], created["employer_id"]) == ("open", 1, employer.organisation_id)
    assert Vacancy.model_validate(created["vacancy"]) == expected
    assert catalogue_version(app) == before + 1
    with app.state.ctx.sessions() as db:
        record = db.get(VacancyRecord, created["vacancy_id"])
        assert record.created_by == employer.account_id
        assert record.document == expected.model_dump(mode="json")


def test_overrides_replace_the_profile_where_stated(client, cast, app):
    taxonomy = app.state.ctx.taxonomy
    profile = Vacancy.from_occupation(taxonomy, "heat_pump_technician", vacancy_id="x", employer_id="x",
                                      location=EINDHOVEN)
    moved = profile.must_have[0]  # essential for the occupation, only nice-to-have here
    own_id = f"vac-{cast['employer'].account_id[:8]}"
    created = post_vacancy(client, cast["employer"], vacancy_id=own_id, title="Warmtepompmonteur Helmond",
                           hours_min=24, hours_max=32, min_dutch_cefr="A2", min_eqf=2, nice_to_have=[moved],
                           requirements={"collaboration": {"level": 4.5, "importance": 3}})["vacancy"]
    assert created["vacancy_id"] == own_id
    assert (created["title"], created["hours_min"], created["hours_max"]) == ("Warmtepompmonteur Helmond", 24, 32)
    assert (created["min_dutch_cefr"], created["min_eqf"]) == ("A2", 2)
    assert created["nice_to_have"] == [moved] and created["must_have"] == profile.must_have[1:]
    assert created["requirements"]["collaboration"] == {"level": 4.5, "importance": 3.0}
    untouched = {k: v for k, v in created["requirements"].items() if k != "collaboration"}
    assert untouched == {k: v.model_dump() for k, v in profile.requirements.items() if k != "collaboration"}


def test_a_taken_vacancy_id_is_a_conflict(client, cast, app):
    taken = f"vac-{cast['employer'].account_id[:8]}"
    post_vacancy(client, cast["employer"], vacancy_id=taken)
    response = client.post("/vacancies", json={**BODY, "vacancy_id": taken}, headers=cast["other_employer"].headers)
    assert response.status_code == 409 and error_field(response) == "body.vacancy_id"
    assert stored_vacancies(app, cast["other_employer"]) == 0


@pytest.mark.parametrize("changes, field", [
    ({"occupation_id": "astronaut"}, "body.occupation_id"),
    ({"must_have": ["pilot_licence"]}, "body.must_have[0]"),
    ({"nice_to_have": ["vca_basic", "pilot_licence"]}, "body.nice_to_have[1]"),
    ({"must_have": ["vca_basic", "vca_basic"]}, "body.must_have"),
    ({"must_have": ["vca_basic"], "nice_to_have": ["vca_basic"]}, "body.nice_to_have"),
    ({"requirements": {"juggling": {"level": 3, "importance": 1}}}, "body.requirements.juggling"),
    ({"requirements": {"collaboration": {"level": 7, "importance": 1}}}, "body.requirements.collaboration.level"),
    ({"hours_min": 30, "hours_max": 20}, "body.hours_max"),
    ({"hours_min": 45}, "body.hours_min"),
    ({"openings": 0}, "body.openings"),
    ({"location": {"lat": 100, "lon": 5.4}}, "body.location.lat"),
    ({"location": {**EINDHOVEN, "municipality_id": "atlantis"}}, "body.location.municipality_id"),
    ({"min_dutch_cefr": "D1"}, "body.min_dutch_cefr"),
    ({"min_eqf": 9}, "body.min_eqf"),
    ({"title": ""}, "body.title"),
    ({"vacancy_id": "no spaces please"}, "body.vacancy_id"),
    ({"salary": 3000}, "body.salary"),
])
def test_bad_input_names_the_field_and_stores_nothing(client, cast, app, changes, field):
    before = catalogue_version(app)
    response = client.post("/vacancies", json={**BODY, **changes}, headers=cast["employer"].headers)
    assert response.status_code == 422, response.text
    assert error_field(response) == field
    assert stored_vacancies(app, cast["employer"]) == 0 and catalogue_version(app) == before


def test_a_missing_required_field_is_named(client, cast):
    response = client.post("/vacancies", json={"occupation_id": "welder"}, headers=cast["employer"].headers)
    assert response.status_code == 422 and error_field(response) == "body.location"


# ----------------------------------------------------------------------------- changing


def test_put_replaces_the_editable_fields(client, cast, app):
    headers = cast["employer"].headers
    created = post_vacancy(client, cast["employer"], title="Old title", hours_min=20, hours_max=24)
    replaced = client.put(f"/vacancies/{created['vacancy_id']}", json={**BODY, "occupation_id": "welder",
                                                                        "openings": 3}, headers=headers)
    assert replaced.status_code == 200, replaced.text
    body = replaced.json()
    welder = Vacancy.from_occupation(app.state.ctx.taxonomy, "welder", vacancy_id=created["vacancy_id"],
                                     employer_id=created["employer_id"], location=EINDHOVEN, openings=3)
    assert Vacancy.model_validate(body["vacancy"]) == welder  # left-out fields return to the profile
    assert body["version"] == 2


def test_patch_changes_only_what_is_sent(client, cast):
    headers = cast["employer"].headers
    created = post_vacancy(client, cast["employer"])
    vacancy_id = created["vacancy_id"]
    patched = client.patch(f"/vacancies/{vacancy_id}", json={"openings": 7, "requirements": {
        "focus": {"level": 4.0, "importance": 2.5}}}, headers=headers)
    assert patched.status_code == 200, patched.text
    after, before = patched.json()["vacancy"], created["vacancy"]
    assert after["openings"] == 7 and after["requirements"]["focus"] == {"level": 4.0, "importance": 2.5}
    assert {k: v for k, v in after.items() if k not in ("openings", "requirements")} == \
        {k: v for k, v in before.items() if k not in ("openings", "requirements")}
    assert {k: v for k, v in after["requirements"].items() if k != "focus"} == \
        {k: v for k, v in before["requirements"].items() if k != "focus"}
    assert patched.json()["version"] == 2


@pytest.mark.parametrize("method, body, field", [
    ("patch", {"hours_min": 47}, "body.hours_min"),
    ("patch", {"occupation_id": "welder"}, "body.occupation_id"),
    ("patch", {"title": None}, "body.title"),
    ("patch", {"hours_min": None}, "body.hours_min"),
    ("patch", {"location": None}, "body.location"),
    ("patch", {"must_have": ["pilot_licence"]}, "body.must_have[0]"),
    ("put", {**BODY, "requirements": {"juggling": {"level": 3, "importance": 1}}}, "body.requirements.juggling"),
    ("put", {**BODY, "occupation_id": "astronaut"}, "body.occupation_id"),
])
def test_a_bad_change_names_the_field_and_keeps_the_vacancy(client, cast, app, method, body, field):
    created = post_vacancy(client, cast["employer"])
    before = catalogue_version(app)
    response = client.request(method, f"/vacancies/{created['vacancy_id']}", json=body,
                              headers=cast["employer"].headers)
    assert response.status_code == 422, response.text
    assert error_field(response) == field
    current = client.get(f"/vacancies/{created['vacancy_id']}", headers=cast["employer"].headers).json()
    assert current["vacancy"] == created["vacancy"] and current["version"] == 1
    assert catalogue_version(app) == before


def test_close_and_reopen_follow_the_state_machine(client, cast, app):
    headers = cast["employer"].headers
    vacancy_id = post_vacancy(client, cast["employer"])["vacancy_id"]
    before = catalogue_version(app)
    closed = client.post(f"/vacancies/{vacancy_id}/close", headers=headers)
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    again = client.post(f"/vacancies/{vacancy_id}/close", headers=headers)
    assert again.status_code == 409
    assert client.post(f"/vacancies/{vacancy_id}/reopen", headers=headers).json()["status"] == "open"
    assert client.post(f"/vacancies/{vacancy_id}/reopen", headers=headers).status_code == 409
    assert catalogue_version(app) == before + 2


@pytest.mark.parametrize("method, path, body", [
    ("get", "/vacancies/nope", None),
    ("get", "/vacancies/nope/jobposting", None),
    ("put", "/vacancies/nope", BODY),
    ("patch", "/vacancies/nope", {"openings": 2}),
    ("post", "/vacancies/nope/close", None),
    ("post", "/vacancies/nope/reopen", None),
])
def test_unknown_vacancy_is_404(client, cast, method, path, body):
    kwargs = {"json": body} if body is not None else {}
    response = client.request(method, path, headers=cast["employer"].headers, **kwargs)
    assert response.status_code == 404 and error_field(response) == "path.vacancy_id"


# ----------------------------------------------------------------------------- listing


def test_list_filters_and_pages(tmp_path):
    app = make_app(tmp_path)
    people = People(app)
    cast = {"employer": people.actor("employer"), "other_employer": people.actor("employer"),
            "analyst": people.actor("analyst")}
    with TestClient(app) as client:
        _check_listing(client, cast)


def _check_listing(client, cast):
    employer, other = cast["employer"], cast["other_employer"]
    welder = post_vacancy(client, employer, occupation_id="welder")["vacancy_id"]
    heat_pump = post_vacancy(client, employer)["vacancy_id"]
    elsewhere = post_vacancy(client, other, occupation_id="welder")["vacancy_id"]
    client.post(f"/vacancies/{heat_pump}/close", headers=employer.headers)

    def ids(**query):
        page = client.get("/vacancies", params=query, headers=cast["analyst"].headers).json()
        return page["total"], {item["vacancy_id"] for item in page["items"]}

    assert ids() == (3, {welder, heat_pump, elsewhere})
    assert ids(status="open") == (2, {welder, elsewhere})
    assert ids(status="closed") == (1, {heat_pump})
    assert ids(occupation_id="welder") == (2, {welder, elsewhere})
    assert ids(employer_id=other.organisation_id) == (1, {elsewhere})
    mine = client.get("/vacancies", params={"mine": "true"}, headers=employer.headers).json()
    assert {item["vacancy_id"] for item in mine["items"]} == {welder, heat_pump}
    first = client.get("/vacancies", params={"limit": 2}, headers=employer.headers).json()
    rest = client.get("/vacancies", params={"limit": 2, "offset": 2}, headers=employer.headers).json()
    assert (first["total"], len(first["items"]), len(rest["items"])) == (3, 2, 1)
    assert {i["vacancy_id"] for i in first["items"] + rest["items"]} == {welder, heat_pump, elsewhere}


@pytest.mark.parametrize("query, status, field", [
    ({"status": "archived"}, 422, "query.status"),
    ({"occupation_id": "astronaut"}, 422, "query.occupation_id"),
    ({"limit": 0}, 422, "query.limit"),
    ({"offset": -1}, 422, "query.offset"),
])
def test_bad_list_queries_name_the_parameter(client, cast, query, status, field):
    response = client.get("/vacancies", params=query, headers=cast["seeker"].headers)
    assert response.status_code == status and error_field(response) == field


def test_mine_is_for_employers(client, cast):
    response = client.get("/vacancies", params={"mine": "true"}, headers=cast["partner"].headers)
    assert response.status_code == 403
