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
