"""The whole story over real HTTP: gunicorn with several workers and the projection
process on a PostgreSQL database of their own, HubSpot served by a local stub.

HubSpot webhook → engagement → its contracted allocation → activities by several
members → corrections → monthly and capacity reports → audit log; then the projection
process is killed under load and restarted, and every view equals a full replay."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from hubspot.utils.signature import Signature

from projections import NAMES, Projections
from projections.engine.follower import Follower
from projections.engine.freshness import await_position
from service.application import Clock, Ledger
from service.domain import engagement_id_for_deal
from service.infra.store import persistence_environment
from tests.support.hubspot_deal_stub import COMPANY_BODY, COMPANY_PATH, DEAL, DEAL_PATH, deal_body
from tests.support.servers import BIN, ROOT, Client, Service, wait_until

SECRET = "e2e-client-secret"
PORTAL = 145106154
TODAY = Clock().today()  # the service's day (UTC), not the local date
MONTH = TODAY.strftime("%Y-%m")


def day(n: int) -> str:
    return (TODAY - timedelta(days=n)).isoformat()


class ProjectionProcess:
    """`flask --app wsgi projections run` as its own process."""

    def __init__(self, env: dict[str, str], log: Path):
        self.env = {**os.environ, **env}
        self.env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        self.log = log
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [str(BIN / "flask"), "--app", "wsgi", "projections", "run"],
            cwd=ROOT,
            env=self.env,
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
        )

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=30)


def closed_won_delivery(url: str) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(
        [
            {
                "eventId": 3816279340,
                "subscriptionId": 2963051,
                "portalId": PORTAL,
                "appId": 4708013,
                "occurredAt": int(time.time() * 1000),
                "subscriptionType": "deal.propertyChange",
                "attemptNumber": 0,
                "objectId": int(DEAL),
                "changeSource": "CRM_UI",
                "propertyName": "dealstage",
                "propertyValue": "closedwon",
            }
        ]
    ).encode()
    stamp = str(int(time.time() * 1000))
    signature = Signature.get_signature(
        SECRET, body.decode(), "v3", http_uri=url, http_method="POST", timestamp=stamp
    )
    return body, {
        "X-HubSpot-Signature-v3": signature,
        "X-HubSpot-Request-Timestamp": stamp,
        "Content-Type": "application/json",
    }


@pytest.fixture
def stack(database_url, httpserver, tmp_path):
    httpserver.expect_request(DEAL_PATH, method="GET").respond_with_json(
        deal_body(contract_start_date=day(40), contract_end_date=day(-50), contract_hours="40")
    )
    httpserver.expect_request(COMPANY_PATH, method="GET").respond_with_json(COMPANY_BODY)
    env = {
        "DATABASE_URL": database_url,
        "PROJECTIONS_IN_PROCESS": "false",
        "HUBSPOT_CLIENT_SECRET": SECRET,
        "HUBSPOT_ACCESS_TOKEN": "pat-e2e",
        "HUBSPOT_API_BASE": httpserver.url_for("/").rstrip("/"),
    }
    service = Service(env=env, workers=3)
    service.env["HUBSPOT_WEBHOOK_URL"] = f"{service.url}/webhooks/hubspot"
    runner = ProjectionProcess(env, tmp_path / "projections.log")
    runner.start()
    service.start()
    yield service, runner
    service.stop()
    runner.stop()


def test_the_whole_story_then_a_killed_projection_process(stack, database_url):
    service, runner = stack
    admin = Client(service.url, service.token("admin"))

    # HubSpot: a forged delivery is refused, a signed one creates the engagement.
    body, headers = closed_won_delivery(f"{service.url}/webhooks/hubspot")
    forged = admin.session.post(
        f"{service.url}/webhooks/hubspot",
        data=body,
        headers={**headers, "X-HubSpot-Signature-v3": "forged"},
    )
    assert forged.status_code == 401
    delivered = admin.session.post(f"{service.url}/webhooks/hubspot", data=body, headers=headers)
    assert delivered.status_code == 204, delivered.text
    engagement_id = str(engagement_id_for_deal(PORTAL, DEAL))

    def engagement_with_contract():
        engagement = admin.get(f"/api/engagements/{engagement_id}").json()
        projects = engagement.get("projects") or []
        return engagement if projects and projects[0]["allocations"] else None

    engagement = wait_until(
        engagement_with_contract, 60, "the deal's details and contracted allocation"
    )
    assert engagement["name"] == "Open Data Week support"
    listed = admin.get(
        "/api/engagements", min_position=delivered.headers["X-Event-Position"]
    ).json()
    assert engagement_id in [e["id"] for e in listed["items"]]
    allocation_id = engagement["projects"][0]["allocations"][0]["id"]
    assert engagement["projects"][0]["allocations"][0]["units_granted"] == 40

    # The team, each member with a token of their own.
    for handle in ("ana", "ben"):
        admin.created(
            "/api/team-members",
            {
                "handle": handle,
                "name": handle.title(),
                "fte": "0.5",
                "line_manager": "lee",
                "effective_date": day(300),
            },
        )
    ana = Client(service.url, service.token("member", "--member", "ana"))
    ben = Client(service.url, service.token("member", "--member", "ben"))
    path = f"/api/allocations/{allocation_id}/activities"
    first = ana.created(
        path,
        {
            "team_member": "ana",
            "units": 3,
            "description": "guide review",
            "date_from": day(0),
            "date_to": day(0),
        },
    )
    ben.created(
        path,
        {
            "team_member": "ben",
            "units": 5,
            "description": "workshop",
            "date_from": day(0),
            "date_to": day(0),
        },
    )
    wrong = ben.created(
        path,
        {
            "team_member": "ben",
            "units": 8,
            "description": "duplicate",
            "date_from": day(0),
            "date_to": day(0),
        },
    )
    assert (
        ben.post(
            path,
            {
                "team_member": "ana",
                "units": 1,
                "description": "not mine",
                "date_from": day(0),
                "date_to": day(0),
            },
        ).status_code
        == 403
    )
    corrected = ana.created(
        f"/api/activities/{first['id']}/corrections", {"units": 2, "reason": "typo"}
    )
    last = ben.created(f"/api/activities/{wrong['id']}/retraction", {"reason": "entered twice"})

    # Reports read the projections, waiting for the last write.
    monthly = admin.get("/api/reports/monthly", month=MONTH, min_position=last["position"]).json()
    [reported] = [e for e in monthly["engagements"] if e["id"] == engagement_id]
    allocation = reported["projects"][0]["allocations"][0]
    assert (allocation["units_used_month"], allocation["units_remaining"]) == (7, 33)
    assert sorted((a["team_member"], a["units"]) for a in allocation["activities"]) == [
        ("ana", 2),
        ("ben", 5),
    ]
    capacity = admin.get("/api/reports/capacity", month=MONTH, min_position=last["position"]).json()
    used = {m["handle"]: m["units_used"] for m in capacity["members"]}
    assert (used["ana"], used["ben"]) == (2, 5)
    csv = admin.session.get(
        f"{service.url}/api/reports/monthly",
        params={"month": MONTH},
        headers={"Accept": "text/csv"},
    )
    assert csv.status_code == 200 and csv.headers["Content-Type"].startswith("text/csv")

    audit = Client(service.url, service.token("auditor"))
    events = audit.get("/api/audit/events", limit=500).json()
    types = [e["event_type"] for e in events["items"]]
    for expected in (
        "DealClosedWon",
        "EngagementDetailsUpdated",
        "AllocationGranted",
        "ActivityRecorded",
        "ActivityCorrected",
        "ActivityRetracted",
    ):
        assert expected in types
    assert corrected["position"] in [e["position"] for e in events["items"]]

    # The projection process dies under load; restarted, it catches up exactly.
    stop = threading.Event()
    manager = Client(service.url, service.token("manager"))
    recorded = [0]

    def load() -> None:
        n = 0
        while not stop.is_set():
            response = manager.post(
                path,
                {
                    "team_member": "ana",
                    "units": 1,
                    "description": f"load {n}",
                    "date_from": day(n % 20),
                    "date_to": day(n % 20),
                },
            )
            assert response.status_code == 201, response.text
            n += 1
            recorded[0] = n

    def recorded_more(than: int) -> bool:
        return recorded[0] >= than + 30 or not writer.is_alive()

    writer = threading.Thread(target=load)
    writer.start()
    wait_until(lambda: recorded_more(0), 60, "the load to start")
    runner.kill()
    killed_at = recorded[0]
    wait_until(lambda: recorded_more(killed_at), 60, "writes while the projections are down")
    runner.start()
    restarted_at = recorded[0]
    wait_until(lambda: recorded_more(restarted_at), 60, "writes after the restart")
    stop.set()
    writer.join()

    ledger = Ledger(env=persistence_environment(database_url))
    try:
        served = Projections(ledger)
        await_position(served, NAMES, served.head(), timeout=120)
        ready = admin.session.get(f"{service.url}/readyz").json()
        assert all(view["lag"] == 0 for view in ready["projections"].values()), ready
        replay = Projections(ledger, namespace="replay_")
        assert Follower(replay).catch_up()
        assert served.dump() == replay.dump()
    finally:
        ledger.close()
    metrics = admin.session.get(f"{service.url}/metrics").text
    assert "ces_http_requests_total" in metrics and "ces_events_appended_total" in metrics
