"""Analytics over HTTP: hand-computed aggregates of a small seeded platform, and suppression."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np
import pytest
from fastapi.testclient import TestClient
from scipy.stats import binomtest

from passport.models import Vacancy
from service.api.aggregates import K_MIN
from service.api.app import create_app
from service.db.tables import (Account, BatchJob, Connection, MonitoringAttribute, Outcome, SkillsprintSessionRecord,
                               VacancyRecord)
from service.settings import Settings
from tests.api.conftest import EINDHOVEN, People

ROLES = ("seeker", "coach", "employer", "partner", "analyst", "admin")
ENDPOINTS = ("/analytics/funnel", "/analytics/funnel?by=partner", "/analytics/placements",
             "/analytics/fairness?attribute=age_band", "/analytics/congestion", "/analytics/jobs")
NURSE, ASSEMBLER, PICKER = "nurse_assistant", "mechatronics_assembler", "warehouse_order_picker"


def wilson(k: int, n: int) -> tuple[float, float, float]:
    interval = binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
    return k / n, interval.low, interval.high


def assert_rate(cell: dict, k: int, n: int) -> None:
    assert not cell["suppressed"]
    assert (cell["value"], cell["low"], cell["high"]) == pytest.approx(wilson(k, n), abs=1e-9)


def hidden(cell: dict) -> bool:
    return cell["suppressed"] and cell["value"] is None


def shown(cell: dict):
    assert not cell["suppressed"], cell
    return cell["value"]


class Platform:
    """Thirty seekers, twenty of them with the partner 'Werkplein'; see each test for the figures.

    s0–s25 started a Skillsprint (s0 twice), s0–s23 finished one and hold a passport; s0–s19
    are visible to employers, s0–s11 in batch matching. Age band 18-26: s0–s11, 27-44: s12–s23.
    Open vacancies V1 (nurse, 5 openings), V2 (nurse, 3), V3 (assembler, 2), V4 (picker, 4);
    V5 (nurse) is closed. Connections: V1 s0–s9 accepted; V2 s12–s16 accepted, s17–s20
    declined, s21–s22 invited; V3 s0–s4 invited; V5 s10–s11 withdrawn. Outcomes (nurse) for
    s0–s9: s0–s6 lasted, s7 did not, s8–s9 not known yet.
    """

    def __init__(self, people):
        self.people = people
        ctx = people.ctx
        self.partner_org = people.organisation("partner", "Werkplein")
        self.employer_org = people.organisation("employer", "Zorggroep Oost")
        self.seekers = [people.actor("seeker", self.partner_org if i < 20 else None) for i in range(30)]
        ids = [s.account_id for s in self.seekers]
        self.passports = [people.passport(s, visible=i < 20, batch=i < 12, seed=i)
                          for i, s in enumerate(self.seekers[:24])]
        vacancies = {name: Vacancy.from_occupation(ctx.taxonomy, occupation, vacancy_id=name,
                                                   employer_id=self.employer_org, location=EINDHOVEN, openings=openings)
                     for name, occupation, openings in (("V1", NURSE, 5), ("V2", NURSE, 3), ("V3", ASSEMBLER, 2),
                                                        ("V4", PICKER, 4), ("V5", NURSE, 2))}
        connections = ([("V1", i, "accepted") for i in range(10)] + [("V2", i, "accepted") for i in range(12, 17)]
                       + [("V2", i, "declined") for i in range(17, 21)] + [("V2", i, "invited") for i in (21, 22)]
                       + [("V3", i, "invited") for i in range(5)] + [("V5", i, "withdrawn") for i in (10, 11)])
        lasted = [True] * 7 + [False, None, None]
        with ctx.sessions() as db:
            for i, seeker in enumerate(self.seekers):
                db.get(Account, seeker.account_id).display_name = f"Testperson Nr{i}"
            db.add_all([SkillsprintSessionRecord(holder_id=ids[i], status="finished" if i < 24 else "open")
                        for i in range(26)] + [SkillsprintSessionRecord(holder_id=ids[0], status="open")])
            db.add_all([MonitoringAttribute(account_id=ids[i], attribute="age_band",
                                            value="18-26" if i < 12 else "27-44") for i in range(24)])
            db.add_all([VacancyRecord(vacancy_id=name, employer_id=self.employer_org, document=v.model_dump(mode="json"),
                                      status="closed" if name == "V5" else "open") for name, v in vacancies.items()])
            db.flush()
            db.add_all([Connection(vacancy_id=v, seeker_id=ids[i], employer_id=self.employer_org, status=status)
                        for v, i, status in connections])
            db.add_all([Outcome(seeker_id=ids[i], vacancy_id="V1", employer_id=self.employer_org, occupation_id=NURSE,
                                lasted=lasted[i]) for i in range(10)])
            start = datetime(2026, 11, 2, 9, tzinfo=timezone.utc)
            db.add_all([BatchJob(partner_id=self.partner_org, status="succeeded", started_at=start,
                                 finished_at=start + timedelta(seconds=seconds)) for seconds in (60, 120, 300)]
                       + [BatchJob(partner_id=self.partner_org, status="failed", started_at=start,
                                   finished_at=start + timedelta(seconds=30))]
                       + [BatchJob(partner_id=self.partner_org, status="queued") for _ in range(2)])
            db.commit()

    def identifiers(self) -> list[str]:
        """Everything that would point at a person: account ids, passport ids, usernames, names."""
        out = [s.account_id for s in self.seekers] + [p.passport_id for p in self.passports]
        out += [f"Testperson Nr{i}" for i in range(30)]
        return out


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    """One seeded platform for the read-only tests of this module: (client, platform, analyst)."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("analytics") / "data", seed_demo=False,
                        secret_key="test-secret", token_minutes=60)
    app = create_app(settings, start_worker=False)
    people = People(app)
    platform = Platform(people)
    with TestClient(app) as client:
        yield client, platform, people.actor("analyst")


