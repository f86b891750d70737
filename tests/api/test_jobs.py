"""Partners' batch matching jobs: submit, run in a real worker process, follow, cancel, download."""

from __future__ import annotations

import io
import threading
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from matching.policy import InfeasiblePolicyError, PolicyError
from passport.geography import haversine_km
from passport.models import Location, Vacancy
from passport.population import TrainingArrays
from service.api.app import create_app
from service.db.tables import AuditEntry, BatchJob, TrainingOfferRecord, VacancyRecord
from service.jobs import worker as worker_module
from service.jobs.runner import LOADING, STAGE_PROGRESS, WRITING, JobInputError, failure_reason
from service.jobs.worker import Worker, claim_next
from service.seed import training_documents
from service.settings import Settings
from tests.api.conftest import EINDHOVEN, People

# Occupations with few must-have certificates, so a small caseload gets direct and pathway options.
OCCUPATIONS = ("hand_packer", "warehouse_worker", "social_work_assistant", "warehouse_order_picker",
               "forklift_operator", "hospital_porter")
JOB_TIMEOUT_SECONDS = 90


@dataclass
class Market:
    partner: object          # Actor of the partner whose caseload it is
    consenting: set[str]     # its seekers who consented to batch matching
    refusing: set[str]       # its seekers who did not
    outsiders: set[str]      # consenting seekers of another partner or of none
    open_vacancies: dict[str, Location]
    closed_vacancy: str
    inactive_training: str


def seed_market(people: People, *, n_caseload: int = 30, n_vacancies: int = 15) -> Market:
    """A partner's caseload (every fifth seeker without batch consent), outsiders, vacancies
    (one closed) and the training catalogue as offers (one withdrawn)."""
    ctx = people.ctx
    partner = people.actor("partner")
    consenting, refusing, outsiders = set(), set(), set()
    for i in range(n_caseload):
        seeker = people.actor("seeker", organisation_id=partner.organisation_id)
        people.passport(seeker, seed=i, batch=i % 5 != 0)
        (consenting if i % 5 else refusing).add(seeker.account_id)
    other_partner = people.organisation("partner")
    for i, organisation in enumerate((other_partner, other_partner, None)):
        seeker = people.actor("seeker", organisation_id=organisation)
        people.passport(seeker, seed=100 + i)
        outsiders.add(seeker.account_id)
    employer = people.organisation("employer")
    rng = np.random.default_rng(7)
    open_vacancies = {}
    with ctx.sessions() as db:
        for j in range(n_vacancies + 1):
            location = Location(lat=EINDHOVEN.lat + rng.uniform(-0.15, 0.15),
                                lon=EINDHOVEN.lon + rng.uniform(-0.2, 0.2))
            vacancy = Vacancy.from_occupation(ctx.taxonomy, OCCUPATIONS[j % len(OCCUPATIONS)],
                                              vacancy_id=f"vac-{j:02d}", employer_id=employer, location=location,
                                              openings=int(1 + j % 3))
            closed = j == n_vacancies
            db.add(VacancyRecord(vacancy_id=vacancy.vacancy_id, employer_id=employer,
                                 status="closed" if closed else "open", document=vacancy.model_dump(mode="json")))
            if not closed:
                open_vacancies[vacancy.vacancy_id] = location
        documents = training_documents(ctx.taxonomy, TrainingArrays.from_taxonomy(ctx.taxonomy))
        for k, document in enumerate(documents):
            db.add(TrainingOfferRecord(training_id=document["training_id"], partner_id=partner.organisation_id,
                                       active=k != 0, document=document))
        db.commit()
    return Market(partner, consenting, refusing, outsiders, open_vacancies, f"vac-{n_vacancies:02d}",
                  documents[0]["training_id"])


