"""Skillsprint sessions over HTTP: start, idempotent event ingest, progress, finish → passport."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import select

from assessment.skillsprint import Engine, simulate_skillsprint
from service.api.session_store import ingest_events
from service.db.tables import AssessmentEvent, AuditEntry, PassportRecord, SkillsprintSessionRecord
from tests.api.conftest import access_world

DETAILS = {"education_eqf": 3, "location": {"lat": 51.4416, "lon": 5.4697},
           "languages": [{"language": "nl", "cefr": "B1"}], "preferences": {"max_travel_km": 30}}


@pytest.fixture(scope="module")
def played():
    """One player's whole Skillsprint as a device sends it: flat events, ids unique per session."""
    engine = Engine.default()
    levels = np.full((1, engine.taxonomy.n_soft_skills), 3.4)
    events = simulate_skillsprint(levels, np.random.default_rng(5), engine=engine,
                                  session_ids=np.array(["device"], dtype=object))
    flat = []
    for name, frame in events.items():
        for record in frame.drop(columns="session_id").to_dict("records"):
            record = {k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in record.items()}
            record = {k: (v.item() if hasattr(v, "item") else v) for k, v in record.items()}
            flat.append({**record, "instrument": name, "event_id": f"{name}-{record['event_id']}"})
    return flat


def start(client, actor, seeker_id, details=DETAILS):
    body = {"details": details} if details is not None else None
    response = client.post(f"/seekers/{seeker_id}/sessions", json=body, headers=actor.headers)
    assert response.status_code == 201, response.text
    return response.json()["session_id"]


def stored(app, session_id) -> dict[str, dict]:
    with app.state.ctx.sessions() as db:
        rows = db.execute(select(AssessmentEvent.event_id, AssessmentEvent.instrument, AssessmentEvent.payload)
                          .where(AssessmentEvent.session_id == session_id)).all()
    return {event_id: {**{k: v for k, v in payload.items() if k != "session_id"}, "instrument": instrument}
            for event_id, instrument, payload in rows}


def session_row(app, session_id) -> SkillsprintSessionRecord:
    with app.state.ctx.sessions() as db:
        return db.get(SkillsprintSessionRecord, session_id)


def send(client, actor, session_id, events):
    return client.post(f"/sessions/{session_id}/events", json={"events": events}, headers=actor.headers)


# --------------------------------------------------------------------------- the whole flow


def test_start_events_progress_finish_issues_a_passport(client, app, people, played):
    seeker = people.actor("seeker")
    session_id = start(client, seeker, seeker.account_id)
    rng = np.random.default_rng(1)
    shuffled = [played[i] for i in rng.permutation(len(played))]
    accepted = 0
    for begin in range(0, len(shuffled), 150):
        response = send(client, seeker, session_id, shuffled[begin:begin + 150])
        assert response.status_code == 200, response.text
        accepted += response.json()["accepted"]
        again = send(client, seeker, session_id, shuffled[begin:begin + 150])
        assert again.json() == {"accepted": 0, "repeated": len(shuffled[begin:begin + 150]),
                                "stored_total": accepted}
    assert accepted == len(played)

    halfway = client.get(f"/sessions/{session_id}", headers=seeker.headers)
    assert halfway.status_code == 200
    body = halfway.json()
    assert body["status"] == "open" and body["n_events"] == len(played)
    assert all(p["finished"] and p["completion"] == 1.0 for p in body["progress"].values())
    assert set(body["progress"]) == {"gonogo", "flanker", "bart", "nback", "tower", "trust", "sjt", "questionnaire"}

    finished = client.post(f"/sessions/{session_id}/finish", headers=seeker.headers)
    assert finished.status_code == 200, finished.text
    result = finished.json()
    passport = result["passport"]
    assert result["issued"] is True and result["passport_version"] == 1
    assert passport["holder_id"] == seeker.account_id and passport["education_eqf"] == 3
    assert len(passport["profile"]["skills"]) == 20
    assert {e["reference"] for e in passport["evidence"]} == {session_id}
    assert passport["provenance"]["method"] == "skillsprint"
    assert {run["instrument_id"] for run in passport["provenance"]["instruments"]} == set(body["progress"])
    assert isinstance(result["quality_flags"], list)

    current = client.get(f"/seekers/{seeker.account_id}/passport", headers=seeker.headers).json()
    assert current["passport"] == passport and current["version"] == 1
    after = client.get(f"/sessions/{session_id}", headers=seeker.headers).json()
    assert after["status"] == "finished" and after["passport_id"] == passport["passport_id"]
    assert after["finished_at"] is not None and after["next_scenario"] is None
    with app.state.ctx.sessions() as db:
        actions = db.scalars(select(AuditEntry.action).where(AuditEntry.resource == "skillsprint_session",
                                                             AuditEntry.subject_id == seeker.account_id)).all()
    assert {"session.start", "session.events", "session.read", "session.finish"} <= set(actions)


