"""Accounts, organisations, caseloads, monitoring attributes and the audit log over HTTP."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from itertools import count

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select

from service.api import security
from service.db.tables import Account, AuditEntry, CoachAssignment, MonitoringAttribute

PASSWORD = "a long enough secret"
ROLES = ("seeker", "coach", "employer", "partner", "analyst", "admin")
_unique = count()


def fresh(prefix: str = "user") -> str:
    return f"{prefix}-{next(_unique)}"


def field_of(response) -> str:
    return response.json()["error"]["fields"][0]["field"]


def n_accounts(people, **where) -> int:
    with people.ctx.sessions() as db:
        return db.scalar(select(func.count()).select_from(Account).filter_by(**where))


def audit_entries(people, **where) -> list[AuditEntry]:
    with people.ctx.sessions() as db:
        return list(db.scalars(select(AuditEntry).filter_by(**where).order_by(AuditEntry.id)))


@pytest.fixture(autouse=True)
def quick_argon2(monkeypatch):
    """Argon2 with small costs: the same algorithm and hash format, fast enough for many sign-ups."""
    hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(security, "_hasher", hasher)
    monkeypatch.setattr(security, "_DUMMY_HASH", hasher.hash("no such user"))


@pytest.fixture
def world(people):
    """A partner organisation with its partner, coach and seeker, an employer, an analyst and an admin."""
    partner_org = people.organisation("partner", "Werkplein")
    employer_org = people.organisation("employer", "Zorggroep")
    actors = {
        "seeker": people.actor("seeker", partner_org),
        "coach": people.actor("coach", partner_org),
        "partner": people.actor("partner", partner_org),
        "employer": people.actor("employer", employer_org),
        "analyst": people.actor("analyst"),
        "admin": people.actor("admin"),
    }
    return {"partner_org": partner_org, "employer_org": employer_org, **actors}


# --------------------------------------------------------------------------- registration


def test_a_registered_seeker_signs_in_with_their_real_password(client, people):
    response = client.post("/accounts/register", json={"username": "anna.b", "password": PASSWORD,
                                                        "display_name": "Anna"})
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["role"] == "seeker" and created["organisation_id"] is None and created["active"]
    assert "password" not in response.text

    wrong = client.post("/auth/token", data={"username": "anna.b", "password": PASSWORD + "!"})
    assert wrong.status_code == 401
    token = client.post("/auth/token", data={"username": "anna.b", "password": PASSWORD})
    assert token.status_code == 200, token.text
    me = client.get("/auth/me", headers={"Authorization": f"Bearer {token.json()['access_token']}"})
    assert me.json()["account_id"] == created["id"] and me.json()["role"] == "seeker"
    with people.ctx.sessions() as db:
        assert db.get(Account, created["id"]).password_hash.startswith("$argon2")
    assert [e.action for e in audit_entries(people, subject_id=created["id"])] == ["account.register"]


def test_registration_joins_a_partner_only_when_it_is_a_partner(client, world):
    joined = client.post("/accounts/register", json={"username": fresh(), "password": PASSWORD, "display_name": "B",
                                                      "partner_organisation_id": world["partner_org"]})
    assert joined.status_code == 201 and joined.json()["organisation_id"] == world["partner_org"]
    for organisation in (world["employer_org"], "no-such-org"):
        username = fresh()
        refused = client.post("/accounts/register", json={"username": username, "password": PASSWORD,
                                                           "display_name": "C", "partner_organisation_id": organisation})
        assert refused.status_code == 422 and field_of(refused) == "body.partner_organisation_id"
        login = client.post("/auth/token", data={"username": username, "password": PASSWORD})
        assert login.status_code == 401  # nothing was stored


def test_registration_names_the_bad_field_and_stores_nothing(client, people):
    for body, field in (({"password": "nine char"}, "body.password"), ({"username": "ab"}, "body.username"),
                        ({"username": "has space"}, "body.username"), ({"display_name": ""}, "body.display_name")):
        response = client.post("/accounts/register", json={"username": fresh(), "password": PASSWORD,
                                                            "display_name": "D", **body})
        assert response.status_code == 422 and field_of(response) == field, body
    assert n_accounts(people) == 0


def test_a_taken_username_is_a_conflict(client, people):
    body = {"username": "same.name", "password": PASSWORD, "display_name": "E"}
    assert client.post("/accounts/register", json=body).status_code == 201
    again = client.post("/accounts/register", json={**body, "password": "another password"})
    assert again.status_code == 409 and field_of(again) == "body.username"
    assert n_accounts(people, username="same.name") == 1


# --------------------------------------------------------------------------- accounts and organisations


def test_admin_creates_organisations_and_lists_them_by_kind(client, world):
    admin = world["admin"].headers
    created = client.post("/organisations", json={"name": "Gemeente Helmond", "kind": "partner"}, headers=admin)
    assert created.status_code == 201 and created.json()["kind"] == "partner"
    bad = client.post("/organisations", json={"name": "X", "kind": "school"}, headers=admin)
    assert bad.status_code == 422 and field_of(bad) == "body.kind"
    partners = client.get("/organisations", params={"kind": "partner"}, headers=admin).json()
    assert {o["name"] for o in partners} == {"Werkplein", "Gemeente Helmond"}
    assert len(client.get("/organisations", headers=admin).json()) == 3


ORGANISATION_RULES = [  # (role, organisation, allowed)
    ("employer", "employer_org", True), ("employer", "partner_org", False), ("employer", None, False),
    ("partner", "partner_org", True), ("partner", "employer_org", False), ("partner", None, False),
    ("coach", "partner_org", True), ("coach", "employer_org", False), ("coach", None, False),
    ("seeker", "partner_org", True), ("seeker", None, True), ("seeker", "employer_org", False),
    ("analyst", None, True), ("analyst", "partner_org", False),
    ("admin", None, True), ("admin", "employer_org", False),
    ("coach", "no-such-org", False),
]


def test_admin_creates_accounts_under_the_organisation_rules(client, world, people):
    for role, organisation, allowed in ORGANISATION_RULES:
        organisation_id = world.get(organisation, organisation)
        username = fresh(role)
        response = client.post("/accounts", headers=world["admin"].headers, json={
            "username": username, "password": PASSWORD, "role": role, "display_name": "New",
            "organisation_id": organisation_id})
        case = (role, organisation, response.text)
        if allowed:
            assert response.status_code == 201, case
            assert response.json()["role"] == role and response.json()["organisation_id"] == organisation_id
            token = client.post("/auth/token", data={"username": username, "password": PASSWORD})
            assert token.status_code == 200 and token.json()["role"] == role, case
        else:
            assert response.status_code == 422 and field_of(response) == "body.organisation_id", case
            assert n_accounts(people, username=username) == 0, case


def test_admin_create_account_rejects_an_unknown_role_and_a_taken_username(client, world, people):
    admin = world["admin"].headers
    body = {"username": fresh(), "password": PASSWORD, "role": "superuser", "display_name": "F"}
    bad = client.post("/accounts", json=body, headers=admin)
    assert bad.status_code == 422 and field_of(bad) == "body.role"
    assert n_accounts(people, username=body["username"]) == 0
    with people.ctx.sessions() as db:
        taken = db.get(Account, world["seeker"].account_id).username
    clash = client.post("/accounts", json={**body, "role": "analyst", "username": taken}, headers=admin)
    assert clash.status_code == 409 and field_of(clash) == "body.username"


def test_accounts_list_filters_paginates_and_never_shows_password_hashes(client, world, people):
    admin = world["admin"].headers
    for _ in range(3):
        people.actor("seeker", world["partner_org"])
    everyone = client.get("/accounts", headers=admin).json()
    assert everyone["total"] == n_accounts(people) == 9
    assert "password" not in str(everyone) and "argon2" not in str(everyone)

    seekers = client.get("/accounts", params={"role": "seeker"}, headers=admin).json()
    assert seekers["total"] == 4 and {a["role"] for a in seekers["items"]} == {"seeker"}
    in_partner = client.get("/accounts", params={"organisation_id": world["partner_org"]}, headers=admin).json()
    assert in_partner["total"] == 6  # four seekers, the coach and the partner

    pages = [client.get("/accounts", params={"limit": 4, "offset": offset}, headers=admin).json()
             for offset in (0, 4, 8)]
    assert [len(page["items"]) for page in pages] == [4, 4, 1]
    ids = [a["id"] for page in pages for a in page["items"]]
    assert len(set(ids)) == 9 and all(page["total"] == 9 for page in pages)
    bad = client.get("/accounts", params={"limit": 0}, headers=admin)
    assert bad.status_code == 422 and field_of(bad) == "query.limit"
    listed = audit_entries(people, action="account.list")
    assert {e.subject_id for e in listed} >= set(ids)


def test_admin_deactivates_renames_and_moves_accounts(client, world, people):
    admin, seeker = world["admin"].headers, world["seeker"]
    path = f"/accounts/{seeker.account_id}"
    assert client.get("/auth/me", headers=seeker.headers).status_code == 200

    off = client.patch(path, json={"active": False}, headers=admin)
    assert off.status_code == 200 and off.json()["active"] is False
    assert client.get("/auth/me", headers=seeker.headers).status_code == 401
    on = client.patch(path, json={"active": True, "display_name": "Renamed"}, headers=admin)
    assert on.json()["active"] and on.json()["display_name"] == "Renamed"
    assert client.get("/auth/me", headers=seeker.headers).status_code == 401  # old tokens stay revoked

    left = client.patch(path, json={"organisation_id": None}, headers=admin)
    assert left.status_code == 200 and left.json()["organisation_id"] is None
    wrong_kind = client.patch(path, json={"organisation_id": world["employer_org"]}, headers=admin)
    assert wrong_kind.status_code == 422 and field_of(wrong_kind) == "body.organisation_id"
    coach_alone = client.patch(f"/accounts/{world['coach'].account_id}", json={"organisation_id": None},
                               headers=admin)
    assert coach_alone.status_code == 422 and field_of(coach_alone) == "body.organisation_id"
    null_active = client.patch(path, json={"active": None}, headers=admin)
    assert null_active.status_code == 422 and field_of(null_active) == "body.active"
    with people.ctx.sessions() as db:
        assert db.get(Account, seeker.account_id).organisation_id is None
        assert db.get(Account, world["coach"].account_id).organisation_id == world["partner_org"]

    self_off = client.patch(f"/accounts/{world['admin'].account_id}", json={"active": False}, headers=admin)
    assert self_off.status_code == 409
    missing = client.patch("/accounts/nobody", json={"active": False}, headers=admin)
    assert missing.status_code == 404 and field_of(missing) == "path.account_id"
    assert [e.detail["changed"] for e in audit_entries(people, action="account.update")] == [
        ["active"], ["active", "display_name"], ["organisation_id"]]


# --------------------------------------------------------------------------- caseloads


def test_caseload_assignment_enables_a_coach_and_is_audited(client, world, people):
    coach, partner, seeker = world["coach"], world["partner"], world["seeker"]
    people.passport(seeker, visible=True, batch=False)
    assert client.get("/coaches/me/caseload", headers=coach.headers).json() == []

    assigned = client.post(f"/coaches/{coach.account_id}/caseload", json={"seeker_id": seeker.account_id},
                           headers=partner.headers)
    assert assigned.status_code == 201, assigned.text
    caseload = client.get("/coaches/me/caseload", headers=coach.headers).json()
    assert [(s["seeker_id"], s["has_passport"], s["visible_to_employers"], s["include_in_batch_matching"])
            for s in caseload] == [(seeker.account_id, True, True, False)]
    again = client.post(f"/coaches/{coach.account_id}/caseload", json={"seeker_id": seeker.account_id},
                        headers=world["admin"].headers)
    assert again.status_code == 409

    removed = client.delete(f"/coaches/{coach.account_id}/caseload/{seeker.account_id}", headers=partner.headers)
    assert removed.status_code == 204
    assert client.get("/coaches/me/caseload", headers=coach.headers).json() == []
    gone = client.delete(f"/coaches/{coach.account_id}/caseload/{seeker.account_id}", headers=partner.headers)
    assert gone.status_code == 404 and field_of(gone) == "path.seeker_id"

    trail = [(e.action, e.actor_id, e.subject_id) for e in audit_entries(people, subject_id=seeker.account_id)
             if e.action.startswith("caseload.")]
    assert trail == [("caseload.assign", partner.account_id, seeker.account_id),
                     ("caseload.read", coach.account_id, seeker.account_id),
                     ("caseload.remove", partner.account_id, seeker.account_id)]


def test_a_partner_manages_only_its_own_coaches_and_seekers(client, world, people):
    coach, partner = world["coach"], world["partner"]
    other_org = people.organisation("partner", "Elsewhere")
    other_partner = people.actor("partner", other_org)
    outsider = people.actor("seeker", other_org)
    without_partner = people.actor("seeker")

    foreign_coach = client.post(f"/coaches/{coach.account_id}/caseload", json={"seeker_id": world["seeker"].account_id},
                                headers=other_partner.headers)
    assert foreign_coach.status_code == 404 and field_of(foreign_coach) == "path.coach_id"
    for seeker_id in (outsider.account_id, without_partner.account_id, "no-such-seeker", partner.account_id):
        refused = client.post(f"/coaches/{coach.account_id}/caseload", json={"seeker_id": seeker_id},
                              headers=partner.headers)
        assert refused.status_code == 422 and field_of(refused) == "body.seeker_id"
    not_a_coach = client.post(f"/coaches/{partner.account_id}/caseload", json={"seeker_id": world["seeker"].account_id},
                              headers=world["admin"].headers)
    assert not_a_coach.status_code == 404
    # An administrator may assign any seeker.
    by_admin = client.post(f"/coaches/{coach.account_id}/caseload", json={"seeker_id": outsider.account_id},
                           headers=world["admin"].headers)
    assert by_admin.status_code == 201
    with people.ctx.sessions() as db:
        assert db.scalar(select(func.count()).select_from(CoachAssignment)) == 1


# --------------------------------------------------------------------------- monitoring attributes


def test_monitoring_answers_are_the_seekers_own_and_replace_each_other(client, world, people):
    seeker, coach = world["seeker"], world["coach"]
    people.assign_coach(coach, seeker)
    path = f"/seekers/{seeker.account_id}/monitoring"
    empty = client.get(path, headers=seeker.headers).json()
    assert empty["attributes"] == {} and empty["allowed"]["age_band"] == ["18-26", "27-44", "45-54", "55+"]

    first = client.put(path, json={"attributes": {"age_band": "45-54", "gender": "female"}}, headers=seeker.headers)
    assert first.status_code == 200 and first.json()["attributes"] == {"age_band": "45-54", "gender": "female"}
    second = client.put(path, json={"attributes": {"migration_background": "second_generation"}},
                        headers=seeker.headers)
    assert second.json()["attributes"] == {"migration_background": "second_generation"}

    for attributes, field in (({"age_band": "30"}, "body.attributes.age_band"),
                              ({"gender": "female", "religion": "x"}, "body.attributes.religion")):
        bad = client.put(path, json={"attributes": attributes}, headers=seeker.headers)
        assert bad.status_code == 422 and field_of(bad) == field
    assert client.get(path, headers=seeker.headers).json()["attributes"] == {"migration_background": "second_generation"}

    assert client.put(path, json={"attributes": {}}, headers=coach.headers).status_code == 403  # not a coach's call
    other = people.actor("seeker")
    assert client.get(path, headers=other.headers).status_code == 404
    assert client.put(path, json={"attributes": {}}, headers=other.headers).status_code == 404
    with people.ctx.sessions() as db:
        assert db.scalar(select(func.count()).select_from(MonitoringAttribute)) == 1
    actions = [e.action for e in audit_entries(people, subject_id=seeker.account_id)]
    assert actions == ["monitoring.read", "monitoring.update", "monitoring.update", "monitoring.read"]
    assert all("45-54" not in str(e.detail) for e in audit_entries(people, subject_id=seeker.account_id))


# --------------------------------------------------------------------------- audit log


def test_audit_log_filters_by_subject_actor_action_and_time(client, world, people):
    admin, seeker, partner, coach = world["admin"], world["seeker"], world["partner"], world["coach"]
    client.get(f"/seekers/{seeker.account_id}/monitoring", headers=seeker.headers)
    client.post(f"/coaches/{coach.account_id}/caseload", json={"seeker_id": seeker.account_id}, headers=partner.headers)
    client.get("/coaches/me/caseload", headers=coach.headers)
    start = datetime.now(timezone.utc)
    client.put(f"/seekers/{seeker.account_id}/monitoring", json={"attributes": {"gender": "male"}},
               headers=seeker.headers)

    def log(**params):
        response = client.get("/audit", params=params, headers=admin.headers)
        assert response.status_code == 200, response.text
        return [(e["action"], e["actor_id"]) for e in response.json()]

    assert log(subject_id=seeker.account_id) == [
        ("monitoring.update", seeker.account_id), ("caseload.read", coach.account_id),
        ("caseload.assign", partner.account_id), ("monitoring.read", seeker.account_id)]
    assert log(actor_id=coach.account_id) == [("caseload.read", coach.account_id)]
    assert log(action="caseload.assign") == [("caseload.assign", partner.account_id)]
    assert log(since=start.isoformat()) == [("monitoring.update", seeker.account_id)]
    # The same moment on a clock two hours ahead of UTC.
    assert log(since=start.astimezone(timezone(timedelta(hours=2))).isoformat()) == [
        ("monitoring.update", seeker.account_id)]
    assert log(subject_id=seeker.account_id, limit=2) == log(subject_id=seeker.account_id)[:2]
    assert log(subject_id="nobody") == []
    bad = client.get("/audit", params={"since": "yesterday"}, headers=admin.headers)
    assert bad.status_code == 422 and field_of(bad) == "query.since"


# --------------------------------------------------------------------------- who may call what


def _endpoints(world, people):
    """(name, call factory, roles allowed, success status); a factory makes a fresh request for a role."""
    coach, seeker = world["coach"], world["seeker"]

    def new_seeker():
        return people.actor("seeker", world["partner_org"]).account_id

    def assigned_seeker():
        extra = people.actor("seeker", world["partner_org"])
        people.assign_coach(coach, extra)
        return extra.account_id

    return [
        ("register", lambda: ("POST", "/accounts/register",
                              {"username": fresh(), "password": PASSWORD, "display_name": "R"}), set(ROLES) | {None}, 201),
        ("create organisation", lambda: ("POST", "/organisations", {"name": "O", "kind": "employer"}), {"admin"}, 201),
        ("list organisations", lambda: ("GET", "/organisations", None), {"admin"}, 200),
        ("create account", lambda: ("POST", "/accounts", {"username": fresh(), "password": PASSWORD,
                                                          "role": "analyst", "display_name": "A"}), {"admin"}, 201),
        ("list accounts", lambda: ("GET", "/accounts", None), {"admin"}, 200),
        ("update account", lambda: ("PATCH", f"/accounts/{seeker.account_id}", {"display_name": "P"}), {"admin"}, 200),
        ("assign caseload", lambda: ("POST", f"/coaches/{coach.account_id}/caseload", {"seeker_id": new_seeker()}),
         {"admin", "partner"}, 201),
        ("remove caseload", lambda: ("DELETE", f"/coaches/{coach.account_id}/caseload/{assigned_seeker()}", None),
         {"admin", "partner"}, 204),
        ("my caseload", lambda: ("GET", "/coaches/me/caseload", None), {"coach"}, 200),
        ("set monitoring", lambda: ("PUT", f"/seekers/{seeker.account_id}/monitoring",
                                    {"attributes": {"age_band": "55+"}}), {"seeker"}, 200),
        ("get monitoring", lambda: ("GET", f"/seekers/{seeker.account_id}/monitoring", None), {"seeker"}, 200),
        ("audit log", lambda: ("GET", "/audit", None), {"admin"}, 200),
    ]


def test_every_endpoint_admits_exactly_its_roles(client, world, people):
    failures = []
    for name, make, allowed, success in _endpoints(world, people):
        for role in (*ROLES, None):
            method, url, body = make()
            headers = world[role].headers if role else {}
            status = client.request(method, url, json=body, headers=headers).status_code
            expected = success if role in allowed else (401 if role is None else 403)
            if status != expected:
                failures.append((name, role, status, expected))
    assert failures == []