def wait_for(client, headers, job_id: str, done=("succeeded", "failed", "cancelled"),
             timeout: float = JOB_TIMEOUT_SECONDS) -> tuple[dict, list[float]]:
    """Poll until the job reaches one of *done*; returns it and every progress value seen."""
    seen, deadline = [], time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get(f"/jobs/{job_id}", headers=headers).json()
        seen.append(job["progress"])
        if job["status"] in done:
            return job, seen
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} still {job['status']} ({job['stage']}) after {timeout}s")


def read_table(client, headers, job_id: str, table: str, fmt: str) -> pd.DataFrame:
    response = client.get(f"/jobs/{job_id}/results/{table}", params={"format": fmt}, headers=headers)
    assert response.status_code == 200, response.text
    if fmt == "csv":
        assert response.headers["content-type"].startswith("text/csv")
        return pd.read_csv(io.BytesIO(response.content), keep_default_na=False, na_values=[""])
    assert response.headers["content-type"] == "application/vnd.apache.parquet"
    return pd.read_parquet(io.BytesIO(response.content))


# ----------------------------------------------------------------------------- with a real worker process


@pytest.fixture(scope="module")
def worker_app(tmp_path_factory):
    settings = Settings(data_dir=tmp_path_factory.mktemp("jobs") / "data", seed_demo=False, secret_key="test-secret",
                        token_minutes=60, job_poll_ms=50)
    app = create_app(settings, start_worker=True)
    with TestClient(app) as client:
        yield app, client


@pytest.fixture(scope="module")
def worker_market(worker_app):
    app, _ = worker_app
    return seed_market(People(app))


@pytest.fixture(scope="module")
def finished_job(worker_app, worker_market):
    """One job submitted with an API key and run to the end by the worker process."""
    _, client = worker_app
    partner = worker_market.partner
    key = client.post("/auth/api-keys", json={"label": "caseload batch"}, headers=partner.headers).json()["key"]
    response = client.post("/jobs", json={"policy": {"max_travel_km": 35, "training_budget_eur": 6000}},
                           headers={"X-API-Key": key})
    assert response.status_code == 202, response.text
    submitted = response.json()
    assert submitted["status"] == "queued" and submitted["partner_id"] == partner.organisation_id
    job, progress = wait_for(client, partner.headers, submitted["id"])
    return job, progress


def test_the_worker_process_runs_a_submitted_job_to_success(finished_job, worker_market):
    job, progress = finished_job
    assert job["status"] == "succeeded", job["error"]
    assert job["attempts"] == 1 and job["progress"] == 1.0 and job["error"] is None
    assert progress == sorted(progress), "progress went backwards"
    result = job["summary"]["result"]
    assert result["seekers"] == len(worker_market.consenting)
    assert result["vacancies"] == len(worker_market.open_vacancies)
    assert result["matched"] > 0 and result["training_spend_eur"] <= 6000
    assert result["certificate"]["status"] in ("OPTIMAL", "FEASIBLE")
    assert set(job["results"]) == {"assignments", "seekers", "vacancies", "trainings", "summary"}


def test_csv_and_parquet_results_agree(worker_app, finished_job, worker_market):
    _, client = worker_app
    job, _ = finished_job
    headers = worker_market.partner.headers
    for table in ("assignments", "seekers", "vacancies", "trainings"):
        csv = read_table(client, headers, job["id"], table, "csv")
        parquet = read_table(client, headers, job["id"], table, "parquet")
        assert list(csv.columns) == list(parquet.columns) and len(csv) == len(parquet)
        for column in csv.columns:
            if pd.api.types.is_numeric_dtype(parquet[column]):
                np.testing.assert_allclose(csv[column].to_numpy(float), parquet[column].to_numpy(float), atol=1e-9)
            else:
                assert csv[column].fillna("").astype(str).tolist() == parquet[column].fillna("").astype(str).tolist()
    summary = client.get(f"/jobs/{job['id']}/results/summary", headers=headers)
    assert summary.headers["content-type"] == "application/json"
    assert summary.json()["result"] == job["summary"]["result"]


