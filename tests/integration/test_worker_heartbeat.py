"""The background worker's heartbeat (projections/engine/heartbeat.py), on both stores:
/readyz and /metrics report it, a read waiting on views nobody advances answers 503 at
once saying so, and the threads of a single-process server beat as `worker run` does.

Here the web process runs no background work (PROJECTIONS_IN_PROCESS=false) unless a
test says otherwise: the test beats for a worker, or does not."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

import pytest
from flask import Flask

from projections import Projections
from projections.engine.follower import Follower
from projections.engine.heartbeat import Heartbeat
from service.bootstrap import create_app
from service.infra.config import Settings
from service.web.http.runtime import ledger as app_ledger
from tests.support.api import ApiClient
from tests.support.apps import close_app

DOWN_AFTER = 3


@pytest.fixture
def app_env() -> dict[str, str]:
    return {
        "PROJECTIONS_IN_PROCESS": "false",
        "PROJECTIONS_WAIT_SECONDS": "0.5",
        "WORKER_DOWN_AFTER_SECONDS": str(DOWN_AFTER),
    }


def beat_for_a_worker(app: Flask, pid: int = 4242) -> None:
    """What a `worker run` process elsewhere does every few seconds."""
    with app.app_context():
        heartbeat = Heartbeat(app_ledger().factory.datastore)
        heartbeat.create_table()
        heartbeat.beat("worker-host", pid)


def wait_until(condition, what: str, timeout: float = 30.0) -> None:
    """A bound, so that a heartbeat that never goes stale fails the test with a message."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def metric(app: Flask, name: str) -> float | None:
    text = app.test_client().get("/metrics").get_data(as_text=True)
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    return None


def test_a_read_on_views_nobody_advances_answers_503_at_once_saying_so(api: ApiClient):
    """The token the `api` fixture issued is an event no view has applied."""
    unattended = api.get("/api/engagements")
    assert unattended.status_code == 503
    assert unattended.headers["Retry-After"].isdigit()
    assert unattended.mimetype == "application/problem+json"
    detail = unattended.json["detail"]
    assert "the background worker is not running" in detail, detail
    assert "never sent a heartbeat" in detail and "log position 1" in detail

    beat_for_a_worker(api.app)  # someone is advancing them: the read waits (0.5 s here)
    waited = api.get("/api/engagements")
    assert waited.status_code == 503
    assert "have not reached log position 1" in waited.json["detail"]

    with api.app.app_context():
        Follower(Projections(app_ledger())).catch_up()  # what that worker does
    assert api.get("/api/engagements").status_code == 200


def test_readyz_and_metrics_report_the_worker_up_then_down(app: Flask):
    client = app.test_client()
    never = client.get("/readyz")
    assert never.status_code == 200  # a plain probe: see service/web/http/health.py
    assert never.json["status"] == "worker_down"
    assert never.json["worker"] == {
        "status": "down",
        "last_seen": None,
        "age_seconds": None,
        "host": None,
        "pid": None,
    }
    assert client.get("/readyz", query_string={"max_lag": 0}).status_code == 503
    assert metric(app, "ces_worker_up") == 0
    assert metric(app, "ces_worker_heartbeat_age_seconds") is None

    beat_for_a_worker(app)
    up = client.get("/readyz", query_string={"max_lag": 0})
    assert up.status_code == 200 and up.json["status"] == "ready", up.json
    worker = up.json["worker"]
    assert worker["status"] == "up" and worker["host"] == "worker-host" and worker["pid"] == 4242
    assert worker["last_seen"] is not None and 0 <= worker["age_seconds"] <= DOWN_AFTER
    assert metric(app, "ces_worker_up") == 1
    assert 0 <= metric(app, "ces_worker_heartbeat_age_seconds") <= DOWN_AFTER

    wait_until(
        lambda: client.get("/readyz").json["worker"]["status"] == "down",
        f"a heartbeat {DOWN_AFTER}s old to count as down",
    )
    down = client.get("/readyz")
    assert down.status_code == 200 and down.json["status"] == "worker_down"
    assert down.json["worker"]["age_seconds"] >= DOWN_AFTER
    assert down.json["worker"]["last_seen"] == worker["last_seen"]
    assert client.get("/readyz", query_string={"max_lag": 0}).status_code == 503
    assert metric(app, "ces_worker_up") == 0
    assert metric(app, "ces_worker_heartbeat_age_seconds") >= DOWN_AFTER


@pytest.fixture
def single_process_app(database_url: str) -> Iterator[Flask]:
    """PROJECTIONS_IN_PROCESS=true, no gunicorn: the background work runs in threads."""
    app = create_app(Settings.from_environment({"DATABASE_URL": database_url}))
    yield app
    close_app(app)


def test_a_single_process_server_beats_from_its_first_request(single_process_app: Flask):
    app = single_process_app
    with app.app_context():
        secret, _ = app_ledger().issue_token(
            role="admin", member=None, engagement_id=None, name="Test Admin", actor="test"
        )
    api = ApiClient(app, app.test_client(), secret)
    assert api.get("/api/engagements").status_code == 200  # its first request starts them
    worker = api.client.get("/readyz").json["worker"]
    assert worker["status"] == "up" and worker["pid"] == os.getpid()