def test_finish_adds_evidence_to_an_existing_passport(client, app, people, played):
    seeker = people.actor("seeker")
    before = people.passport(seeker, visible=True, batch=False)
    session_id = start(client, seeker, seeker.account_id, details=None)
    assert send(client, seeker, session_id, played).status_code == 200
    result = client.post(f"/sessions/{session_id}/finish", headers=seeker.headers).json()
    assert result["issued"] is False and result["passport_version"] == before.version + 1
    passport = result["passport"]
    assert passport["passport_id"] == before.passport_id
    assert passport["consent"]["visible_to_employers"] is True
    assert len(passport["evidence"]) == len(before.evidence) + 20
    # the newest assessment session supersedes the older one
    assert {e["reference"] for e in passport["evidence"][-20:]} == {session_id}
    assert passport["profile"]["skills"] != before.model_dump(mode="json")["profile"]["skills"]


def test_a_coach_runs_the_session_for_a_seeker_in_their_caseload(client, people, played):
    seeker, coach = people.actor("seeker"), people.actor("coach")
    people.assign_coach(coach, seeker)
    session_id = start(client, coach, seeker.account_id)
    assert send(client, coach, session_id, played).status_code == 200
    result = client.post(f"/sessions/{session_id}/finish", headers=coach.headers).json()
    assert result["passport"]["holder_id"] == seeker.account_id
    seen_by_seeker = client.get(f"/seekers/{seeker.account_id}/passport", headers=seeker.headers)
    assert seen_by_seeker.json()["passport"]["passport_id"] == result["passport"]["passport_id"]


# --------------------------------------------------------------------------- idempotency


def test_repeated_and_reordered_batches_store_the_same_set(client, app, people, played):
    seeker = people.actor("seeker")
    in_order, shuffled = start(client, seeker, seeker.account_id), start(client, seeker, seeker.account_id)
    subset = played[:400]
    for begin in range(0, len(subset), 120):
        send(client, seeker, in_order, subset[begin:begin + 120])
    rng = np.random.default_rng(3)
    order = [subset[i] for i in rng.permutation(len(subset))]
    batches = [order[i:i + 77] for i in range(0, len(order), 77)]
    for batch in [batches[2], *batches, batches[0], batches[-1]]:
        assert send(client, seeker, shuffled, batch).status_code == 200
    assert stored(app, in_order) == stored(app, shuffled)
    assert len(stored(app, shuffled)) == 400
    assert session_row(app, shuffled).n_events == 400


def test_a_conflicting_resend_refuses_the_whole_batch(client, app, people, played):
    seeker = people.actor("seeker")
    session_id = start(client, seeker, seeker.account_id)
    send(client, seeker, session_id, played[:10])
    changed = {**played[3], "t_ms": played[3]["t_ms"] + 1.0}
    response = send(client, seeker, session_id, [*played[10:20], changed])
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["fields"][0]["field"] == f"body.events[{played[3]['event_id']}].event_id"
    assert "different content" in error["message"]
    assert set(stored(app, session_id)) == {e["event_id"] for e in played[:10]}
    assert session_row(app, session_id).n_events == 10