def test_results_name_only_the_consenting_caseload(worker_app, finished_job, worker_market):
    _, client = worker_app
    job, _ = finished_job
    headers = worker_market.partner.headers
    assignments = read_table(client, headers, job["id"], "assignments", "csv")
    seekers = read_table(client, headers, job["id"], "seekers", "parquet")
    vacancies = read_table(client, headers, job["id"], "vacancies", "csv")
    trainings = read_table(client, headers, job["id"], "trainings", "csv")
    assert len(assignments) == job["summary"]["result"]["matched"]
    assert set(assignments["seeker_id"]) <= worker_market.consenting
    assert not assignments["seeker_id"].duplicated().any()
    assert set(seekers["seeker_id"]) == worker_market.consenting
    assert set(assignments["vacancy_id"]) <= set(worker_market.open_vacancies)
    assert set(vacancies["vacancy_id"]) == set(worker_market.open_vacancies)
    assert worker_market.inactive_training not in set(trainings["training_id"])
    assert set(assignments["training_id"].dropna()) <= set(trainings["training_id"])
    assert assignments["strengths"].str.len().gt(0).all() and assignments["gaps"].str.len().gt(0).all()
    # The vacancies' openings are respected.
    fill = assignments["vacancy_id"].value_counts()
    openings = vacancies.set_index("vacancy_id")["openings"]
    assert (fill <= openings.reindex(fill.index)).all()


def test_runs_and_downloads_are_audited(worker_app, finished_job, worker_market):
    app, client = worker_app
    job, _ = finished_job
    headers = worker_market.partner.headers
    read_table(client, headers, job["id"], "seekers", "csv")
    with app.state.ctx.sessions() as db:
        matched = set(db.scalars(select(AuditEntry.subject_id).where(AuditEntry.action == "job.matched",
                                                                     AuditEntry.resource_id == job["id"])))
        reads = db.scalars(select(AuditEntry).where(AuditEntry.action == "job.results.read",
                                                    AuditEntry.resource_id == job["id"])).all()
        submitted = db.scalar(select(func.count()).select_from(AuditEntry)
                              .where(AuditEntry.action == "job.submitted", AuditEntry.resource_id == job["id"]))
    assert matched == worker_market.consenting
    assert submitted == 1
    seeker_reads = [r for r in reads if r.detail["table"] == "seekers"]
    assert seeker_reads and all(r.detail["people"] == len(worker_market.consenting) for r in seeker_reads)
    assert all(r.actor_id == worker_market.partner.account_id for r in reads)


def test_other_organisations_cannot_see_the_job(worker_app, finished_job):
    app, client = worker_app
    job, _ = finished_job
    stranger = People(app).actor("partner")
    assert client.get(f"/jobs/{job['id']}", headers=stranger.headers).status_code == 404
    assert client.get(f"/jobs/{job['id']}/results/assignments", headers=stranger.headers).status_code == 404
    assert client.post(f"/jobs/{job['id']}/cancel", headers=stranger.headers).status_code == 404
    assert client.get("/jobs", headers=stranger.headers).json() == []


def test_a_finished_job_cannot_be_cancelled(worker_app, finished_job, worker_market):
    _, client = worker_app
    job, _ = finished_job
    response = client.post(f"/jobs/{job['id']}/cancel", headers=worker_market.partner.headers)
    assert response.status_code == 409
    assert response.json()["error"]["fields"][0]["field"] == "path.job_id"


def test_a_region_limits_the_vacancies(worker_app, worker_market):
    _, client = worker_app
    headers = worker_market.partner.headers
    region = {"lat": EINDHOVEN.lat, "lon": EINDHOVEN.lon, "radius_km": 9}
    response = client.post("/jobs", json={"region": region, "language": "nl", "policy": {"allow_pathways": False}},
                           headers=headers)
    job, _ = wait_for(client, headers, response.json()["id"])
    assert job["status"] == "succeeded", job["error"]
    inside = {v for v, place in worker_market.open_vacancies.items()
              if haversine_km(region["lat"], region["lon"], place.lat, place.lon) <= region["radius_km"]}
    assert 0 < len(inside) < len(worker_market.open_vacancies)
    assert set(read_table(client, headers, job["id"], "vacancies", "csv")["vacancy_id"]) == inside
    assignments = read_table(client, headers, job["id"], "assignments", "csv")
    assert assignments["training_id"].isna().all()