@pytest.fixture
def analyst(people):
    return people.actor("analyst")


def get(client, actor, path: str) -> dict:
    response = client.get(path, headers=actor.headers)
    assert response.status_code == 200, response.text
    return response.json()


def test_funnel_counts_people_at_every_stage(seeded):
    client, platform, analyst = seeded
    body = get(client, analyst, "/analytics/funnel")
    assert body["k_min"] == K_MIN and body["by"] is None and len(body["groups"]) == 1
    stages = {s["stage"]: s for s in body["groups"][0]["stages"]}
    expected = {  # stage: (people, events, parent people)
        "seekers": (30, 30, None), "sessions_started": (26, 27, 30), "sessions_finished": (24, 24, 26),
        "passports": (24, 24, 30), "visible_to_employers": (20, 20, 24), "in_batch_matching": (12, 12, 24),
        "invited": (23, 28, 24), "accepted": (15, 15, 23), "outcomes": (10, 10, 24)}
    for stage, (people, events, parent) in expected.items():
        assert (shown(stages[stage]["people"]), shown(stages[stage]["events"])) == (people, events), stage
        if parent is None:
            assert stages[stage]["share_of_parent"]["value"] is None
        else:
            assert_rate(stages[stage]["share_of_parent"], people, parent)
    declined = stages["declined"]  # four people declined: too few to show
    assert hidden(declined["people"]) and hidden(declined["events"]) and declined["share_of_parent"]["suppressed"]


def test_funnel_by_partner_suppresses_the_small_group_and_its_complement(seeded):
    client, platform, analyst = seeded
    body = get(client, analyst, "/analytics/funnel?by=partner")
    groups = {g["organisation_name"]: {s["stage"]: s for s in g["stages"]} for g in body["groups"]}
    assert set(groups) == {"Werkplein", None}
    werkplein, without = groups["Werkplein"], groups[None]
    assert body["groups"][0]["organisation_id"] == platform.partner_org
    assert shown(werkplein["seekers"]["people"]) == 20 and shown(without["seekers"]["people"]) == 10
    # Six seekers without a partner started a session: hidden, and so is Werkplein's 20,
    # which the overall 26 would otherwise give away.
    assert hidden(without["sessions_started"]["people"]) and hidden(werkplein["sessions_started"]["people"])
    assert werkplein["sessions_started"]["share_of_parent"]["suppressed"]
    assert hidden(werkplein["passports"]["people"])


def test_placements_by_occupation_and_sector(seeded):
    client, platform, analyst = seeded
    body = get(client, analyst, "/analytics/placements")
    assert shown(body["passport_holders"]) == 24
    overall = body["overall"]
    assert (shown(overall["invitations"]), shown(overall["accepted"]), shown(overall["outcomes"])) == (28, 15, 10)
    assert_rate(overall["acceptance_rate"], 15, 28)
    assert_rate(overall["outcomes_per_passport"], 10, 24)
    assert overall["lasting_rate"]["suppressed"]  # only 7 placements lasted so far

    occupations = {row["key"]: row for row in body["by_occupation"]}
    assert len(occupations) == len(platform.people.ctx.taxonomy.occupation_ids)
    nurse = occupations[NURSE]
    assert nurse["sector"] == "healthcare" and nurse["label"]
    assert (shown(nurse["invitations"]), shown(nurse["accepted"]), shown(nurse["outcomes"])) == (23, 15, 10)
    assert_rate(nurse["acceptance_rate"], 15, 23)
    assert_rate(nurse["outcomes_per_passport"], 10, 24)
    assembler = occupations[ASSEMBLER]  # five invitations
    assert hidden(assembler["invitations"]) and assembler["acceptance_rate"]["suppressed"]

    sectors = {row["key"]: row for row in body["by_sector"]}
    assert set(sectors) == set(platform.people.ctx.taxonomy.sectors)
    assert shown(sectors["healthcare"]["invitations"]) == 23
    assert_rate(sectors["healthcare"]["acceptance_rate"], 15, 23)
    assert hidden(sectors["industry"]["invitations"]) and hidden(sectors["logistics"]["invitations"])


