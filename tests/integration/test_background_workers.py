"""Where the background work runs (service/runtime.py): in ONE worker process
(`worker run`, or its old name `projections run`), never in a gunicorn web worker
nor in a CLI command; in-process only in a single-process server.

These tests look at what was started rather than at how long anything took: a CLI
command that starts no thread has nothing to wait for at exit."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from flask import Flask

from projections import Projections
from service.application import Ledger
from service.infra.store import persistence_environment
from service.web.http.runtime import ledger as app_ledger
from tests.support.hubspot_deal_stub import ENGAGEMENT, serve_deal
from tests.support.hubspot_webhooks import SECRET, close, closed_won, deliver, hubspot_app
from tests.support.servers import Service, wait_until

ROOT = Path(__file__).resolve().parents[2]
BACKGROUND_THREADS = {
    "projections-follower",
    "checkpoints",
    "worker-heartbeat",
    "hubspot-follower",
    "hubspot-poll",
}


def background_threads() -> set[threading.Thread]:
    return {thread for thread in threading.enumerate() if thread.name in BACKGROUND_THREADS}


def started_nothing(app: Flask, before: set[threading.Thread]) -> bool:
    """No worker made, no HubSpot follower thread, no new background thread (threads
    of apps other tests left behind in this process may remain: `before`)."""
    runtime = app.extensions["runtime"]
    follower = app.extensions["hubspot"].follower
    return (
        runtime._workers is None
        and (follower is None or follower._thread is None)
        and background_threads() <= before
    )


@pytest.fixture
def api_base(httpserver) -> str:
    serve_deal(httpserver)
    return httpserver.url_for("/").rstrip("/")


def hubspot_env(api_base: str, **more: str) -> dict[str, str]:
    return {"HUBSPOT_ACCESS_TOKEN": "pat-test-token", "HUBSPOT_API_BASE": api_base, **more}


@pytest.fixture
def web_app(database_url: str, api_base: str) -> Iterator[Flask]:
    """A web process in worker mode, HubSpot fully configured."""
    app = hubspot_app(database_url, **hubspot_env(api_base, PROJECTIONS_IN_PROCESS="false"))
    yield app
    close(app)


def test_a_web_process_in_worker_mode_serves_and_starts_nothing(web_app):
    before = background_threads()
    client = web_app.test_client()
    assert client.get("/readyz").status_code == 200
    assert deliver(client, [closed_won()]).status_code == 204
    with web_app.app_context():
        assert app_ledger().engagement(ENGAGEMENT) is not None
    assert client.get("/readyz").json["runner"] == "separate process"
    assert started_nothing(web_app, before)


@pytest.mark.parametrize("in_process", ["true", "false"])
def test_cli_commands_start_nothing(database_url, api_base, in_process, tmp_path):
    """Even with PROJECTIONS_IN_PROCESS=true, the default: only a request starts them."""
    env = hubspot_env(api_base, PROJECTIONS_IN_PROCESS=in_process, HUBSPOT_PORTAL_ID="145106154")
    app = hubspot_app(database_url, **env)
    factories = [make.__name__ for make in app.extensions["runtime"].background_factories]
    assert factories[-2:] == ["hubspot_deal_follower", "hubspot_poll"]
    before = background_threads()
    runner = app.test_cli_runner()
    saved = tmp_path / "delivery.json"
    saved.write_text(json.dumps([closed_won()]))
    try:
        for command in (
            ["tokens", "create", "admin", "--name", "Alex Admin"],
            ["projections", "status"],
            ["projections", "rebuild", "team"],
            ["audit", "verify"],
            ["hubspot", "replay", str(saved)],
        ):
            result = runner.invoke(args=command)
            assert result.exit_code == 0, (command, result.output)
        assert started_nothing(app, before)
    finally:
        close(app)


def test_a_single_process_server_runs_them_in_process_on_its_first_request(database_url, api_base):
    """`make run`'s gunicorn excepted (its master runs a worker process instead), a
    process serving requests with PROJECTIONS_IN_PROCESS=true runs them in threads."""
    app = hubspot_app(database_url, **hubspot_env(api_base))
    try:
        assert app.test_client().get("/readyz").status_code == 200
        runtime = app.extensions["runtime"]
        names = {make.__name__ for make in runtime.background_factories}
        assert len(runtime._workers) == len(names)
        assert {"ProjectionWorker", "heartbeat_worker", "hubspot_deal_follower"} <= names
        assert app.extensions["hubspot"].follower._thread.is_alive()
    finally:
        close(app)


def worker_environment(database_url: str, api_base: str) -> dict[str, str]:
    env = {**os.environ, "DATABASE_URL": database_url, "HUBSPOT_CLIENT_SECRET": SECRET}
    env.update(hubspot_env(api_base, PROJECTIONS_IN_PROCESS="false"))
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    return env


@pytest.mark.parametrize("command", [("worker", "run"), ("projections", "run")])
def test_the_worker_process_runs_the_followers_and_stops_on_sigterm(
    database_url, api_base, web_app, command, tmp_path
):
    log = tmp_path / "worker.log"
    worker = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", *command],
        cwd=ROOT,
        env=worker_environment(database_url, api_base),
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    ledger = Ledger(env=persistence_environment(database_url))
    try:
        assert deliver(web_app.test_client(), [closed_won()]).status_code == 204
        wait_until(
            lambda: ledger.engagement(ENGAGEMENT).deal_details,
            60,
            f"the worker process to fetch the deal's details (log: {log.read_text()})",
        )
        views = Projections(ledger)
        wait_until(
            lambda: min(views.positions().values()) == views.head(),
            60,
            f"the worker process to bring the views up to date (log: {log.read_text()})",
        )
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=60) == 0, log.read_text()
        output = log.read_text()
        assert "ProjectionWorker" in output and "hubspot_deal_follower" in output, output
        assert "worker: stopped" in output
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
        ledger.close()


def test_gunicorn_in_process_runs_one_worker_process_beside_its_web_workers(tmp_path):
    """`make run`: PROJECTIONS_IN_PROCESS=true and several web workers; the master
    starts one `worker run` child, not a follower in each web worker."""
    database_url = f"sqlite:///{tmp_path}/ledger.sqlite3"
    service = Service(env={"DATABASE_URL": database_url}, workers=2).start()
    try:
        wait_until(lambda: len(service.worker_pids()) == 2, 30, "two web workers")
        background = service.background_pids()
        assert len(background) == 1
        service.token("admin")  # an event in the log, which the worker process follows

        def caught_up() -> bool:
            ready = requests.get(f"{service.url}/readyz", timeout=5).json()
            lags = [view["lag"] for view in ready["projections"].values()]
            return ready["log_position"] > 0 and not any(lags)

        wait_until(caught_up, 30, "the worker process to bring the views up to date")
    finally:
        service.stop()
    assert service.process.returncode == 0
    assert not Path(f"/proc/{background[0]}").exists()