def test_an_empty_caseload_fails_with_a_clear_reason(worker_app):
    app, client = worker_app
    lonely = People(app).actor("partner")
    response = client.post("/jobs", json={}, headers=lonely.headers)
    job, _ = wait_for(client, lonely.headers, response.json()["id"])
    assert job["status"] == "failed"
    assert job["error"] == "the caseload has no job seekers who consented to batch matching"
    assert client.get(f"/jobs/{job['id']}/results/assignments", headers=lonely.headers).status_code == 409


# ----------------------------------------------------------------------------- the worker in this process


@pytest.fixture
def market(people) -> Market:
    return seed_market(people, n_caseload=12, n_vacancies=8)


def _submit(client, market, **body) -> str:
    response = client.post("/jobs", json=body, headers=market.partner.headers)
    assert response.status_code == 202, response.text
    return response.json()["id"]


def _worker(app, worker_id="worker-here") -> Worker:
    ctx = app.state.ctx
    return Worker(ctx.settings, worker_id, ctx.sessions, ctx.taxonomy, ctx.scorer)


def _record_stages(monkeypatch, app, job_id, after_stage=None):
    """Wrap the worker's run_job so each stage boundary records the stored progress, and
    optionally calls *after_stage(stage)*; returns the (stage, progress) list."""
    seen, real_run_job = [], worker_module.run_job

    def recording(sessions, taxonomy, scorer, spec, out, on_stage):
        def boundary(stage):
            on_stage(stage)
            with app.state.ctx.sessions() as db:
                seen.append((stage, db.get(BatchJob, job_id).progress))
            if after_stage:
                after_stage(stage)
        return real_run_job(sessions, taxonomy, scorer, spec, out, boundary)

    monkeypatch.setattr(worker_module, "run_job", recording)
    return seen


def test_progress_follows_the_stages_and_never_goes_back(app, client, market, monkeypatch):
    job_id = _submit(client, market)
    seen = _record_stages(monkeypatch, app, job_id)
    worker = _worker(app)
    assert worker.run_once()
    stages = [stage for stage, _ in seen]
    assert stages[0] == LOADING and stages[-1] == WRITING
    assert "optimal assignment" in stages and "training pathways" in stages
    assert [p for _, p in seen] == [STAGE_PROGRESS[s] for s in stages]
    job = client.get(f"/jobs/{job_id}", headers=market.partner.headers).json()
    assert job["status"] == "succeeded" and job["progress"] == 1.0

    # A resumed job repeats its early stages; its progress still never drops.
    with app.state.ctx.sessions() as db:
        db.execute(update(BatchJob).where(BatchJob.id == job_id)
                   .values(status="queued", progress=STAGE_PROGRESS["optimal assignment"]))
        db.commit()
    seen.clear()
    assert worker.run_once()
    assert min(p for _, p in seen) == STAGE_PROGRESS["optimal assignment"]
    assert [p for _, p in seen] == sorted(p for _, p in seen)


