"""The skills language over HTTP: public, read-only, exactly the loaded taxonomy."""

from __future__ import annotations

import numpy as np
import pytest
from fastapi.testclient import TestClient

from service.api.app import create_app
from service.settings import Settings

PATHS = ("/taxonomy/skills", "/taxonomy/hard-skills", "/taxonomy/sectors", "/taxonomy/occupations",
         "/taxonomy/occupations/welder", "/taxonomy/trainings", "/taxonomy/municipalities")


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    return create_app(Settings(data_dir=tmp_path_factory.mktemp("taxonomy"), seed_demo=False, secret_key="test-secret"),
                      start_worker=False)


@pytest.fixture(scope="module")
def client(app):
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def taxonomy(app):
    return app.state.ctx.taxonomy


def test_every_role_and_no_sign_in_may_read(client, people):
    callers = {"anonymous": {}} | {role: people.actor(role).headers
                                   for role in ("seeker", "coach", "employer", "partner", "analyst", "admin")}
    seen = {(who, path): client.get(path, headers=headers).status_code for who, headers in callers.items()
            for path in PATHS}
    assert set(seen.values()) == {200}


def test_writes_are_not_offered(client):
    assert client.post("/taxonomy/skills", json={}).status_code == 405


def test_soft_skills_come_in_the_fixed_order_with_their_correspondences(client, taxonomy):
    skills = client.get("/taxonomy/skills").json()
    assert [s["skill_id"] for s in skills] == list(taxonomy.skill_ids)
    first = taxonomy.soft_skills.iloc[0]
    assert skills[0]["label_nl"] == first["label_nl"] and skills[0]["cluster"] == first["cluster"]
    assert skills[0]["esco"] == {"uri": first["esco_uri"], "label": first["esco_label"], "t_code": first["esco_t_code"],
                                 "match": first["esco_match"]}
    assert skills[0]["onet"]["id"] == first["onet_id"]


def test_hard_skills(client, taxonomy):
    hard = client.get("/taxonomy/hard-skills").json()
    assert [h["hard_skill_id"] for h in hard] == list(taxonomy.hard_skill_ids)
    by_id = {h["hard_skill_id"]: h for h in hard}
    assert by_id["vca_basic"]["kind"] == "certificate" and by_id["vca_basic"]["label_nl"] == "VCA Basis"
    without_uri = taxonomy.hard_skills.index[taxonomy.hard_skills["esco_uri"] == ""]
    assert all(by_id[h]["esco_uri"] is None for h in without_uri)


def test_sectors_partition_the_occupations(client, taxonomy):
    sectors = client.get("/taxonomy/sectors").json()
    assert [s["sector"] for s in sectors] == list(taxonomy.sectors)
    listed = [o for s in sectors for o in s["occupation_ids"]]
    assert sorted(listed) == sorted(taxonomy.occupation_ids)
    healthcare = next(s for s in sectors if s["sector"] == "healthcare")
    catalogue = taxonomy.trainings
    assert set(healthcare["training_ids"]) == set(catalogue.index[catalogue["sector"] == "healthcare"])


def test_occupations_and_a_requirement_profile(client, taxonomy):
    occupations = client.get("/taxonomy/occupations").json()
    assert [o["occupation_id"] for o in occupations] == list(taxonomy.occupation_ids)
    profile = client.get("/taxonomy/occupations/welder").json()
    o = taxonomy.occupation_ids.index("welder")
    assert [r["skill_id"] for r in profile["requirements"]] == list(taxonomy.skill_ids)
    np.testing.assert_allclose([r["level"] for r in profile["requirements"]], taxonomy.occupation_levels[o])
    np.testing.assert_allclose([r["importance"] for r in profile["requirements"]], taxonomy.occupation_importance[o])
    hard_ids = np.array(taxonomy.hard_skill_ids)
    assert profile["essential_hard_skills"] == hard_ids[taxonomy.occupation_essential[o]].tolist()
    assert profile["optional_hard_skills"] == hard_ids[taxonomy.occupation_optional[o]].tolist()
    row = taxonomy.occupations.loc["welder"]
    assert (profile["eqf_level"], profile["min_dutch_cefr"], profile["hours_min"], profile["hours_max"]) == \
        (row["eqf_level"], row["min_dutch_cefr"], row["hours_min"], row["hours_max"])


def test_unknown_occupation_is_404(client):
    response = client.get("/taxonomy/occupations/astronaut")
    assert response.status_code == 404
    assert response.json()["error"]["fields"][0]["field"] == "path.occupation_id"


def test_training_catalogue(client, taxonomy):
    trainings = client.get("/taxonomy/trainings").json()
    assert [t["training_id"] for t in trainings] == list(taxonomy.training_ids)
    uplift = np.zeros_like(taxonomy.training_uplift)
    for i, t in enumerate(trainings):
        for skill_id, amount in t["uplift"].items():
            uplift[i, taxonomy.skill_index(skill_id)] = amount
    np.testing.assert_allclose(uplift, taxonomy.training_uplift)
    language = next(t for t in trainings if t["training_id"] == "dutch_at_work_course")
    assert language["dutch_cefr_uplift"] == 1 and language["grants_hard_skill"] is None
    vca = next(t for t in trainings if t["training_id"] == "vca_basic_course")
    assert (vca["grants_hard_skill"], vca["seats"], vca["min_dutch_cefr"]) == ("vca_basic", 40, "A2")


def test_municipalities(client, taxonomy):
    municipalities = client.get("/taxonomy/municipalities").json()
    assert len(municipalities) == 21
    eindhoven = next(m for m in municipalities if m["municipality_id"] == "eindhoven")
    assert eindhoven["name"] == "Eindhoven" and eindhoven["population"] > 200_000


def test_every_taxonomy_response_has_a_schema(client):
    paths = client.get("/openapi.json").json()["paths"]
    for path in ("/taxonomy/skills", "/taxonomy/hard-skills", "/taxonomy/sectors", "/taxonomy/occupations",
                 "/taxonomy/occupations/{occupation_id}", "/taxonomy/trainings", "/taxonomy/municipalities"):
        operation = paths[path]["get"]
        assert operation["summary"]
        assert operation["responses"]["200"]["content"]["application/json"]["schema"]
