"""Ranked lists: a seeker's best vacancies, an employer's best consenting candidates."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select

from matching._rule_based import RuleBasedScorer
from matching.candidates import FeatureScorer
from matching.features import pair_features
from passport.geography import haversine_km, road_km
from passport.issuance import set_consent
from passport.models import Location, Vacancy
from passport.population import SeekerArrays, TrainingArrays, VacancyArrays
from passport.taxonomy import cefr_rank
from service.api.passport_store import history_of, record_of_holder, save_history
from service.db.catalogue import bump
from service.db.tables import AuditEntry, TrainingOfferRecord, VacancyRecord
from service.seed import training_documents
from tests.api.conftest import EINDHOVEN

GRONINGEN = Location(lat=53.2194, lon=6.5665)
HELMOND = Location(lat=51.4793, lon=5.6570)
AT = datetime(2026, 11, 2, tzinfo=timezone.utc)


def store_vacancy(app, employer_org: str, occupation: str, vacancy_id: str, *, location: Location = EINDHOVEN,
                  status: str = "open", **overrides) -> Vacancy:
    """A vacancy row written directly, as the vacancies router stores it (and the catalogue bumped)."""
    ctx = app.state.ctx
    vacancy = Vacancy.from_occupation(ctx.taxonomy, occupation, vacancy_id=vacancy_id, employer_id=employer_org,
                                      location=location, **overrides)
    with ctx.sessions() as db:
        db.add(VacancyRecord(vacancy_id=vacancy_id, employer_id=employer_org, status=status,
                             document=vacancy.model_dump(mode="json")))
        bump(db, "vacancies")
        db.commit()
    return vacancy


def set_status(app, vacancy_id: str, status: str) -> None:
    with app.state.ctx.sessions() as db:
        record = db.get(VacancyRecord, vacancy_id)
        record.status, record.version, record.updated_at = status, record.version + 1, datetime.now(timezone.utc)
        bump(db, "vacancies")
        db.commit()


def change_consent(app, seeker, **consent) -> None:
    with app.state.ctx.sessions() as db:
        record = record_of_holder(db, seeker.account_id)
        history = set_consent(history_of(record), actor=seeker.account_id, at=AT, **consent)
        save_history(db, seeker.account_id, history, record)
        db.commit()


def audit_entries(app, action: str) -> list[AuditEntry]:
    with app.state.ctx.sessions() as db:
        return list(db.scalars(select(AuditEntry).where(AuditEntry.action == action)))


@pytest.fixture
def market(app, people):
    """An employer with open vacancies around Eindhoven, one far away, one closed; a seeker with a passport."""
    employer = people.actor("employer")
    org = employer.organisation_id
    store_vacancy(app, org, "warehouse_worker", "v-warehouse")
    store_vacancy(app, org, "hand_packer", "v-packer", location=HELMOND)
    store_vacancy(app, org, "social_work_assistant", "v-social")
    store_vacancy(app, org, "warehouse_worker", "v-far", location=GRONINGEN)
    store_vacancy(app, org, "hand_packer", "v-closed", status="closed")
    store_vacancy(app, org, "hospital_porter", "v-porter")  # needs a lifting certificate: a pathway
    store_vacancy(app, org, "welder", "v-welder")  # two missing must-haves: no single course opens it
    seeker = people.actor("seeker")
    people.passport(seeker)
    return employer, seeker


def recommendations(client, seeker, actor=None, **params):
    response = client.get(f"/seekers/{seeker.account_id}/recommendations", params=params,
                          headers=(actor or seeker).headers)
    assert response.status_code == 200, response.text
    return response.json()


# --------------------------------------------------------------------------- the seeker's list


def test_list_holds_the_feasible_open_vacancies_best_first(client, market):
    _, seeker = market
    body = recommendations(client, seeker)
    ids = [item["vacancy_id"] for item in body["items"]]
    assert sorted(ids) == ["v-packer", "v-social", "v-warehouse"]
    scores = [item["score"] for item in body["items"]]
    assert scores == sorted(scores, reverse=True)
    assert body["feasible"] == 3 and body["open_vacancies"] == 6
    top = body["items"][0]
    assert set(top) == {"vacancy_id", "title", "occupation_id", "employer_id", "score", "distance_km", "strengths",
                        "gaps", "training"}
    packer = next(item for item in body["items"] if item["vacancy_id"] == "v-packer")
    assert 10 < packer["distance_km"] < 20  # Helmond is about 13 km from Eindhoven as the crow flies
    assert all(0 < item["score"] < 1 and item["strengths"] and item["gaps"] for item in body["items"])


def test_closed_and_too_far_vacancies_never_appear_and_are_counted(client, market):
    _, seeker = market
    body = recommendations(client, seeker)
    listed = {item["vacancy_id"] for item in body["items"]} | {p["vacancy_id"] for p in body["pathways"]}
    assert "v-closed" not in listed and "v-far" not in listed
    counts = {k["reason"]: k["count"] for k in body["knocked_out"]}
    assert counts == {"travel": 1, "must_have": 2}
    assert next(k for k in body["knocked_out"] if k["reason"] == "travel")["text"] == "too far to travel"


def test_k_cuts_the_list_and_keeps_the_best(client, market):
    _, seeker = market
    full = recommendations(client, seeker)
    one = recommendations(client, seeker, k=1)
    assert [item["vacancy_id"] for item in one["items"]] == [full["items"][0]["vacancy_id"]]
    assert one["items"][0]["score"] == max(item["score"] for item in full["items"])
    # Reasons are measured against the same pairs whatever k is.
    assert one["items"][0]["strengths"] == full["items"][0]["strengths"]


def test_a_course_that_grants_the_only_missing_must_have_is_a_pathway(client, market):
    _, seeker = market
    pathways = recommendations(client, seeker)["pathways"]
    assert [p["vacancy_id"] for p in pathways] == ["v-porter"]
    porter = pathways[0]
    assert porter["certificate_id"] == "lifting_technique"
    assert porter["training"]["training_id"] == "lifting_course"
    assert "lifting" in porter["training"]["text"].lower()
    assert 0 < porter["training"]["probability_after"] < 1


def test_dutch_gives_dutch_text(client, market):
    _, seeker = market
    english, dutch = recommendations(client, seeker, language="en"), recommendations(client, seeker, language="nl")
    assert [i["vacancy_id"] for i in english["items"]] == [i["vacancy_id"] for i in dutch["items"]]
    nl_text = " ".join(i["strengths"] + " " + i["gaps"] for i in dutch["items"])
    en_text = " ".join(i["strengths"] + " " + i["gaps"] for i in english["items"])
    assert nl_text != en_text
    assert any(word in nl_text for word in (" je ", "Je ", "Er ", " deze baan"))
    assert dutch["pathways"][0]["training"]["text"].startswith("De cursus")
    assert next(k for k in dutch["knocked_out"] if k["reason"] == "travel")["text"] == "te ver reizen"


def test_own_list_needs_no_consent(client, app, people, market):
    hidden = people.actor("seeker")
    people.passport(hidden, visible=False, batch=False)
    body = recommendations(client, hidden)
    assert len(body["items"]) == 3
    assert "no_consent" not in {k["reason"] for k in body["knocked_out"]}


def test_closing_a_vacancy_rebuilds_the_cached_view(client, app, market):
    _, seeker = market
    assert "v-warehouse" in {i["vacancy_id"] for i in recommendations(client, seeker)["items"]}
    set_status(app, "v-warehouse", "closed")
    after = recommendations(client, seeker)
    assert "v-warehouse" not in {i["vacancy_id"] for i in after["items"]}
    assert after["open_vacancies"] == 5
    set_status(app, "v-warehouse", "open")
    assert "v-warehouse" in {i["vacancy_id"] for i in recommendations(client, seeker)["items"]}


def test_inactive_training_offers_are_never_proposed(client, app, people, market):
    _, seeker = market
    taxonomy = app.state.ctx.taxonomy
    partner = people.organisation("partner")
    with app.state.ctx.sessions() as db:
        for document in training_documents(taxonomy, TrainingArrays.from_taxonomy(taxonomy)):
            db.add(TrainingOfferRecord(training_id=document["training_id"], partner_id=partner, document=document,
                                       active=document["training_id"] != "lifting_course"))
        bump(db, "trainings")
        db.commit()
    body = recommendations(client, seeker)
    assert body["pathways"] == []  # the only course granting the lifting certificate is inactive
    assert all(i["training"] is None or i["training"]["training_id"] != "lifting_course" for i in body["items"])


def test_reading_the_list_is_audited(client, app, market):
    _, seeker = market
    recommendations(client, seeker)
    entries = audit_entries(app, "recommendations.read")
    assert [(e.actor_id, e.subject_id) for e in entries] == [(seeker.account_id, seeker.account_id)]


def test_no_passport_yet_says_finish_a_skillsprint(client, people):
    seeker = people.actor("seeker")
    response = client.get(f"/seekers/{seeker.account_id}/recommendations", headers=seeker.headers)
    assert response.status_code == 404
    error = response.json()["error"]
    assert "Skillsprint" in error["message"] and error["fields"][0]["field"] == "path.seeker_id"


def test_bad_query_is_422_naming_the_field(client, market):
    _, seeker = market
    for params, field in (({"k": 0}, "query.k"), ({"k": 51}, "query.k"), ({"language": "fr"}, "query.language")):
        response = client.get(f"/seekers/{seeker.account_id}/recommendations", params=params,
                              headers=seeker.headers)
        assert response.status_code == 422, params
        assert response.json()["error"]["fields"][0]["field"] == field


def test_who_may_read_a_seekers_list(client, people, market):
    _, seeker = market
    coach, other_coach = people.actor("coach"), people.actor("coach")
    people.assign_coach(coach, seeker)
    table = [(seeker, 200), (people.actor("seeker"), 404), (coach, 200), (other_coach, 404)] + \
        [(people.actor(role), 403) for role in ("employer", "partner", "analyst", "admin")]
    for actor, expected in table:
        response = client.get(f"/seekers/{seeker.account_id}/recommendations", headers=actor.headers)
        assert response.status_code == expected, actor.role


# --------------------------------------------------------------------------- property: equals brute force


def _brute_force(taxonomy, passport, vacancies: list[Vacancy], k: int):
    """Every open vacancy checked and scored on its own, with plain Python knock-outs."""
    seeker = SeekerArrays.from_passports([passport], taxonomy)
    scorer = FeatureScorer(RuleBasedScorer(), taxonomy)
    held = {c.hard_skill_id for c in passport.hard_skills}
    prefs = passport.preferences
    scored = []
    for vacancy in vacancies:
        km = float(road_km(haversine_km(passport.location.lat, passport.location.lon,
                                        vacancy.location.lat, vacancy.location.lon)))
        sector = taxonomy.occupations.loc[vacancy.occupation_id, "sector"]
        if (min(prefs.hours_max, vacancy.hours_max) < max(prefs.hours_min, vacancy.hours_min)
                or km > prefs.max_travel_km or passport.dutch_cefr() < cefr_rank(vacancy.min_dutch_cefr)
                or not set(vacancy.must_have) <= held or sector in prefs.excluded_sectors):
            continue
        one = VacancyArrays.from_vacancies([vacancy], taxonomy)
        X = pair_features(seeker, one, [0], [0], taxonomy, distance_km=[km])
        scored.append((float(scorer.scorer.fit(X).score_pairs(X)[0]), vacancy.vacancy_id))
    scored.sort(key=lambda pair: (-pair[0], pair[1]))
    return scored[: k + 1]


_vacancy_specs = st.lists(st.tuples(
    st.sampled_from(["warehouse_worker", "hand_packer", "social_work_assistant", "hospital_porter", "nurse_assistant",
                     "welder", "delivery_driver", "assembly_line_operator"]),
    st.floats(-0.5, 0.5), st.floats(-0.7, 0.7),   # offsets in degrees: 0 to about 60 km away
    st.integers(8, 36), st.integers(0, 12),        # hours_min, extra hours
    st.booleans(),                                 # drop the must-haves
    st.sampled_from(["open", "open", "closed"]),
    st.sampled_from(["A1", "B1", "C1"])), min_size=0, max_size=14)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(specs=_vacancy_specs, k=st.integers(1, 6))
def test_list_equals_brute_force_over_stored_vacancies(client, app, people, specs, k):
    ctx = app.state.ctx
    with ctx.sessions() as db:
        db.execute(delete(VacancyRecord))
        bump(db, "vacancies")
        db.commit()
    employer_org = people.organisation("employer")
    # Hypothesis reseeds NumPy's global generator, which the fixture's default usernames come from.
    seeker = people.actor("seeker", username=f"seeker-{uuid.uuid4().hex}")
    passport = people.passport(seeker)
    stored = []
    for i, (occupation, dlat, dlon, hours_min, extra, drop, status, cefr) in enumerate(specs):
        overrides = {"hours_min": hours_min, "hours_max": min(hours_min + extra, 48), "min_dutch_cefr": cefr}
        if drop:
            overrides["must_have"] = []
        location = Location(lat=EINDHOVEN.lat + dlat, lon=EINDHOVEN.lon + dlon)
        vacancy = store_vacancy(app, employer_org, occupation, f"v{i:02d}", location=location, status=status,
                                **overrides)
        if status == "open":
            stored.append(vacancy)
    expected = _brute_force(ctx.taxonomy, passport, stored, k)
    # Two nearly equal scores may swap between float paths; such markets say nothing about the order.
    assume(all(a[0] - b[0] > 1e-5 for a, b in zip(expected, expected[1:])))
    body = recommendations(client, seeker, k=k)
    assert [item["vacancy_id"] for item in body["items"]] == [vacancy_id for _, vacancy_id in expected[:k]]
    assert [item["score"] for item in body["items"]] == pytest.approx([s for s, _ in expected[:k]], abs=1e-4)


# --------------------------------------------------------------------------- the employer's candidates


@pytest.fixture
def candidates_market(app, people):
    """Seekers with every kind of consent, and two employers with the same kind of vacancy."""
    employer, other = people.actor("employer"), people.actor("employer")
    store_vacancy(app, employer.organisation_id, "warehouse_worker", "v-mine")
    store_vacancy(app, other.organisation_id, "warehouse_worker", "v-theirs")
    seekers = {name: people.actor("seeker") for name in ("open", "named_mine", "named_theirs", "hidden", "far")}
    people.passport(seekers["open"], seed=1)
    people.passport(seekers["named_mine"], seed=2, employer_ids=[employer.organisation_id])
    people.passport(seekers["named_theirs"], seed=3, employer_ids=[other.organisation_id])
    people.passport(seekers["hidden"], seed=4, visible=False)
    people.passport(seekers["far"], seed=5, location=GRONINGEN)
    return employer, other, seekers


def candidate_ids(client, employer, vacancy_id, **params) -> list[str]:
    response = client.get(f"/vacancies/{vacancy_id}/candidates", params=params, headers=employer.headers)
    assert response.status_code == 200, response.text
    return [item["seeker_id"] for item in response.json()["items"]]


def test_candidates_are_only_seekers_whose_consent_allows_this_employer(client, candidates_market):
    employer, other, seekers = candidates_market
    mine = set(candidate_ids(client, employer, "v-mine"))
    theirs = set(candidate_ids(client, other, "v-theirs"))
    assert mine == {seekers["open"].account_id, seekers["named_mine"].account_id}
    assert theirs == {seekers["open"].account_id, seekers["named_theirs"].account_id}
    assert seekers["hidden"].account_id not in mine | theirs
    assert seekers["far"].account_id not in mine | theirs  # consenting, but the travel knock-out applies


def test_candidate_items_show_reasons_and_the_profile_and_nothing_else(client, candidates_market):
    employer, _, seekers = candidates_market
    body = client.get("/vacancies/v-mine/candidates", params={"language": "nl"}, headers=employer.headers).json()
    assert body["feasible"] == 2
    scores = [item["score"] for item in body["items"]]
    assert scores == sorted(scores, reverse=True)
    item = body["items"][0]
    assert set(item) == {"seeker_id", "passport_id", "score", "distance_km", "strengths", "gaps", "training",
                         "profile"}
    assert {"skill_id", "level", "se"} == set(item["profile"][0])
    assert len(item["profile"]) == 20 and all(entry["se"] > 0 for entry in item["profile"])


def test_each_candidate_shown_is_audited(client, app, candidates_market):
    employer, _, seekers = candidates_market
    shown = candidate_ids(client, employer, "v-mine")
    entries = audit_entries(app, "candidates.list")
    assert sorted(e.subject_id for e in entries) == sorted(shown)
    assert {(e.actor_id, e.resource_id) for e in entries} == {(employer.account_id, "v-mine")}


def test_withdrawn_consent_removes_a_candidate(client, app, candidates_market):
    employer, _, seekers = candidates_market
    assert seekers["open"].account_id in candidate_ids(client, employer, "v-mine")
    change_consent(app, seekers["open"], visible_to_employers=False, include_in_batch_matching=False)
    assert candidate_ids(client, employer, "v-mine") == [seekers["named_mine"].account_id]


def test_closed_vacancy_has_no_candidate_list(client, app, candidates_market):
    employer, _, _ = candidates_market
    set_status(app, "v-mine", "closed")
    assert client.get("/vacancies/v-mine/candidates", headers=employer.headers).status_code == 409


def test_one_candidates_passport_view(client, app, candidates_market):
    employer, other, seekers = candidates_market
    seeker = seekers["named_mine"]
    response = client.get(f"/vacancies/v-mine/candidates/{seeker.account_id}", headers=employer.headers)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"seeker_id", "passport_id", "version", "education_eqf", "languages", "hard_skills",
                         "profile"}
    assert body["languages"] == [{"language": "nl", "cefr": "B2"}] and body["education_eqf"] == 3
    assert [(e.subject_id, e.resource_id) for e in audit_entries(app, "candidates.read")] == \
        [(seeker.account_id, "v-mine")]
    # The other employer is not named, and hidden seekers are unknown to everyone.
    assert client.get(f"/vacancies/v-theirs/candidates/{seeker.account_id}",
                      headers=other.headers).status_code == 404
    hidden = client.get(f"/vacancies/v-mine/candidates/{seekers['hidden'].account_id}", headers=employer.headers)
    assert hidden.status_code == 404 and hidden.json()["error"]["fields"][0]["field"] == "path.seeker_id"


def test_who_may_see_candidates(client, people, candidates_market):
    employer, other, seekers = candidates_market
    table = [(employer, 200), (other, 403)] + \
        [(people.actor(role), 403) for role in ("seeker", "coach", "partner", "analyst", "admin")]
    for path in ("/vacancies/v-mine/candidates", f"/vacancies/v-mine/candidates/{seekers['open'].account_id}"):
        for actor, expected in table:
            assert client.get(path, headers=actor.headers).status_code == expected, (path, actor.role)


def test_unknown_vacancy_is_404(client, candidates_market):
    employer, _, seekers = candidates_market
    for url in ("/vacancies/nope/candidates", f"/vacancies/nope/candidates/{seekers['open'].account_id}"):
        response = client.get(url, headers=employer.headers)
        assert response.status_code == 404
        assert response.json()["error"]["fields"][0]["field"] == "path.vacancy_id"