@pytest.mark.parametrize("cancel_in, ends_with", [
    ("knock-outs and scoring of direct candidates", "cancelled during knock-outs and scoring of direct candidates"),
    (WRITING, "cancelled while writing the results"),
])
def test_cancelling_a_running_job_stops_it_at_the_next_stage(app, client, market, monkeypatch, cancel_in, ends_with):
    job_id = _submit(client, market)
    headers = market.partner.headers

    def cancel_during(stage):
        if stage == cancel_in:
            response = client.post(f"/jobs/{job_id}/cancel", headers=headers)
            assert response.status_code == 200
            assert response.json()["status"] == "running" and response.json()["cancel_requested"]

    seen = _record_stages(monkeypatch, app, job_id, after_stage=cancel_during)
    assert _worker(app).run_once()
    stages = [stage for stage, _ in seen]
    assert stages[-1] == cancel_in, "the job went on past the next stage boundary"
    job = client.get(f"/jobs/{job_id}", headers=headers).json()
    assert job["status"] == "cancelled" and job["finished_at"] is not None and job["stage"] == ends_with
    assert not (app.state.ctx.settings.jobs_dir / job_id).exists()
    assert client.get(f"/jobs/{job_id}/results/seekers", headers=headers).status_code == 409
    assert client.post(f"/jobs/{job_id}/cancel", headers=headers).status_code == 409


def test_cancelling_a_queued_job_is_immediate_and_the_worker_skips_it(app, client, market):
    job_id = _submit(client, market)
    response = client.post(f"/jobs/{job_id}/cancel", headers=market.partner.headers)
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    assert not _worker(app).run_once()
    assert client.post(f"/jobs/{job_id}/cancel", headers=market.partner.headers).status_code == 409


def test_a_worker_shutting_down_hands_the_job_back_without_counting_the_attempt(app, client, market):
    job_id = _submit(client, market)
    stop = threading.Event()
    stop.set()
    ctx = app.state.ctx
    worker = Worker(ctx.settings, "stopping", ctx.sessions, ctx.taxonomy, ctx.scorer, stop)
    spec = claim_next(ctx.sessions, worker.worker_id)
    assert worker.process(spec) == "queued"
    job = client.get(f"/jobs/{job_id}", headers=market.partner.headers).json()
    assert job["status"] == "queued" and job["attempts"] == 0 and job["stage"].startswith("waiting: the server stopped")


def test_oldest_queued_job_is_claimed_once(app, client, market):
    first, second = _submit(client, market), _submit(client, market)
    sessions = app.state.ctx.sessions
    assert claim_next(sessions, "a").job_id == first
    assert claim_next(sessions, "b").job_id == second
    assert claim_next(sessions, "c") is None
    with sessions() as db:
        rows = {job.id: job for job in db.scalars(select(BatchJob))}
    assert rows[first].worker_id == "a" and rows[first].attempts == 1 and rows[first].status == "running"
    assert rows[second].worker_id == "b"


# ----------------------------------------------------------------------------- input, access, errors


BAD_INPUT = [
    ({"policy": {"min_fit": 3}}, "body.policy.min_fit"),
    ({"policy": {"seats_per_training": 2}}, "body.policy.seats_per_training"),
    ({"policy": {"priority_weights": {"long_term_unemployed": 1.3}}},
     "body.policy.priority_weights.long_term_unemployed"),
    ({"policy": {"min_group_share": {"women": 2}}}, "body.policy.min_group_share.women"),
    ({"policy": {"allow_pathways": "yes"}}, "body.policy.allow_pathways"),
    ({"policy": "strict"}, "body.policy"),
    ({"region": {"lat": 95, "lon": 5, "radius_km": 10}}, "body.region.lat"),
    ({"region": {"lat": 51, "lon": 5, "radius_km": 0}}, "body.region.radius_km"),
    ({"top_k": 0}, "body.top_k"),
    ({"language": "fr"}, "body.language"),
]


def test_bad_input_is_refused_naming_the_field_and_nothing_is_stored(app, client, people):
    partner = people.actor("partner")
    for body, field in BAD_INPUT:
        response = client.post("/jobs", json=body, headers=partner.headers)
        assert response.status_code == 422, response.text
        assert field in [f["field"] for f in response.json()["error"]["fields"]], (body, response.text)
    with app.state.ctx.sessions() as db:
        assert db.scalar(select(func.count()).select_from(BatchJob)) == 0
        assert db.scalar(select(func.count()).select_from(AuditEntry)) == 0


