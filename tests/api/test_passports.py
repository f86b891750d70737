"""A seeker's passport over HTTP: read, history, consent, details, credential, export and erasure."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from passport.credential import verify_credential
from passport.keys import KeyStore
from passport.models import Location, Vacancy
from service.db.catalogue import version as catalogue_version
from service.db.tables import (AccessToken, Account, AuditEntry, Base, Connection, MonitoringAttribute, Outcome,
                               PassportRecord, VacancyRecord)
from tests.api.conftest import access_world

GONOGO = [{"event_id": f"g{i}", "instrument": "gonogo", "trial": i, "t_ms": 1600.0 * i,
           "stimulus": "go" if i % 4 else "nogo", "responded": bool(i % 4), "rt_ms": 420.0 if i % 4 else None}
          for i in range(12)]


def record_of(app, seeker_id) -> PassportRecord | None:
    with app.state.ctx.sessions() as db:
        return db.scalar(select(PassportRecord).where(PassportRecord.holder_id == seeker_id))


def passports_version(app) -> int:
    with app.state.ctx.sessions() as db:
        return catalogue_version(db, "passports")


def actions_about(app, seeker_id) -> list[str]:
    with app.state.ctx.sessions() as db:
        return list(db.scalars(select(AuditEntry.action).where(AuditEntry.subject_id == seeker_id)))


# --------------------------------------------------------------------------- passport, history, consent, details


def test_read_passport_and_history(client, app, people):
    seeker = people.actor("seeker")
    issued = people.passport(seeker, visible=False, batch=False)
    response = client.get(f"/seekers/{seeker.account_id}/passport", headers=seeker.headers)
    assert response.status_code == 200
    body = response.json()
    assert body["version"] == 1 and body["passport"] == issued.model_dump(mode="json")
    history = client.get(f"/seekers/{seeker.account_id}/passport/history", headers=seeker.headers).json()
    assert [v["version"] for v in history["versions"]] == [1]
    assert history["versions"][0]["actor"] == seeker.account_id
    assert "passport issued" in history["versions"][0]["reason"]
    assert {"passport.read", "passport.history"} <= set(actions_about(app, seeker.account_id))


def test_no_passport_yet_is_404(client, people):
    seeker = people.actor("seeker")
    for path in ("passport", "passport/history", "passport/credential"):
        response = client.get(f"/seekers/{seeker.account_id}/{path}", headers=seeker.headers)
        assert response.status_code == 404
        assert response.json()["error"]["fields"][0]["field"] == "path.seeker_id"


def test_consent_change_is_a_version_and_moves_the_columns(client, app, people):
    seeker = people.actor("seeker")
    employer_org = people.organisation("employer")
    people.passport(seeker, visible=False, batch=False)
    before = passports_version(app)
    consent = {"visible_to_employers": True, "employer_ids": [employer_org], "include_in_batch_matching": True}
    response = client.put(f"/seekers/{seeker.account_id}/passport/consent", json=consent, headers=seeker.headers)
    assert response.status_code == 200, response.text
    assert response.json()["version"] == 2
    assert response.json()["passport"]["consent"]["employer_ids"] == [employer_org]
    record = record_of(app, seeker.account_id)
    assert record.visible_to_employers and record.include_in_batch_matching and record.version == 2
    assert passports_version(app) == before + 1
    again = client.put(f"/seekers/{seeker.account_id}/passport/consent", json=consent, headers=seeker.headers)
    assert again.json()["version"] == 2  # the same choice twice is one version
    withdraw = {"visible_to_employers": False, "employer_ids": [], "include_in_batch_matching": False}
    client.put(f"/seekers/{seeker.account_id}/passport/consent", json=withdraw, headers=seeker.headers)
    record = record_of(app, seeker.account_id)
    assert not record.visible_to_employers and not record.include_in_batch_matching and record.version == 3
    history = client.get(f"/seekers/{seeker.account_id}/passport/history", headers=seeker.headers).json()
    assert [v["reason"].split(":")[0] for v in history["versions"][1:]] == ["consent", "consent"]
    assert any(c["path"] == "consent.visible_to_employers" for c in history["versions"][1]["changes"])


@pytest.mark.parametrize("consent, field", [
    ({"visible_to_employers": True, "employer_ids": ["no-such-employer"], "include_in_batch_matching": False},
     "body.employer_ids[0]"),
    ({"visible_to_employers": False, "employer_ids": ["x"], "include_in_batch_matching": False}, "body.employer_ids"),
    ({"visible_to_employers": True}, "body.include_in_batch_matching"),
])
def test_bad_consent_is_refused_and_nothing_changes(client, app, people, consent, field):
    seeker = people.actor("seeker")
    people.passport(seeker, visible=False, batch=False)
    response = client.put(f"/seekers/{seeker.account_id}/passport/consent", json=consent, headers=seeker.headers)
    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["field"] == field
    assert record_of(app, seeker.account_id).version == 1


def test_details_change(client, app, people):
    seeker = people.actor("seeker")
    people.passport(seeker, visible=False, batch=False)
    change = {"education_eqf": 4, "location": {"lat": 51.5, "lon": 5.6},
              "preferences": {"sectors": [app.state.ctx.taxonomy.sectors[0]], "max_travel_km": 15}}
    response = client.patch(f"/seekers/{seeker.account_id}/passport", json=change, headers=seeker.headers)
    assert response.status_code == 200, response.text
    passport = response.json()["passport"]
    assert passport["education_eqf"] == 4 and passport["location"]["lat"] == 51.5
    assert passport["preferences"]["max_travel_km"] == 15 and response.json()["version"] == 2
    assert passport["languages"] == [{"language": "nl", "cefr": "B2"}]  # not sent, not changed
    same = client.patch(f"/seekers/{seeker.account_id}/passport", json={"education_eqf": 4}, headers=seeker.headers)
    assert same.json()["version"] == 2
    history = client.get(f"/seekers/{seeker.account_id}/passport/history", headers=seeker.headers).json()
    paths = {c["path"] for c in history["versions"][1]["changes"]}
    assert {"education_eqf", "location.lat", "preferences.max_travel_km"} <= paths


@pytest.mark.parametrize("change, field", [
    ({"preferences": {"sectors": ["astrology"]}}, "body.preferences.sectors[0]"),
    ({"education_eqf": 0}, "body.education_eqf"),
    ({"languages": [{"language": "dutch", "cefr": "B1"}]}, "body.languages.0.language"),
    ({"location": None}, "body.location"),
    ({}, "body"),
])
def test_bad_details_are_refused_and_nothing_changes(client, app, people, change, field):
    seeker = people.actor("seeker")
    people.passport(seeker)
    response = client.patch(f"/seekers/{seeker.account_id}/passport", json=change, headers=seeker.headers)
    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["field"] == field
    assert record_of(app, seeker.account_id).version == 2


def test_credential_verifies_against_the_platform_keyring(client, app, people, api_settings):
    seeker = people.actor("seeker")
    people.passport(seeker)
    response = client.get(f"/seekers/{seeker.account_id}/passport/credential", headers=seeker.headers)
    assert response.status_code == 200, response.text
    credential = response.json()
    keyring = KeyStore(api_settings.data_dir / "keys").keyring()
    report = verify_credential(credential, keyring, now=datetime.now(timezone.utc))
    assert report.valid, report.problems
    assert report.passport_version == 2 and report.key_id == keyring.active_key_id
    tampered = json.loads(json.dumps(credential))
    tampered["credentialSubject"]["skillsPassport"]["education_eqf"] = 8
    assert not verify_credential(tampered, keyring, now=datetime.now(timezone.utc)).valid
    second = client.get(f"/seekers/{seeker.account_id}/passport/credential", headers=seeker.headers).json()
    assert second["issuer"]["id"] == credential["issuer"]["id"]  # one key, made on first use


# --------------------------------------------------------------------------- export and erasure


def _full_person(client, app, people):
    """A seeker with something in every table that holds personal data."""
    seeker, coach = people.actor("seeker", username="ada-lovelace"), people.actor("coach")
    people.assign_coach(coach, seeker)
    employer = people.actor("employer")
    people.passport(seeker, employer_ids=[employer.organisation_id])
    session_id = client.post(f"/seekers/{seeker.account_id}/sessions", headers=seeker.headers).json()["session_id"]
    assert client.post(f"/sessions/{session_id}/events", json={"events": GONOGO},
                       headers=seeker.headers).status_code == 200
    taxonomy = app.state.ctx.taxonomy
    vacancy = Vacancy.from_occupation(taxonomy, taxonomy.occupation_ids[0], vacancy_id="v-1",
                                      employer_id=employer.organisation_id, location=Location(lat=51.44, lon=5.47))
    with app.state.ctx.sessions() as db:
        db.add(VacancyRecord(vacancy_id="v-1", employer_id=employer.organisation_id,
                             document=vacancy.model_dump(mode="json")))
        db.flush()
        connection = Connection(vacancy_id="v-1", seeker_id=seeker.account_id, employer_id=employer.organisation_id,
                                invited_by=employer.account_id, status="accepted", message="Welkom bij ons team")
        db.add(connection)
        db.flush()
        db.add(Outcome(connection_id=connection.id, seeker_id=seeker.account_id, vacancy_id="v-1",
                       employer_id=employer.organisation_id, occupation_id=vacancy.occupation_id, lasted=True))
        db.add(MonitoringAttribute(account_id=seeker.account_id, attribute="age_band", value="25-34"))
        db.commit()
    return seeker, coach, session_id


def test_export_holds_everything_stored_about_the_person(client, app, people):
    seeker, coach, session_id = _full_person(client, app, people)
    response = client.get(f"/seekers/{seeker.account_id}/export", headers=coach.headers)
    assert response.status_code == 200, response.text
    export = response.json()
    assert export["account"]["username"] == "ada-lovelace"
    assert "password_hash" not in json.dumps(export)
    assert export["passport"]["holder_id"] == seeker.account_id
    assert [v["version"] for v in export["passport_history"]] == [1, 2]
    [session] = export["sessions"]
    assert session["session_id"] == session_id
    assert {e["event_id"] for e in session["events"]} == {e["event_id"] for e in GONOGO}
    assert export["connections"][0]["message"] == "Welkom bij ons team"
    assert export["outcomes"][0]["lasted"] is True
    assert export["monitoring_attributes"] == {"age_band": "25-34"}
    assert export["coaches"] == [{"coach_id": coach.account_id, "since": export["coaches"][0]["since"]}]
    assert len(export["sign_ins"]) == 1
    assert {"session.start", "session.events"} <= {a["action"] for a in export["audit"]}
    assert "person.exported" in actions_about(app, seeker.account_id)


@pytest.mark.parametrize("who", ["self", "admin"])
def test_erasure_leaves_nothing_personal_and_everything_answers_404(client, app, people, who):
    seeker, coach, session_id = _full_person(client, app, people)
    admin = people.actor("admin")
    before = passports_version(app)
    eraser = seeker if who == "self" else admin
    response = client.delete(f"/seekers/{seeker.account_id}", headers=eraser.headers)
    assert response.status_code == 204, response.text

    with app.state.ctx.sessions() as db:
        account = db.get(Account, seeker.account_id)
        assert account.username == f"erased-{seeker.account_id}" and account.password_hash is None
        assert account.display_name == "" and not account.active and account.erased_at is not None
        [outcome] = db.scalars(select(Outcome)).all()
        assert outcome.seeker_id is None and outcome.lasted is True
        assert db.scalars(select(AccessToken).where(AccessToken.account_id == seeker.account_id)).all() == []
        # Nothing but the tombstone and the audit trail still names the person.
        for table in Base.metadata.sorted_tables:
            if table.name in ("accounts", "audit_log"):
                continue
            for row in db.execute(select(table)).all():
                assert seeker.account_id not in json.dumps([str(v) for v in row]), table.name
        assert db.scalar(select(Account).where(Account.username == "ada-lovelace")) is None
        erased = db.scalars(select(AuditEntry).where(AuditEntry.action == "person.erased")).all()
        assert [(e.subject_id, e.actor_id) for e in erased] == [(seeker.account_id, eraser.account_id)]
    assert passports_version(app) > before

    assert client.get(f"/seekers/{seeker.account_id}/passport", headers=seeker.headers).status_code == 401
    for method, path in [("GET", f"/seekers/{seeker.account_id}/passport"),
                         ("GET", f"/seekers/{seeker.account_id}/passport/history"),
                         ("GET", f"/seekers/{seeker.account_id}/export"),
                         ("POST", f"/seekers/{seeker.account_id}/sessions"),
                         ("GET", f"/sessions/{session_id}")]:
        assert client.request(method, path, headers=coach.headers).status_code == 404, path
    assert client.delete(f"/seekers/{seeker.account_id}", headers=admin.headers).status_code == 404


def test_only_seekers_are_erased_by_an_admin(client, people):
    admin, employer = people.actor("admin"), people.actor("employer")
    assert client.delete(f"/seekers/{employer.account_id}", headers=admin.headers).status_code == 404
    assert client.delete("/seekers/nobody", headers=admin.headers).status_code == 404


# --------------------------------------------------------------------------- who may do what

ROLES = ("self", "other_seeker", "coach", "coach_without_caseload", "employer", "partner", "analyst", "admin")
SEEKER_OR_COACH = {"self": "ok", "other_seeker": 404, "coach": "ok", "coach_without_caseload": 404,
                   "employer": 403, "partner": 403, "analyst": 403, "admin": 403}
SEEKER_OR_ADMIN = {"self": "ok", "other_seeker": 404, "coach": 403, "coach_without_caseload": 403,
                   "employer": 403, "partner": 403, "analyst": 403, "admin": "ok"}
CONSENT = {"visible_to_employers": True, "employer_ids": [], "include_in_batch_matching": False}
ENDPOINTS = {
    "passport": ("GET", "/passport", None, 200, SEEKER_OR_COACH),
    "history": ("GET", "/passport/history", None, 200, SEEKER_OR_COACH),
    "consent": ("PUT", "/passport/consent", CONSENT, 200, SEEKER_OR_COACH),
    "details": ("PATCH", "/passport", {"education_eqf": 5}, 200, SEEKER_OR_COACH),
    "credential": ("GET", "/passport/credential", None, 200, SEEKER_OR_COACH),
    "export": ("GET", "/export", None, 200, SEEKER_OR_COACH),
    "erase": ("DELETE", "", None, 204, SEEKER_OR_ADMIN),
}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """One platform for the whole access table, with an account of every role but the seeker."""
    with access_world(tmp_path_factory.mktemp("passport-access") / "data") as world_:
        yield world_


@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
@pytest.mark.parametrize("role", ROLES)
def test_access(world, endpoint, role):
    app, client, people, cast = world
    seeker = people.actor("seeker")
    people.assign_coach(cast["coach"], seeker)
    people.passport(seeker, visible=False, batch=False)
    actor = seeker if role == "self" else cast[role]
    method, suffix, body, ok_status, table = ENDPOINTS[endpoint]
    response = client.request(method, f"/seekers/{seeker.account_id}{suffix}", json=body, headers=actor.headers)
    expected = ok_status if table[role] == "ok" else table[role]
    assert response.status_code == expected, response.text
    if expected != ok_status:
        record = record_of(app, seeker.account_id)
        assert record is not None and record.version == 1
