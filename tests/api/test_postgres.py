"""The platform on a real PostgreSQL server (skipped, with the reason, where none can start)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from service.api.app import create_app
from service.db.engine import make_engine
from service.db.migrate import current_revision, head_revision
from service.seed import DEMO_PASSWORD
from service.settings import Settings
from tests.api.postgres_server import start_postgres


@pytest.fixture(scope="module")
def postgres_url():
    server, why_not = start_postgres()
    if server is None:
        pytest.skip(why_not)
    yield server.url
    server.stop()


@pytest.fixture(scope="module")
def pg_client(postgres_url, tmp_path_factory):
    settings = Settings(data_dir=tmp_path_factory.mktemp("pgdata"), database_url=postgres_url, seed_demo=True,
                        secret_key="k")
    app = create_app(settings, start_worker=False)
    with TestClient(app) as client:
        yield client


def _headers(client, role):
    token = client.post("/auth/token", data={"username": f"demo-{role}", "password": DEMO_PASSWORD}).json()
    return {"Authorization": f"Bearer {token['access_token']}"}


def test_migrations_and_seed_run_on_postgres(pg_client, postgres_url):
    engine = make_engine(postgres_url)
    assert current_revision(engine) == head_revision()
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM passports")).scalar() > 0
        assert connection.execute(text("SELECT count(*) FROM vacancies")).scalar() > 0
    assert pg_client.get("/health").json()["database"] == "postgresql"


def test_sign_in_and_api_key_on_postgres(pg_client):
    headers = _headers(pg_client, "partner")
    key = pg_client.post("/auth/api-keys", json={"label": "pg"}, headers=headers).json()["key"]
    assert pg_client.get("/auth/me", headers={"X-API-Key": key}).json()["role"] == "partner"


def test_the_main_flows_run_on_postgres(pg_client):
    """Vacancy, consent, recommendations, candidates, connection, outcome, export, analytics, audit."""
    employer, seeker = _headers(pg_client, "employer"), _headers(pg_client, "seeker")
    me = pg_client.get("/auth/me", headers=seeker).json()["account_id"]
    organisation = pg_client.get("/auth/me", headers=employer).json()["organisation_id"]
    passport = pg_client.get(f"/seekers/{me}/passport", headers=seeker).json()
    occupation = pg_client.get("/taxonomy/occupations").json()[0]["occupation_id"]
    created = pg_client.post("/vacancies", headers=employer, json={
        "occupation_id": occupation, "location": passport["passport"]["location"] if "passport" in passport
        else passport["location"], "openings": 2})
    assert created.status_code == 201, created.text
    consent = pg_client.put(f"/seekers/{me}/passport/consent", headers=seeker,
                            json={"visible_to_employers": True, "include_in_batch_matching": True})
    assert consent.status_code == 200, consent.text
    listed = pg_client.get(f"/seekers/{me}/recommendations", headers=seeker, params={"k": 50})
    assert listed.status_code == 200, listed.text
    ours = [item["vacancy_id"] for item in listed.json()["items"] if item["employer_id"] == organisation]
    assert ours, "the demo seeker should fit at least one of the demo employer's vacancies"
    candidates = pg_client.get(f"/vacancies/{ours[0]}/candidates", headers=employer, params={"k": 50})
    assert candidates.status_code == 200, candidates.text
    invite = pg_client.post("/connections", headers=employer,
                            json={"vacancy_id": ours[0], "seeker_id": me, "message": "Welcome"})
    assert invite.status_code == 201, invite.text
    accepted = pg_client.post(f"/connections/{invite.json()['id']}/accept", headers=seeker)
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted", accepted.text
    export = pg_client.get(f"/seekers/{me}/export", headers=seeker).json()
    assert export["connections"] and export["outcomes"]
    assert pg_client.get("/analytics/funnel", headers=_headers(pg_client, "analyst")).status_code == 200
    audit = pg_client.get("/audit", headers=_headers(pg_client, "admin"), params={"subject_id": me})
    assert audit.status_code == 200, audit.text
