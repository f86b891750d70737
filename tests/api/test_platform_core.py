"""Settings, migrations, sign-in, API keys, error bodies and request limits."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta, timezone

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text

from service.api.app import create_app
from service.db.engine import make_engine
from service.db.migrate import current_revision, head_revision, upgrade
from service.db.tables import AccessToken, Account
from service.seed import DEMO_PASSWORD, DEMO_ROLES
from service.settings import Settings, SettingsError


# ----------------------------------------------------------------------------- settings


def test_settings_come_from_environment_over_dotenv(tmp_path):
    dotenv = tmp_path / ".env"
    dotenv.write_text("# comment\nSKILLPASS_PORT=9001\nSKILLPASS_SECRET_KEY='from-file'\n")
    settings = Settings.load({"SKILLPASS_PORT": "9100", "SKILLPASS_SEED_DEMO": "false"}, dotenv=dotenv)
    assert settings.port == 9100
    assert settings.secret_key == "from-file"
    assert settings.seed_demo is False


@pytest.mark.parametrize("variable, value", [("SKILLPASS_PORT", "eighty"), ("SKILLPASS_PORT", "70000"),
                                              ("SKILLPASS_SEED_DEMO", "perhaps"),
                                              ("SKILLPASS_DATABASE_URL", "mysql://x/y")])
def test_bad_setting_names_the_variable(variable, value, tmp_path):
    with pytest.raises(SettingsError) as caught:
        Settings.load({variable: value}, dotenv=None)
    assert caught.value.variable == variable


def test_generated_secret_key_is_stable_across_restarts(tmp_path):
    settings = Settings(data_dir=tmp_path)
    assert settings.resolved_secret_key() == Settings(data_dir=tmp_path).resolved_secret_key()
    assert (tmp_path / "secret.key").stat().st_mode & 0o077 == 0


# ----------------------------------------------------------------------------- migrations


def test_database_upgrades_in_place_and_keeps_its_rows(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path}/x.db")
    assert current_revision(engine) is None
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO organisations (id, name, kind, created_at) "
                                "VALUES ('o1', 'Org', 'partner', CURRENT_TIMESTAMP)"))
    upgrade(engine)  # a second start-up must not touch existing data
    with engine.connect() as connection:
        assert connection.execute(text("SELECT name FROM organisations")).scalar() == "Org"
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_migration_matches_the_table_definitions(tmp_path):
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from service.db.tables import Base

    engine = make_engine(f"sqlite:///{tmp_path}/x.db")
    upgrade(engine)
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == [], "service/db/tables.py changed without a migration"


# ----------------------------------------------------------------------------- sign-in


@pytest.fixture
def seeded_client(tmp_path):
    app = create_app(Settings(data_dir=tmp_path, seed_demo=True, secret_key="k"), start_worker=False)
    with TestClient(app) as client:
        yield client


def _sign_in(client, username, password):
    return client.post("/auth/token", data={"username": username, "password": password})


def test_every_demo_account_signs_in_with_the_documented_password(seeded_client):
    for role in DEMO_ROLES:
        response = _sign_in(seeded_client, f"demo-{role}", DEMO_PASSWORD)
        assert response.status_code == 200, response.text
        token = response.json()["access_token"]
        me = seeded_client.get("/auth/me", headers={"Authorization": f"Bearer {token}"}).json()
        assert me["role"] == role and me["username"] == f"demo-{role}"


def test_wrong_password_and_unknown_user_answer_alike(seeded_client):
    wrong = _sign_in(seeded_client, "demo-seeker", "not-the-password")
    unknown = _sign_in(seeded_client, "nobody", "whatever")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["error"]["message"] == unknown.json()["error"]["message"]
    assert wrong.headers["www-authenticate"] == "Bearer"


def test_missing_form_field_is_named(seeded_client):
    response = seeded_client.post("/auth/token", data={"username": "demo-seeker"})
    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["field"] == "body.password"


def test_logout_revokes_the_token(seeded_client):
    token = _sign_in(seeded_client, "demo-seeker", DEMO_PASSWORD).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert seeded_client.get("/auth/me", headers=headers).status_code == 200
    assert seeded_client.post("/auth/logout", headers=headers).status_code == 204
    assert seeded_client.get("/auth/me", headers=headers).status_code == 401


def test_expired_token_is_refused(client, people, app):
    seeker = people.actor("seeker")
    with app.state.ctx.sessions() as db:
        for row in db.scalars(select(AccessToken).where(AccessToken.account_id == seeker.account_id)):
            row.expires_at = datetime.now(timezone.utc) - timedelta(seconds=1)
        db.commit()
    response = client.get("/auth/me", headers=seeker.headers)
    assert response.status_code == 401
    assert "expired" in response.json()["error"]["message"]


def test_deactivated_account_is_refused(client, people, app):
    seeker = people.actor("seeker")
    with app.state.ctx.sessions() as db:
        db.get(Account, seeker.account_id).active = False
        db.commit()
    assert client.get("/auth/me", headers=seeker.headers).status_code == 401


def test_partner_api_key_lifecycle(client, people):
    partner = people.actor("partner")
    created = client.post("/auth/api-keys", json={"label": "caseload sync"}, headers=partner.headers)
    assert created.status_code == 201
    key = created.json()["key"]
    me = client.get("/auth/me", headers={"X-API-Key": key}).json()
    assert me["account_id"] == partner.account_id and me["authenticated_via"] == "api_key"
    listed = client.get("/auth/api-keys", headers=partner.headers).json()
    assert [k["prefix"] for k in listed] == [key[:12]] and "key" not in listed[0]
    assert client.delete(f"/auth/api-keys/{created.json()['id']}", headers=partner.headers).status_code == 204
    assert client.get("/auth/me", headers={"X-API-Key": key}).status_code == 401


@pytest.mark.parametrize("role", ["seeker", "coach", "employer", "analyst", "admin"])
def test_only_partners_hold_api_keys(client, people, role):
    actor = people.actor(role)
    response = client.post("/auth/api-keys", json={"label": "x"}, headers=actor.headers)
    assert response.status_code == 403
    assert "partner" in response.json()["error"]["message"]


def test_another_partners_key_cannot_be_revoked(client, people):
    owner, other = people.actor("partner"), people.actor("partner")
    key_id = client.post("/auth/api-keys", json={"label": "x"}, headers=owner.headers).json()["id"]
    assert client.delete(f"/auth/api-keys/{key_id}", headers=other.headers).status_code == 404


# ----------------------------------------------------------------------------- errors and limits


def test_health_and_version(client):
    health = client.get("/health").json()
    assert health == {"status": "ok", "database": "sqlite", "schema_revision": head_revision()}
    version = client.get("/version").json()
    assert version["scorer"] == "RuleBasedScorer" and version["schema_revision"] == head_revision()


def test_unknown_route_has_the_error_body(client):
    body = client.get("/no/such/thing").json()
    assert body["error"]["status"] == 404 and body["error"]["request_id"]


def test_oversized_body_is_refused_before_it_is_read(tmp_path, people):
    app = create_app(Settings(data_dir=tmp_path, seed_demo=False, secret_key="k", max_request_bytes=2048),
                     start_worker=False)
    with TestClient(app) as client:
        declared = client.post("/auth/token", content=b"x" * 5000,
                               headers={"content-type": "application/x-www-form-urlencoded"})
        assert declared.status_code == 413 and declared.json()["error"]["code"] == "too_large"

        def chunks():
            for _ in range(5):
                yield b"y" * 1000

        streamed = client.post("/auth/token", content=chunks(),
                               headers={"content-type": "application/x-www-form-urlencoded"})
        assert streamed.status_code == 413


def test_access_log_carries_route_templates_not_ids(client, people, caplog):
    seeker = people.actor("seeker")
    with caplog.at_level(logging.INFO, logger="skillpass.access"):
        client.get("/auth/me", headers=seeker.headers)
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "skillpass.access"]
    assert lines and lines[-1]["route"] == "/auth/me" and lines[-1]["status"] == 200
    assert seeker.account_id not in caplog.text