def test_the_same_id_under_another_instrument_is_a_conflict(client, app, people, played):
    seeker = people.actor("seeker")
    session_id = start(client, seeker, seeker.account_id)
    gonogo = next(e for e in played if e["instrument"] == "gonogo")
    flanker = next(e for e in played if e["instrument"] == "flanker")
    send(client, seeker, session_id, [gonogo])
    response = send(client, seeker, session_id, [{**flanker, "event_id": gonogo["event_id"]}])
    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["field"] == f"body.events[{gonogo['event_id']}].instrument"
    both = send(client, seeker, session_id, [{**flanker, "event_id": "twice"},
                                             {**played[5], "event_id": "twice"}])
    assert both.status_code == 422
    assert set(stored(app, session_id)) == {gonogo["event_id"]}


@pytest.mark.parametrize("change, field", [
    (lambda e: {**e, "instrument": "chess"}, "instrument"),
    (lambda e: {**e, "trial": -1}, "trial"),
    (lambda e: {k: v for k, v in e.items() if k != "t_ms"}, "t_ms"),
    (lambda e: {**e, "event_id": "x" * 129}, "event_id"),
])
def test_a_bad_event_names_its_field_and_stores_nothing(client, app, people, played, change, field):
    seeker = people.actor("seeker")
    session_id = start(client, seeker, seeker.account_id)
    response = send(client, seeker, session_id, [*played[:30], change(played[30])])
    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["field"].endswith(f".{field}")
    assert stored(app, session_id) == {} and session_row(app, session_id).n_events == 0


def test_batch_size_limits(client, app, people, played):
    seeker = people.actor("seeker")
    session_id = start(client, seeker, seeker.account_id)
    too_many = [{**played[i % len(played)], "event_id": f"e{i}"} for i in range(1001)]
    for events in (too_many, []):
        response = send(client, seeker, session_id, events)
        assert response.status_code == 422
        assert response.json()["error"]["fields"][0]["field"] == "body.events"
    assert stored(app, session_id) == {}


# --------------------------------------------------------------------------- state and input


def test_a_finished_session_takes_no_events_and_finishes_once(client, people, played):
    seeker = people.actor("seeker")
    session_id = start(client, seeker, seeker.account_id)
    send(client, seeker, session_id, played)
    assert client.post(f"/sessions/{session_id}/finish", headers=seeker.headers).status_code == 200
    assert send(client, seeker, session_id, played[:5]).status_code == 409
    assert client.post(f"/sessions/{session_id}/finish", headers=seeker.headers).status_code == 409


def test_finishing_without_details_or_passport_asks_for_details(client, app, people, played):
    seeker = people.actor("seeker")
    session_id = start(client, seeker, seeker.account_id, details=None)
    send(client, seeker, session_id, played)
    response = client.post(f"/sessions/{session_id}/finish", headers=seeker.headers)
    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["field"] == "body.details"
    assert session_row(app, session_id).status == "open"
    with app.state.ctx.sessions() as db:
        assert db.scalar(select(PassportRecord).where(PassportRecord.holder_id == seeker.account_id)) is None
    finished = client.post(f"/sessions/{session_id}/finish", json={"details": DETAILS}, headers=seeker.headers)
    assert finished.status_code == 200 and finished.json()["passport"]["education_eqf"] == 3


def test_finishing_an_empty_session_is_a_conflict(client, people):
    seeker = people.actor("seeker")
    session_id = start(client, seeker, seeker.account_id)
    assert client.post(f"/sessions/{session_id}/finish", headers=seeker.headers).status_code == 409


