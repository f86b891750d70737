"""Training offers: published and edited by their partner, readable by every signed-in role.

One app serves the whole module (each test brings its own organisations); the listing
test, which counts everything, gets a database of its own.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from passport.models import TrainingOffer
from passport.population import TrainingArrays
from service.db import catalogue
from service.db.tables import TrainingOfferRecord
from tests.api.conftest import People, error_field, make_app

OFFER = {"kind": "certificate_course", "label": "Heat pumps for starters", "sector": "energy_transition",
         "duration_weeks": 3, "cost_eur": 1200, "seats": 12, "uplift": {"safety_awareness": 0.3},
         "grants_hard_skill": "install_heat_pump", "prerequisite_hard_skill": "vca_basic",
         "min_dutch_cefr": "B1", "min_eqf": 2}
ROLES = ("anonymous", "seeker", "coach", "employer", "other_employer", "analyst", "admin", "other_partner", "partner")


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    return make_app(tmp_path_factory.mktemp("trainings"))


@pytest.fixture(scope="module")
def client(app):
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def cast(people):
    """One account per role; ``partner`` owns the offers, ``other_partner`` works elsewhere."""
    actors = {role: people.actor(role) for role in ("seeker", "coach", "employer", "analyst", "admin", "partner")}
    actors["other_partner"] = people.actor("partner")
    actors["other_employer"] = people.actor("employer")
    return actors


def post_offer(client, actor, **changes):
    response = client.post("/trainings", json={**OFFER, **changes}, headers=actor.headers)
    assert response.status_code == 201, response.text
    return response.json()


def stored_offers(app, partner) -> int:
    with app.state.ctx.sessions() as db:
        return db.query(TrainingOfferRecord).filter(TrainingOfferRecord.partner_id == partner.organisation_id).count()


def catalogue_version(app) -> int:
    with app.state.ctx.sessions() as db:
        return catalogue.version(db, "trainings")


# ----------------------------------------------------------------------------- who may do what

PARTNERS_CREATE = {"partner": 201, "other_partner": 201}
OWNER_ONLY = {"partner": 200, "other_partner": 403}
EVERY_SIGNED_IN = {role: 200 for role in ROLES if role != "anonymous"}


@pytest.mark.parametrize("method, path, body, inactive, allowed", [
    ("post", "/trainings", OFFER, False, PARTNERS_CREATE),
    ("get", "/trainings", None, False, EVERY_SIGNED_IN),
    ("get", "/trainings/{id}", None, False, EVERY_SIGNED_IN),
    ("put", "/trainings/{id}", {**OFFER, "seats": 20}, False, OWNER_ONLY),
    ("post", "/trainings/{id}/deactivate", None, False, OWNER_ONLY),
    ("post", "/trainings/{id}/activate", None, True, OWNER_ONLY),
])
def test_access_table(client, cast, method, path, body, inactive, allowed):
    training_id = post_offer(client, cast["partner"])["training_id"]
    if inactive:
        client.post(f"/trainings/{training_id}/deactivate", headers=cast["partner"].headers)
    seen = {}
    for role in ROLES:  # the owner goes last, so a state change it makes cannot mask a denial
        headers = cast[role].headers if role in cast else {}
        kwargs = {"json": body} if body is not None else {}
        seen[role] = client.request(method, path.format(id=training_id), headers=headers, **kwargs).status_code
    expected = {role: allowed.get(role, 401 if role == "anonymous" else 403) for role in ROLES}
    assert seen == expected


def test_another_partners_change_is_refused_and_stores_nothing(client, cast, app):
    training_id = post_offer(client, cast["partner"])["training_id"]
    before = catalogue_version(app)
    other = cast["other_partner"].headers
    assert client.put(f"/trainings/{training_id}", json={**OFFER, "seats": 0}, headers=other).status_code == 403
    assert client.post(f"/trainings/{training_id}/deactivate", headers=other).status_code == 403
    current = client.get(f"/trainings/{training_id}", headers=other).json()
    assert (current["version"], current["active"], current["offer"]["seats"]) == (1, True, 12)
    assert catalogue_version(app) == before


# ----------------------------------------------------------------------------- publishing


def test_a_partner_publishes_an_offer_matching_can_use(client, cast, app):
    partner = cast["partner"]
    before = catalogue_version(app)
    created = post_offer(client, partner)
    assert created["training_id"].startswith("trn-")
    assert (created["partner_id"], created["active"], created["version"]) == (partner.organisation_id, True, 1)
    offer = TrainingOffer.model_validate(created["offer"])
    assert offer == TrainingOffer(training_id=created["training_id"], **OFFER)
    assert catalogue_version(app) == before + 1
    taxonomy = app.state.ctx.taxonomy
    arrays = TrainingArrays.from_offers([offer], taxonomy)
    assert arrays.grants[0, taxonomy.hard_skill_index("install_heat_pump")]
    assert arrays.prerequisite[0, taxonomy.hard_skill_index("vca_basic")]


def test_a_catalogue_id_keeps_its_language_uplift(client, cast, app):
    created = post_offer(client, cast["partner"], training_id="dutch_at_work_course", kind="short_course",
                         label="Dutch at work", sector="all", grants_hard_skill=None, prerequisite_hard_skill=None,
                         min_dutch_cefr="A1", min_eqf=1, uplift={"communication": 0.3})
    arrays = TrainingArrays.from_offers([TrainingOffer.model_validate(created["offer"])], app.state.ctx.taxonomy)
    assert arrays.dutch_cefr_uplift.tolist() == [1]


def test_a_taken_training_id_is_a_conflict(client, cast, app):
    own_id = f"trn-{cast['partner'].account_id[:8]}"
    post_offer(client, cast["partner"], training_id=own_id)
    response = client.post("/trainings", json={**OFFER, "training_id": own_id}, headers=cast["other_partner"].headers)
    assert response.status_code == 409 and error_field(response) == "body.training_id"
    assert stored_offers(app, cast["other_partner"]) == 0


@pytest.mark.parametrize("changes, field", [
    ({"uplift": {"juggling": 0.5}}, "body.uplift.juggling"),
    ({"uplift": {"safety_awareness": 2.5}}, "body.uplift.safety_awareness"),
    ({"grants_hard_skill": "pilot_licence"}, "body.grants_hard_skill"),
    ({"prerequisite_hard_skill": "pilot_licence"}, "body.prerequisite_hard_skill"),
    ({"sector": "aviation"}, "body.sector"),
    ({"kind": "apprenticeship"}, "body.kind"),
    ({"label": ""}, "body.label"),
    ({"duration_weeks": 0}, "body.duration_weeks"),
    ({"duration_weeks": 60}, "body.duration_weeks"),
    ({"cost_eur": -1}, "body.cost_eur"),
    ({"seats": -3}, "body.seats"),
    ({"min_dutch_cefr": "D1"}, "body.min_dutch_cefr"),
    ({"min_eqf": 0}, "body.min_eqf"),
    ({"training_id": "has spaces"}, "body.training_id"),
    ({"provider": "someone"}, "body.provider"),
])
def test_bad_input_names_the_field_and_stores_nothing(client, cast, app, changes, field):
    before = catalogue_version(app)
    response = client.post("/trainings", json={**OFFER, **changes}, headers=cast["partner"].headers)
    assert response.status_code == 422, response.text
    assert error_field(response) == field
    assert stored_offers(app, cast["partner"]) == 0 and catalogue_version(app) == before


# ----------------------------------------------------------------------------- changing


def test_put_replaces_the_offer(client, cast, app):
    created = post_offer(client, cast["partner"])
    before = catalogue_version(app)
    changed = {**OFFER, "seats": 30, "cost_eur": 900, "uplift": {"focus": 0.2}, "prerequisite_hard_skill": None}
    response = client.put(f"/trainings/{created['training_id']}", json=changed, headers=cast["partner"].headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert TrainingOffer.model_validate(body["offer"]) == TrainingOffer(training_id=created["training_id"], **changed)
    assert body["version"] == 2 and catalogue_version(app) == before + 1


@pytest.mark.parametrize("changes, field", [
    ({"uplift": {"juggling": 0.5}}, "body.uplift.juggling"),
    ({"sector": "aviation"}, "body.sector"),
    ({"training_id": "rename-me"}, "body.training_id"),
])
def test_a_bad_replacement_names_the_field_and_keeps_the_offer(client, cast, app, changes, field):
    created = post_offer(client, cast["partner"])
    before = catalogue_version(app)
    response = client.put(f"/trainings/{created['training_id']}", json={**OFFER, **changes},
                          headers=cast["partner"].headers)
    assert response.status_code == 422 and error_field(response) == field
    current = client.get(f"/trainings/{created['training_id']}", headers=cast["partner"].headers).json()
    assert current["offer"] == created["offer"] and current["version"] == 1
    assert catalogue_version(app) == before


def test_deactivate_and_activate_follow_the_state_machine(client, cast, app):
    headers = cast["partner"].headers
    training_id = post_offer(client, cast["partner"])["training_id"]
    before = catalogue_version(app)
    assert client.post(f"/trainings/{training_id}/deactivate", headers=headers).json()["active"] is False
    assert client.post(f"/trainings/{training_id}/deactivate", headers=headers).status_code == 409
    assert client.post(f"/trainings/{training_id}/activate", headers=headers).json()["active"] is True
    assert client.post(f"/trainings/{training_id}/activate", headers=headers).status_code == 409
    assert catalogue_version(app) == before + 2


@pytest.mark.parametrize("method, path, body", [
    ("get", "/trainings/nope", None),
    ("put", "/trainings/nope", OFFER),
    ("post", "/trainings/nope/deactivate", None),
    ("post", "/trainings/nope/activate", None),
])
def test_unknown_training_is_404(client, cast, method, path, body):
    kwargs = {"json": body} if body is not None else {}
    response = client.request(method, path, headers=cast["partner"].headers, **kwargs)
    assert response.status_code == 404 and error_field(response) == "path.training_id"


# ----------------------------------------------------------------------------- listing


def test_list_filters_and_pages(tmp_path):
    app = make_app(tmp_path)
    people = People(app)
    partner, other, seeker = people.actor("partner"), people.actor("partner"), people.actor("seeker")
    with TestClient(app) as client:
        heat = post_offer(client, partner)["training_id"]
        general = post_offer(client, partner, sector="all", grants_hard_skill="vca_basic",
                             prerequisite_hard_skill=None)["training_id"]
        care = post_offer(client, other, sector="healthcare", grants_hard_skill="hygiene_care",
                          prerequisite_hard_skill=None)["training_id"]
        client.post(f"/trainings/{general}/deactivate", headers=partner.headers)

        def ids(headers=seeker.headers, **query):
            page = client.get("/trainings", params=query, headers=headers).json()
            return page["total"], {item["training_id"] for item in page["items"]}

        assert ids() == (3, {heat, general, care})
        assert ids(active="true") == (2, {heat, care})
        assert ids(active="false") == (1, {general})
        assert ids(sector="healthcare") == (1, {care})
        assert ids(sector="all") == (1, {general})
        assert ids(headers=partner.headers, mine="true") == (2, {heat, general})
        first, rest = ids(limit=2), ids(limit=2, offset=2)
        assert first[0] == 3 and (len(first[1]), len(rest[1])) == (2, 1)
        assert first[1] | rest[1] == {heat, general, care}
        unknown = client.get("/trainings", params={"sector": "aviation"}, headers=seeker.headers)
        assert unknown.status_code == 422 and error_field(unknown) == "query.sector"
        assert client.get("/trainings", params={"mine": "true"}, headers=seeker.headers).status_code == 403