ROLES = ("seeker", "coach", "employer", "partner", "analyst", "admin")
# Expected status per role: the job belongs to the partner's organisation.
ACCESS = {
    "submit": {"partner": 202, "admin": 403},
    "list": {"partner": 200, "admin": 200},
    "get": {"partner": 200, "admin": 200},
    "results": {"partner": 409, "admin": 403},  # 409: the job has not run yet
    "cancel": {"partner": 200, "admin": 200},
}


@pytest.mark.parametrize("role", ROLES)
def test_who_may_do_what(client, people, role):
    owner = people.actor("partner")
    caller = owner if role == "partner" else people.actor(role)
    for action, expected in ACCESS.items():
        job_id = client.post("/jobs", json={}, headers=owner.headers).json()["id"]
        method, path, extra = {
            "submit": ("post", "/jobs", {"json": {}}), "list": ("get", "/jobs", {}),
            "get": ("get", f"/jobs/{job_id}", {}),
            "results": ("get", f"/jobs/{job_id}/results/assignments", {}),
            "cancel": ("post", f"/jobs/{job_id}/cancel", {})}[action]
        response = getattr(client, method)(path, headers=caller.headers, **extra)
        assert response.status_code == expected.get(role, 403), (action, response.text)
        if action == "list" and role in ("partner", "admin"):
            assert job_id in [job["id"] for job in response.json()]
        assert getattr(client, method)(path, **extra).status_code == 401


def test_unknown_jobs_tables_and_formats(client, people):
    partner = people.actor("partner")
    assert client.get("/jobs/no-such-job", headers=partner.headers).status_code == 404
    assert client.post("/jobs/no-such-job/cancel", headers=partner.headers).status_code == 404
    assert client.get("/jobs/no-such-job/results/seekers", headers=partner.headers).status_code == 404
    job_id = client.post("/jobs", json={}, headers=partner.headers).json()["id"]
    response = client.get(f"/jobs/{job_id}/results/passports", headers=partner.headers)
    assert response.status_code == 422 and response.json()["error"]["fields"][0]["field"] == "path.table"
    response = client.get(f"/jobs/{job_id}/results/seekers", params={"format": "xlsx"}, headers=partner.headers)
    assert response.status_code == 422 and response.json()["error"]["fields"][0]["field"] == "query.format"


def test_summary_comes_as_json_and_tables_as_csv_or_parquet(app, client, market):
    job_id = _submit(client, market)
    _worker(app).run_once()
    headers = market.partner.headers
    for table, fmt in (("summary", "csv"), ("seekers", "json")):
        response = client.get(f"/jobs/{job_id}/results/{table}", params={"format": fmt}, headers=headers)
        assert response.status_code == 422 and response.json()["error"]["fields"][0]["field"] == "query.format"
    assert client.get(f"/jobs/{job_id}/results/seekers", headers=headers).headers["content-type"].startswith("text/csv")


def test_list_filters_by_status_newest_first(app, client, market):
    first, second = _submit(client, market), _submit(client, market)
    client.post(f"/jobs/{first}/cancel", headers=market.partner.headers)
    listed = client.get("/jobs", headers=market.partner.headers).json()
    assert [job["id"] for job in listed] == [second, first]
    queued = client.get("/jobs", params={"status": "queued"}, headers=market.partner.headers).json()
    assert [job["id"] for job in queued] == [second]


def test_failure_reasons_name_the_problem_not_the_people():
    assert failure_reason(InfeasiblePolicyError("min_group_share.women", "no member has any option")) == \
        "the policy cannot be met: min_group_share.women: no member has any option"
    assert failure_reason(PolicyError("min_fit", "must lie in [0, 1], got 3")) == \
        "the policy is invalid: min_fit: must lie in [0, 1], got 3"
    assert failure_reason(JobInputError("there are no open vacancies")) == "there are no open vacancies"
    leaked = failure_reason(KeyError("seeker Jan Jansen, Eindhoven"))
    assert "Jansen" not in leaked and "KeyError" in leaked