@pytest.mark.parametrize("details, field", [
    ({**DETAILS, "preferences": {"sectors": ["astrology"]}}, "body.details.preferences.sectors.0"),
    ({**DETAILS, "education_eqf": 9}, "body.details.education_eqf"),
    ({k: v for k, v in DETAILS.items() if k != "location"}, "body.details.location"),
])
def test_bad_details_are_refused_at_start(client, app, people, details, field):
    seeker = people.actor("seeker")
    response = client.post(f"/seekers/{seeker.account_id}/sessions", json={"details": details},
                           headers=seeker.headers)
    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["field"].replace("[", ".").rstrip("]") == field
    with app.state.ctx.sessions() as db:
        assert db.scalars(select(SkillsprintSessionRecord)).all() == []


def test_unknown_session_is_404(client, people):
    seeker = people.actor("seeker")
    for response in (client.get("/sessions/nope", headers=seeker.headers),
                     client.post("/sessions/nope/events", json={"events": [{"event_id": "a"}]},
                                 headers=seeker.headers),
                     client.post("/sessions/nope/finish", headers=seeker.headers)):
        assert response.status_code == 404
        assert response.json()["error"]["fields"][0]["field"] == "path.session_id"


def test_instruments_describe_the_events_a_device_sends(client, people, played):
    employer = people.actor("employer")
    response = client.get("/skillsprint/instruments", headers=employer.headers)
    assert response.status_code == 200
    instruments = {i["id"]: i for i in response.json()}
    assert list(instruments) == ["gonogo", "flanker", "bart", "nback", "tower", "trust", "sjt", "questionnaire"]
    for event in played:
        fields = {f["name"] for f in instruments[event["instrument"]]["events"]["fields"]}
        assert set(event) - {"instrument", "event_id"} == fields
    assert client.get("/skillsprint/instruments").status_code == 401


# --------------------------------------------------------------------------- who may do what

ROLES = ("self", "other_seeker", "coach", "coach_without_caseload", "employer", "partner", "analyst", "admin")
EXPECTED = {"self": "ok", "other_seeker": 404, "coach": "ok", "coach_without_caseload": 404,
            "employer": 403, "partner": 403, "analyst": 403, "admin": 403}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """One platform for the whole access table, with an account of every role but the seeker."""
    with access_world(tmp_path_factory.mktemp("session-access") / "data") as world_:
        yield world_


def _prepared_session(app, seeker, events) -> str:
    with app.state.ctx.sessions() as db:
        record = SkillsprintSessionRecord(holder_id=seeker.account_id, details=DETAILS)
        db.add(record)
        db.flush()
        ingest_events(db, record.id, events)
        db.commit()
        return record.id


ENDPOINTS = {
    "start": (201, lambda c, a, s, sid, ev: c.post(f"/seekers/{s.account_id}/sessions", headers=a.headers)),
    "events": (200, lambda c, a, s, sid, ev: c.post(f"/sessions/{sid}/events", json={"events": ev[:3]},
                                                    headers=a.headers)),
    "read": (200, lambda c, a, s, sid, ev: c.get(f"/sessions/{sid}", headers=a.headers)),
    "finish": (200, lambda c, a, s, sid, ev: c.post(f"/sessions/{sid}/finish", headers=a.headers)),
}


@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
@pytest.mark.parametrize("role", ROLES)
def test_access(world, played, endpoint, role):
    app, client, people, cast = world
    seeker = people.actor("seeker")
    people.assign_coach(cast["coach"], seeker)
    session_id = _prepared_session(app, seeker, played if endpoint == "finish" else played[:40])
    ok_status, call = ENDPOINTS[endpoint]
    response = call(client, seeker if role == "self" else cast[role], seeker, session_id, played)
    expected = ok_status if EXPECTED[role] == "ok" else EXPECTED[role]
    assert response.status_code == expected, response.text
    if expected != ok_status:
        with app.state.ctx.sessions() as db:
            rows = db.scalars(select(SkillsprintSessionRecord)
                              .where(SkillsprintSessionRecord.holder_id == seeker.account_id)).all()
            assert [(r.status, r.n_events) for r in rows] == [("open", len(stored(app, session_id)))]