def test_fairness_by_age_band(seeded):
    client, platform, analyst = seeded
    body = get(client, analyst, "/analytics/fairness?attribute=age_band")
    assert body["attribute"] == "age_band" and body["four_fifths"] == 0.8
    groups = {g["group"]: g for g in body["groups"]}
    assert list(groups) == ["18-26", "27-44", "45-54", "55+", "not_stated"]
    young, middle = groups["18-26"], groups["27-44"]
    assert (shown(young["passports"]), shown(young["invited"]), shown(young["accepted"])) == (12, 12, 10)
    assert (shown(middle["passports"]), shown(middle["invited"])) == (12, 11)
    assert hidden(middle["accepted"])  # five accepted

    assert_rate(young["invitation"], 12, 12)
    assert_rate(middle["invitation"], 11, 12)
    assert young["invitation"]["ratio_to_best"] == 1.0
    assert middle["invitation"]["ratio_to_best"] == pytest.approx(11 / 12)
    assert young["invitation"]["below_four_fifths"] is False and middle["invitation"]["below_four_fifths"] is False
    assert middle["invitation"]["ratio_low"] <= 11 / 12 <= middle["invitation"]["ratio_high"] <= 1.0

    assert_rate(young["acceptance"], 10, 12)
    assert young["acceptance"]["ratio_to_best"] == 1.0
    # 5 of 11 is suppressed, yet under four fifths of 10 of 12: flagged, not hidden.
    assert middle["acceptance"]["suppressed"] and middle["acceptance"]["ratio_to_best"] is None
    assert middle["acceptance"]["below_four_fifths"] is True
    for empty in ("45-54", "55+", "not_stated"):
        assert hidden(groups[empty]["passports"]) and groups[empty]["invitation"]["below_four_fifths"] is None

    other = get(client, analyst, "/analytics/fairness?attribute=gender")
    assert [g["group"] for g in other["groups"]] == ["female", "male", "non_binary", "not_stated"]
    assert shown(other["groups"][-1]["passports"]) == 24  # nobody stated a gender
    bad = client.get("/analytics/fairness?attribute=religion", headers=analyst.headers)
    assert bad.status_code == 422 and bad.json()["error"]["fields"][0]["field"] == "query.attribute"


def test_congestion_over_open_vacancies(seeded):
    client, platform, analyst = seeded
    body = get(client, analyst, "/analytics/congestion")
    per_opening = np.array([10 / 5, 11 / 3, 5 / 2, 0 / 4])  # V1–V4; the closed V5 is left out
    pairs = np.abs(per_opening[:, None] - per_opening[None, :]).sum()
    assert (body["open_vacancies"], body["openings"]) == (4, 14)
    assert body["invitations_per_opening_mean"] == pytest.approx(per_opening.mean())
    assert body["invitations_per_opening_max"] == pytest.approx(11 / 3)
    assert body["share_without_invitation"] == 0.25
    assert body["gini"] == pytest.approx(pairs / (2 * 4 ** 2 * per_opening.mean()))
    assert body["coverage"] == pytest.approx((5 + 3) / 14)  # V1 and V2 fill their openings
    assert not body["invitations_suppressed"] and not body["coverage_suppressed"]


def test_batch_jobs_by_status(seeded):
    client, platform, analyst = seeded
    body = get(client, analyst, "/analytics/jobs")
    statuses = {s["status"]: (s["count"], s["median_run_seconds"]) for s in body["statuses"]}
    assert body["total"] == 6
    assert statuses == {"queued": (2, None), "running": (0, None), "succeeded": (3, 120.0), "failed": (1, 30.0),
                        "cancelled": (0, None)}


def test_no_response_names_a_person(seeded):
    client, platform, analyst = seeded
    identifiers = platform.identifiers()
    for path in ENDPOINTS:
        text = client.get(path, headers=analyst.headers).text
        assert not [i for i in identifiers if i in text], path


def test_a_small_platform_shows_only_suppressed_cells(client, people, analyst):
    seekers = [people.actor("seeker") for _ in range(3)]
    for i, seeker in enumerate(seekers):
        people.passport(seeker, seed=i)
    funnel = get(client, analyst, "/analytics/funnel")
    for stage in funnel["groups"][0]["stages"]:
        assert hidden(stage["people"]) and hidden(stage["events"])
        assert stage["share_of_parent"]["value"] is None
    placements = get(client, analyst, "/analytics/placements")
    assert hidden(placements["passport_holders"]) and hidden(placements["overall"]["invitations"])
    assert placements["overall"]["outcomes_per_passport"]["suppressed"]
    fairness = get(client, analyst, "/analytics/fairness")
    assert all(hidden(g["passports"]) and g["invitation"]["ratio_to_best"] is None for g in fairness["groups"])
    congestion = get(client, analyst, "/analytics/congestion")
    assert congestion["gini"] is None and congestion["invitations_suppressed"]


def test_only_analysts_and_admins_see_analytics(client, people):
    actors = {role: people.actor(role) for role in ROLES}
    failures = []
    for path in ENDPOINTS:
        for role in (*ROLES, None):
            status = client.get(path, headers=actors[role].headers if role else {}).status_code
            expected = 200 if role in ("analyst", "admin") else (401 if role is None else 403)
            if status != expected:
                failures.append((path, role, status))
    assert failures == []
