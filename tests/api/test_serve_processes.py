"""`skillpass serve --web-workers 2` and `--list-workers 2`: one prepared database, several processes that agree."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from benchmarks.platform_server import start_server
from service.seed import DEMO_PASSWORD
from service.settings import Settings


def children_of(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the process ended while we looked
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def test_settings_travel_through_the_environment(tmp_path):
    settings = Settings(data_dir=tmp_path / "platform", port=8123, seed_demo=False, web_workers=3,
                        secret_key="s3cret")
    assert Settings.load(settings.environment(), dotenv=None) == settings


def test_two_http_processes_serve_the_same_seeded_platform(tmp_path):
    server = start_server(tmp_path, seed=True, worker=True, web_workers=2, timeout=240)
    try:
        base = server.base_url
        token = httpx.post(f"{base}/auth/token", data={"username": "demo-seeker", "password": DEMO_PASSWORD},
                           timeout=30).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        me = httpx.get(f"{base}/auth/me", headers=headers, timeout=30).json()

        def recommendations(_):
            with httpx.Client(base_url=base, timeout=120) as client:  # a new connection each time
                response = client.get(f"/seekers/{me['account_id']}/recommendations", headers=headers,
                                      params={"k": 5})
                return response.status_code, [item["vacancy_id"] for item in response.json()["items"]]

        with ThreadPoolExecutor(4) as pool:
            answers = list(pool.map(recommendations, range(12)))
        assert {status for status, _ in answers} == {200}
        assert len({tuple(items) for _, items in answers}) == 1 and len(answers[0][1]) == 5
        # The parent keeps the job supervisor; uvicorn's process manager holds the HTTP processes.
        family = children_of(server.process.pid)
        grandchildren = [pid for child in family for pid in children_of(child)]
        assert len(family) + len(grandchildren) >= 3
    finally:
        server.stop()


def test_list_workers_serve_a_real_server(tmp_path):
    server = start_server(tmp_path, seed=True, worker=False, web_workers=1, list_workers=2, timeout=240)
    try:
        base = server.base_url
        token = httpx.post(f"{base}/auth/token", data={"username": "demo-coach", "password": DEMO_PASSWORD},
                           timeout=30).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        caseload = [s["seeker_id"] for s in httpx.get(f"{base}/coaches/me/caseload", headers=headers,
                                                      timeout=30).json()]

        def recommendations(i):
            response = httpx.get(f"{base}/seekers/{caseload[i % 3]}/recommendations", headers=headers,
                                 params={"k": 3 + i // 3}, timeout=120)
            return response.status_code, len(response.json()["items"])

        with ThreadPoolExecutor(4) as pool:
            answers = list(pool.map(recommendations, range(12)))
        assert {status for status, _ in answers} == {200}
        assert [shown for _, shown in answers] == [3 + i // 3 for i in range(12)]
        # The HTTP process, its two list workers (and multiprocessing's resource tracker).
        workers = [pid for pid in children_of(server.process.pid)
                   if "multiprocessing.spawn" in Path(f"/proc/{pid}/cmdline").read_text()
                   and "resource_tracker" not in Path(f"/proc/{pid}/cmdline").read_text()]
        assert len(workers) == 2
    finally:
        server.stop()
