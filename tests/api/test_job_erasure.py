"""Erasure reaches batch-job results: stored tables stop naming the person, whether the job
finished before the erasure or was still running when it came."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from sqlalchemy import select

from service.db.tables import AuditEntry, BatchJob
from service.jobs.people_in_results import scrub_result_folder
from service.jobs.runner import FORMATS, WRITING
from tests.api.conftest import Actor
from tests.api.test_jobs import _record_stages, _submit, _worker, read_table, seed_market


def _stored(app, job_id) -> BatchJob:
    with app.state.ctx.sessions() as db:
        return db.get(BatchJob, job_id)


def _tables_on_disk(result_dir: str) -> dict[str, pd.DataFrame]:
    folder = Path(result_dir)
    frames = {}
    for table in ("assignments", "seekers"):
        frames[f"{table}.parquet"] = pd.read_parquet(folder / f"{table}.parquet")
        frames[f"{table}.csv"] = pd.read_csv(folder / f"{table}.csv", keep_default_na=False, na_values=[""])
    return frames


def _placed_seeker(client, market, job_id) -> str:
    assignments = read_table(client, market.partner.headers, job_id, "assignments", "parquet")
    assert len(assignments), "the job placed nobody; the test needs a placed seeker"
    return str(assignments["seeker_id"].iloc[0])


def test_erasing_a_person_rewrites_the_finished_jobs_results(app, client, people):
    market = seed_market(people, n_caseload=12, n_vacancies=8)
    job_id = _submit(client, market)
    assert _worker(app).run_once()
    person = _placed_seeker(client, market, job_id)  # the partner downloaded the assignments
    before = _tables_on_disk(_stored(app, job_id).result_dir)
    summary_before = _stored(app, job_id).summary

    admin = people.actor("admin")
    assert client.delete(f"/seekers/{person}", headers=admin.headers).status_code == 204

    job = _stored(app, job_id)
    after = _tables_on_disk(job.result_dir)
    for name, frame in after.items():
        assert person not in set(frame["seeker_id"]), name
        # Everyone else's rows are exactly as they were.
        kept = before[name][before[name]["seeker_id"] != person].reset_index(drop=True)
        pd.testing.assert_frame_equal(frame, kept, check_dtype=name.endswith(".parquet"))
    for table in ("assignments", "seekers"):
        assert job.summary["tables"][table] == {"rows": len(after[f"{table}.parquet"]),
                                                "people": after[f"{table}.parquet"]["seeker_id"].nunique()}
        assert job.summary["tables"][table]["rows"] == summary_before["tables"][table]["rows"] - 1
    assert job.summary["erased_people"] == 1
    assert json.loads((Path(job.result_dir) / "summary.json").read_text()) == job.summary
    # The headline figures are programme aggregates and stay.
    assert job.summary["result"] == summary_before["result"]

    with app.state.ctx.sessions() as db:
        entry = db.scalars(select(AuditEntry).where(AuditEntry.action == "person.erased")).one()
    assert entry.detail == {"job_results_rewritten": [job_id], "job_results_downloaded_before": [job_id]}
    # Downloads from now on hold only the others.
    for fmt in FORMATS:
        assert person not in set(read_table(client, market.partner.headers, job_id, "seekers", fmt)["seeker_id"])


def test_a_person_erased_while_the_job_runs_is_left_out_of_its_results(app, client, people, monkeypatch):
    market = seed_market(people, n_caseload=12, n_vacancies=8)
    person = sorted(market.consenting)[0]
    admin = people.actor("admin")
    job_id = _submit(client, market)

    def erase_after_loading(stage):
        # The caseload is loaded by now, with the person in it.
        if stage == WRITING:
            assert client.delete(f"/seekers/{person}", headers=admin.headers).status_code == 204

    _record_stages(monkeypatch, app, job_id, after_stage=erase_after_loading)
    assert _worker(app).run_once()

    job = _stored(app, job_id)
    assert job.status == "succeeded"
    for name, frame in _tables_on_disk(job.result_dir).items():
        assert person not in set(frame["seeker_id"]), name
    assert job.summary["erased_people"] == 1
    assert job.summary["tables"]["seekers"]["people"] == len(market.consenting) - 1
    with app.state.ctx.sessions() as db:
        entry = db.scalars(select(AuditEntry).where(AuditEntry.action == "person.erased")).one()
    # The erasure came before the job was recorded; the worker removed the rows itself.
    assert entry.detail["job_results_rewritten"] == []


def test_scrubbing_leaves_a_folder_alone_when_it_names_nobody_listed(app, client, people):
    market = seed_market(people, n_caseload=6, n_vacancies=4)
    job_id = _submit(client, market)
    assert _worker(app).run_once()
    folder = Path(_stored(app, job_id).result_dir)
    stamps = {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}
    assert scrub_result_folder(folder, ["nobody-here"]) is None
    assert scrub_result_folder(folder, []) is None
    assert {p.name: p.stat().st_mtime_ns for p in folder.iterdir()} == stamps
    assert scrub_result_folder(folder.parent / "no-such-job", ["x"]) is None


def test_an_export_carries_the_persons_rows_from_every_job_that_matched_them(app, client, people):
    market = seed_market(people, n_caseload=12, n_vacancies=8)
    job_id = _submit(client, market)
    assert _worker(app).run_once()
    person = _placed_seeker(client, market, job_id)
    coach = people.actor("coach", organisation_id=market.partner.organisation_id)
    people.assign_coach(coach, Actor(person, "seeker", market.partner.organisation_id, {}))
    export = client.get(f"/seekers/{person}/export", headers=coach.headers)
    assert export.status_code == 200, export.text
    [result] = export.json()["batch_results"]
    assert result["job_id"] == job_id and result["partner_id"] == market.partner.organisation_id
    assignments = read_table(client, market.partner.headers, job_id, "assignments", "parquet")
    mine = assignments[assignments["seeker_id"] == person]
    assert [row["vacancy_id"] for row in result["assignment"]] == list(mine["vacancy_id"])
    assert [row["seeker_id"] for row in result["explanation"]] == [person]
    assert result["explanation"][0]["outcome"].startswith("placed")
