"""Connections: invitations to consenting candidates, and the seeker's answer."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from service.db.tables import AuditEntry, Connection, Outcome
from tests.api.test_recommendations import change_consent, set_status, store_vacancy


@pytest.fixture
def cast(app, people):
    """The employer owning ``v1``–``v3``, a consenting seeker with a coach, and everyone else."""
    employer = people.actor("employer")
    store_vacancy(app, employer.organisation_id, "warehouse_worker", "v1")
    store_vacancy(app, employer.organisation_id, "hand_packer", "v2")
    store_vacancy(app, employer.organisation_id, "social_work_assistant", "v3")
    seeker, coach = people.actor("seeker"), people.actor("coach")
    people.passport(seeker)
    people.assign_coach(coach, seeker)
    other_seeker = people.actor("seeker")
    people.passport(other_seeker, seed=1)
    return {"employer": employer, "seeker": seeker, "coach": coach, "other_seeker": other_seeker,
            "other_employer": people.actor("employer"), "other_coach": people.actor("coach"),
            "partner": people.actor("partner"), "analyst": people.actor("analyst"), "admin": people.actor("admin")}


def invite(client, employer, seeker, vacancy_id="v1", message="Come and meet us"):
    return client.post("/connections", json={"vacancy_id": vacancy_id, "seeker_id": seeker.account_id,
                                             "message": message}, headers=employer.headers)


def invited(client, cast, **kwargs) -> str:
    response = invite(client, cast["employer"], cast["seeker"], **kwargs)
    assert response.status_code == 201, response.text
    return response.json()["id"]


def count(app, table) -> int:
    with app.state.ctx.sessions() as db:
        return db.scalar(select(func.count()).select_from(table))


def test_invitation_is_stored_invited_with_the_fit_and_audited(client, app, cast):
    response = invite(client, cast["employer"], cast["seeker"])
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "invited" and body["vacancy_title"] == "Warehouse worker"
    assert body["employer_id"] == cast["employer"].organisation_id and body["message"] == "Come and meet us"
    assert 0 < body["score"] < 1 and body["decided_at"] is None
    with app.state.ctx.sessions() as db:
        entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "connection.invite"))
    assert (entry.actor_id, entry.subject_id, entry.resource_id) == \
        (cast["employer"].account_id, cast["seeker"].account_id, body["id"])


def test_one_connection_per_vacancy_and_seeker(client, app, cast):
    invited(client, cast)
    again = invite(client, cast["employer"], cast["seeker"])
    assert again.status_code == 409 and again.json()["error"]["fields"][0]["field"] == "body.seeker_id"
    assert invite(client, cast["employer"], cast["seeker"], vacancy_id="v2").status_code == 201
    assert count(app, Connection) == 2


def test_only_consenting_seekers_can_be_invited(client, app, people, cast):
    employer = cast["employer"]
    hidden, named_elsewhere, no_passport = people.actor("seeker"), people.actor("seeker"), people.actor("seeker")
    people.passport(hidden, visible=False)
    people.passport(named_elsewhere, employer_ids=[cast["other_employer"].organisation_id])
    for seeker in (hidden, named_elsewhere, no_passport, cast["coach"]):
        response = invite(client, employer, seeker)
        assert response.status_code == 404, seeker.role
        assert response.json()["error"]["fields"][0]["field"] == "body.seeker_id"
    assert count(app, Connection) == 0


def test_the_vacancy_must_be_the_employers_own_and_open(client, app, cast):
    seeker = cast["seeker"]
    assert invite(client, cast["other_employer"], seeker).status_code == 403
    unknown = invite(client, cast["employer"], seeker, vacancy_id="nope")
    assert unknown.status_code == 404 and unknown.json()["error"]["fields"][0]["field"] == "body.vacancy_id"
    set_status(app, "v1", "closed")
    assert invite(client, cast["employer"], seeker).status_code == 409
    assert count(app, Connection) == 0


@pytest.mark.parametrize("body, field", [
    ({"seeker_id": "s"}, "body.vacancy_id"),
    ({"vacancy_id": "v1"}, "body.seeker_id"),
    ({"vacancy_id": "v1", "seeker_id": "s", "message": "x" * 2001}, "body.message"),
    ({"vacancy_id": "", "seeker_id": "s"}, "body.vacancy_id")])
def test_bad_invitation_is_422_naming_the_field_and_stores_nothing(client, app, cast, body, field):
    response = client.post("/connections", json=body, headers=cast["employer"].headers)
    assert response.status_code == 422
    assert field in [f["field"] for f in response.json()["error"]["fields"]]
    assert count(app, Connection) == 0


def test_who_may_invite(client, cast):
    table = {"other_employer": 403, "seeker": 403, "coach": 403, "partner": 403, "analyst": 403, "admin": 403,
             "employer": 201}
    for role, expected in table.items():
        assert invite(client, cast[role], cast["seeker"]).status_code == expected, role


# --------------------------------------------------------------------------- the state machine

ACTORS = {"accept": "seeker", "decline": "coach", "withdraw": "employer"}
REACHED = {"accept": "accepted", "decline": "declined", "withdraw": "withdrawn"}


def state_of(app, connection_id: str) -> str:
    with app.state.ctx.sessions() as db:
        return db.get(Connection, connection_id).status


def test_an_invitation_can_be_accepted_declined_or_withdrawn(client, app, cast):
    for then, vacancy_id in zip(ACTORS, ("v1", "v2", "v3")):
        connection_id = invited(client, cast, vacancy_id=vacancy_id)
        response = client.post(f"/connections/{connection_id}/{then}", headers=cast[ACTORS[then]].headers)
        assert response.status_code == 200, then
        assert response.json()["status"] == REACHED[then] == state_of(app, connection_id)
        assert response.json()["decided_at"] is not None


@pytest.mark.parametrize("first", ["accept", "decline", "withdraw"])
def test_nothing_leaves_an_answered_or_withdrawn_connection(client, app, cast, first):
    connection_id = invited(client, cast)
    assert client.post(f"/connections/{connection_id}/{first}", headers=cast[ACTORS[first]].headers).status_code == 200
    for then in ACTORS:
        response = client.post(f"/connections/{connection_id}/{then}", headers=cast[ACTORS[then]].headers)
        assert response.status_code == 409, (first, then)
        assert response.json()["error"]["fields"][0]["field"] == "path.connection_id"
        assert state_of(app, connection_id) == REACHED[first]


def test_accepting_records_a_match(client, app, cast):
    connection_id = invited(client, cast)
    other = invited(client, cast, vacancy_id="v2")
    client.post(f"/connections/{other}/decline", headers=cast["seeker"].headers)
    assert client.post(f"/connections/{connection_id}/accept", headers=cast["coach"].headers).status_code == 200
    with app.state.ctx.sessions() as db:
        outcomes = db.scalars(select(Outcome)).all()
        actions = sorted(db.scalars(select(AuditEntry.action).where(AuditEntry.action.like("connection.%"))))
    assert [(o.kind, o.connection_id, o.seeker_id, o.vacancy_id, o.employer_id, o.occupation_id) for o in outcomes] \
        == [("match", connection_id, cast["seeker"].account_id, "v1", cast["employer"].organisation_id,
             "warehouse_worker")]
    assert actions == ["connection.accept", "connection.decline", "connection.invite", "connection.invite"]


def test_an_invitation_for_a_closed_vacancy_can_only_be_declined(client, app, cast):
    connection_id = invited(client, cast)
    set_status(app, "v1", "closed")
    assert client.post(f"/connections/{connection_id}/accept", headers=cast["seeker"].headers).status_code == 409
    assert client.post(f"/connections/{connection_id}/decline", headers=cast["seeker"].headers).status_code == 200
    assert count(app, Outcome) == 0


@pytest.mark.parametrize("action", ["accept", "decline"])
def test_who_may_answer(client, app, cast, action):
    connection_id = invited(client, cast)
    refused = {"other_seeker": 404, "other_coach": 404, "employer": 403, "partner": 403, "analyst": 403,
               "admin": 403}
    for role, expected in refused.items():
        response = client.post(f"/connections/{connection_id}/{action}", headers=cast[role].headers)
        assert response.status_code == expected, role
    assert state_of(app, connection_id) == "invited"
    for role, vacancy_id in (("seeker", "v2"), ("coach", "v3")):
        connection_id = invited(client, cast, vacancy_id=vacancy_id)
        assert client.post(f"/connections/{connection_id}/{action}", headers=cast[role].headers).status_code == 200


def test_who_may_withdraw(client, app, cast):
    connection_id = invited(client, cast)
    refused = {"other_employer": 404, "seeker": 403, "coach": 403, "partner": 403, "analyst": 403, "admin": 403}
    for role, expected in refused.items():
        response = client.post(f"/connections/{connection_id}/withdraw", headers=cast[role].headers)
        assert response.status_code == expected, role
    assert state_of(app, connection_id) == "invited"
    assert client.post(f"/connections/{connection_id}/withdraw", headers=cast["employer"].headers).status_code == 200


def test_unknown_connection_is_404(client, cast):
    for action, role in ACTORS.items():
        response = client.post(f"/connections/nope/{action}", headers=cast[role].headers)
        assert response.status_code == 404 and response.json()["error"]["fields"][0]["field"] == "path.connection_id"


# --------------------------------------------------------------------------- listing


def listed(client, actor, **params) -> list[tuple[str, str]]:
    response = client.get("/connections", params=params, headers=actor.headers)
    assert response.status_code == 200, response.text
    return sorted((c["vacancy_id"], c["seeker_id"]) for c in response.json())


def test_each_role_lists_its_own_connections(client, app, people, cast):
    seeker, other = cast["seeker"], cast["other_seeker"]
    first = invited(client, cast)
    assert invite(client, cast["employer"], other, vacancy_id="v2").status_code == 201
    client.post(f"/connections/{first}/accept", headers=seeker.headers)
    s, o = seeker.account_id, other.account_id
    assert listed(client, seeker) == [("v1", s)]
    assert listed(client, other) == [("v2", o)]
    assert listed(client, cast["coach"]) == [("v1", s)]
    assert listed(client, cast["coach"], seeker_id=s) == [("v1", s)]
    assert listed(client, cast["employer"]) == [("v1", s), ("v2", o)]
    assert listed(client, cast["employer"], vacancy_id="v2") == [("v2", o)]
    assert listed(client, cast["employer"], status="accepted") == [("v1", s)]
    assert listed(client, cast["employer"], seeker_id=o) == [("v2", o)]
    assert listed(client, cast["other_employer"]) == []
    with app.state.ctx.sessions() as db:
        entries = db.scalars(select(AuditEntry).where(AuditEntry.action == "connections.list")).all()
    assert {(e.actor_id, e.subject_id) for e in entries if e.actor_id == cast["coach"].account_id} == \
        {(cast["coach"].account_id, s)}


def test_listing_someone_else_is_404_and_a_bad_status_is_422(client, cast):
    for actor in (cast["other_coach"], cast["other_seeker"]):
        response = client.get("/connections", params={"seeker_id": cast["seeker"].account_id}, headers=actor.headers)
        assert response.status_code == 404 and response.json()["error"]["fields"][0]["field"] == "query.seeker_id"
    response = client.get("/connections", params={"status": "pending"}, headers=cast["employer"].headers)
    assert response.status_code == 422 and response.json()["error"]["fields"][0]["field"] == "query.status"


def test_who_may_list(client, cast):
    table = {"seeker": 200, "coach": 200, "employer": 200, "partner": 403, "analyst": 403, "admin": 403}
    for role, expected in table.items():
        assert client.get("/connections", headers=cast[role].headers).status_code == expected, role


def test_withdrawn_consent_keeps_invitations_but_hides_the_candidate(client, app, cast):
    employer, seeker = cast["employer"], cast["seeker"]
    connection_id = invited(client, cast)
    view = f"/vacancies/v1/candidates/{seeker.account_id}"
    assert client.get(view, headers=employer.headers).status_code == 200
    change_consent(app, seeker, visible_to_employers=False, include_in_batch_matching=False)
    assert client.get(view, headers=employer.headers).status_code == 404
    assert seeker.account_id not in [c["seeker_id"] for c in
                                     client.get("/vacancies/v1/candidates", headers=employer.headers).json()["items"]]
    assert [(c["id"], c["status"]) for c in client.get("/connections", headers=employer.headers).json()] == \
        [(connection_id, "invited")]
    assert invite(client, employer, seeker, vacancy_id="v2").status_code == 404
    assert client.post(f"/connections/{connection_id}/decline", headers=seeker.headers).status_code == 200
