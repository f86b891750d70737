"""List workers: ranked lists computed in a shared pool of processes equal those computed in-process."""

from __future__ import annotations

import os
import signal
import time

import pytest
from fastapi.testclient import TestClient

from service.api.app import create_app
from service.api.errors import ApiError
from service.api.list_workers import ListWorkers, worker_process_id
from service.settings import Settings, SettingsError
from tests.api.conftest import People
from tests.api.test_recommendations import GRONINGEN, HELMOND, change_consent, set_status, store_vacancy


def _settings(data_dir, list_workers: int) -> Settings:
    return Settings(data_dir=data_dir, seed_demo=False, secret_key="test-secret", token_minutes=60,
                    list_workers=list_workers)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """One database, served by an app with two list workers; the in-process app reads the same file."""
    data_dir = tmp_path_factory.mktemp("list-workers")
    app = create_app(_settings(data_dir, 2), start_worker=False)
    with TestClient(app) as client:
        people = People(app)
        employer = people.actor("employer")
        org = employer.organisation_id
        for occupation, vacancy_id, where in (("warehouse_worker", "v-warehouse", {}),
                                              ("hand_packer", "v-packer", {"location": HELMOND}),
                                              ("social_work_assistant", "v-social", {}),
                                              ("warehouse_worker", "v-far", {"location": GRONINGEN}),
                                              ("hospital_porter", "v-porter", {})):
            store_vacancy(app, org, occupation, vacancy_id, **where)
        seekers = [people.actor("seeker") for _ in range(3)]
        for seed, seeker in enumerate(seekers):
            people.passport(seeker, seed=seed)
        yield app, client, employer, seekers, data_dir


def _in_process(data_dir, path: str, headers: dict, **params):
    app = create_app(_settings(data_dir, 0), start_worker=False, seed=False)
    with TestClient(app) as client:
        response = client.get(path, params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def _get(client, path: str, headers: dict, **params):
    response = client.get(path, params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def test_the_pool_runs_in_other_processes(world):
    app, *_ = world
    assert app.state.ctx.list_workers.run(worker_process_id) != os.getpid()


@pytest.mark.parametrize("language", ["en", "nl"])
def test_a_seekers_list_from_the_pool_equals_the_in_process_one(world, language):
    app, client, _, seekers, data_dir = world
    for seeker in seekers:
        path = f"/seekers/{seeker.account_id}/recommendations"
        pooled = _get(client, path, seeker.headers, k=4, language=language)
        assert pooled["items"], "the market gives every seeker something to rank"
        assert pooled == _in_process(data_dir, path, seeker.headers, k=4, language=language)


def test_an_employers_candidates_from_the_pool_equal_the_in_process_ones(world):
    app, client, employer, seekers, data_dir = world
    pooled = _get(client, "/vacancies/v-warehouse/candidates", employer.headers)
    assert {item["seeker_id"] for item in pooled["items"]} == {s.account_id for s in seekers}
    assert pooled == _in_process(data_dir, "/vacancies/v-warehouse/candidates", employer.headers)


def test_workers_see_catalogue_and_consent_changes(world):
    app, client, employer, seekers, _ = world
    seeker = seekers[0]
    listed = {item["vacancy_id"] for item in
              _get(client, f"/seekers/{seeker.account_id}/recommendations", seeker.headers, k=50)["items"]}
    assert "v-social" in listed
    set_status(app, "v-social", "closed")
    try:
        after = {item["vacancy_id"] for item in
                 _get(client, f"/seekers/{seeker.account_id}/recommendations", seeker.headers, k=50)["items"]}
        assert after == listed - {"v-social"}
    finally:
        set_status(app, "v-social", "open")
    change_consent(app, seekers[1], visible_to_employers=False, include_in_batch_matching=False)
    try:
        shown = {item["seeker_id"] for item in _get(client, "/vacancies/v-warehouse/candidates", employer.headers)["items"]}
        assert shown == {seekers[0].account_id, seekers[2].account_id}
    finally:
        change_consent(app, seekers[1], visible_to_employers=True, include_in_batch_matching=True)


def test_a_lost_worker_costs_no_request(world, caplog):
    app, client, _, seekers, _ = world
    workers = app.state.ctx.list_workers
    os.kill(workers.run(worker_process_id), signal.SIGKILL)
    seeker = seekers[2]
    # The pool notices the loss a moment later, so the request in flight may still be
    # served by the surviving worker; none of these may fail. k = 6..8 is asked nowhere
    # else here, so each list is computed, not read from the cache.
    for k in (6, 7, 8):
        assert _get(client, f"/seekers/{seeker.account_id}/recommendations", seeker.headers, k=k)["items"]
        time.sleep(0.2)
    assert workers.run(worker_process_id) != os.getpid()
    assert any("list worker stopped unexpectedly" in record.getMessage() for record in caplog.records)


def test_workers_that_cannot_start_answer_503(tmp_path):
    # Port 0 passes the constructor but not the settings check each worker runs at start.
    workers = ListWorkers(Settings(data_dir=tmp_path, secret_key="test-secret", port=0), 1)
    try:
        with pytest.raises(ApiError) as refused:
            workers.run(worker_process_id)
        assert refused.value.status == 503
    finally:
        workers.shutdown()


def test_list_workers_setting_is_checked():
    with pytest.raises(SettingsError, match="SKILLPASS_LIST_WORKERS"):
        Settings.load(environ={"SKILLPASS_LIST_WORKERS": "-1"}, dotenv=None)
    with pytest.raises(SettingsError, match="SKILLPASS_LIST_WORKERS"):
        Settings.load(environ={"SKILLPASS_LIST_WORKERS": "two"}, dotenv=None)
    assert Settings.load(environ={"SKILLPASS_LIST_WORKERS": "2"}, dotenv=None).list_workers == 2
