"""The service under load and under faults, over real HTTP, gunicorn on PostgreSQL."""

from __future__ import annotations

import os
import random
import signal
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.support.servers import (
    Client,
    Service,
    ThrowawayCluster,
    build_allocations,
    days_ago,
    wait_until,
)

MEMBERS = ["ana", "ben", "caro", "dev"]


def activity_body(n: int) -> dict:
    return {
        "team_member": MEMBERS[n % len(MEMBERS)],
        "units": 1 + n % 3,
        "description": f"work item {n}",
        "date_from": days_ago(n % 30),
        "date_to": days_ago(n % 30),
    }


def record_until_acknowledged(
    client: Client,
    allocation_id: str,
    n: int,
    statuses: Counter,
    retry_anyway: bool = False,
    give_up_after: float = 120,
) -> dict:
    """A well-behaved client: retries failures with the same Idempotency-Key until
    acknowledged (and, for a share of requests, retries even a success, as a client
    whose connection dropped before it read the answer would)."""
    key = f"activity-{n}"
    path = f"/api/allocations/{allocation_id}/activities"
    deadline = time.monotonic() + give_up_after
    while time.monotonic() < deadline:
        try:
            response = client.post(path, activity_body(n), key=key, timeout=15)
        except requests.ConnectionError:
            statuses["connection error"] += 1
            time.sleep(0.05)
            continue
        statuses[response.status_code] += 1
        if response.status_code == 201:
            if retry_anyway:
                retry_anyway = False
                continue
            return response.json()
        assert response.status_code in (409, 503), f"{response.status_code}: {response.text}"
        if response.status_code == 503:
            assert response.headers["Retry-After"].isdigit()
        time.sleep(0.05)
    raise AssertionError(f"activity {n} was never acknowledged")


def stored_activities(admin: Client, allocations: list[str]) -> dict[str, list[dict]]:
    return {a: admin.get(f"/api/allocations/{a}/activities").json()["items"] for a in allocations}


def assert_exactly_once(
    admin: Client, allocations: list[str], acknowledged: list[tuple[str, dict]]
) -> None:
    stored = stored_activities(admin, allocations)
    stored_ids = Counter(item["id"] for items in stored.values() for item in items)
    acknowledged_ids = [body["id"] for _, body in acknowledged]
    assert len(set(acknowledged_ids)) == len(acknowledged_ids), "one acknowledgement per activity"
    missing = set(acknowledged_ids) - set(stored_ids)
    assert not missing, f"{len(missing)} acknowledged activities are not stored"
    duplicated = [i for i, count in stored_ids.items() if count > 1]
    assert not duplicated, f"activities stored twice: {duplicated[:5]}"
    assert len(stored_ids) == len(acknowledged_ids), (
        "the store holds activities nobody acknowledged"
    )
    for allocation_id in allocations:
        expected = sum(b["units"] for a, b in acknowledged if a == allocation_id)
        balance = admin.get(f"/api/allocations/{allocation_id}").json()
        assert balance["units_used"] == expected
        assert balance["units_remaining"] == 100 - expected


class BackgroundLoad:
    """`clients` threads recording activities until stopped, each retrying until its
    activity is acknowledged; what was acknowledged is kept for the checks."""

    def __init__(self, url: str, token: str, allocations: list[str], clients: int):
        self.url, self.token, self.allocations, self.clients = url, token, allocations, clients
        self.statuses: Counter = Counter()
        self.acknowledged: list[tuple[str, dict]] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, args=(w,)) for w in range(clients)]

    def _run(self, worker: int) -> None:
        client = Client(self.url, self.token)
        n = worker
        while not self._stop.is_set():
            allocation_id = self.allocations[n % len(self.allocations)]
            body = record_until_acknowledged(client, allocation_id, n, self.statuses)
            with self._lock:
                self.acknowledged.append((allocation_id, body))
            n += self.clients

    def wait_for_more(self, count: int, timeout: float = 60) -> None:
        """Return once `count` more activities have been acknowledged than now."""
        target = len(self.acknowledged) + count
        wait_until(lambda: len(self.acknowledged) >= target, timeout, f"{count} more writes")

    def __enter__(self) -> BackgroundLoad:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join()


def test_16_clients_record_2000_activities_exactly_once(service: Service, admin: Client):
    allocations = build_allocations(admin, 10, MEMBERS)
    statuses: Counter = Counter()
    token = service.token("manager")

    def client_job(worker: int) -> list[tuple[str, dict]]:
        client = Client(service.url, token)
        done = []
        for n in range(worker, 2000, 16):
            allocation_id = allocations[n % 10]
            done.append(
                (
                    allocation_id,
                    record_until_acknowledged(
                        client, allocation_id, n, statuses, retry_anyway=(n % 10 == 0)
                    ),
                )
            )
        return done

    with ThreadPoolExecutor(16) as pool:
        acknowledged = [item for batch in pool.map(client_job, range(16)) for item in batch]
    assert len(acknowledged) == 2000
    assert statuses[500] == 0
    assert_exactly_once(admin, allocations, acknowledged)


def test_a_killed_web_worker_is_replaced_and_loses_nothing_acknowledged(
    service: Service, admin: Client
):
    allocations = build_allocations(admin, 4, MEMBERS)
    with BackgroundLoad(service.url, service.token("manager"), allocations, clients=8) as load:
        load.wait_for_more(50)
        before = set(service.worker_pids())
        victim = random.choice(sorted(before))
        os.kill(victim, signal.SIGKILL)
        wait_until(
            lambda: len(set(service.worker_pids()) - before) >= 1,
            30,
            "gunicorn to replace the worker",
        )
        load.wait_for_more(50)
    assert victim not in service.worker_pids()
    assert load.statuses[500] == 0
    # The one request in flight in the killed worker may have failed; the client retried it.
    assert load.statuses["connection error"] <= 8
    assert_exactly_once(admin, allocations, load.acknowledged)


@pytest.fixture
def cluster():
    cluster = ThrowawayCluster().create()
    yield cluster
    cluster.destroy()


def test_a_database_outage_answers_503_and_recovers_without_a_restart(cluster: ThrowawayCluster):
    service = Service(env={"DATABASE_URL": cluster.url}, workers=3).start()
    try:
        admin = Client(service.url, service.token("admin"))
        allocations = build_allocations(admin, 2, MEMBERS)
        token = service.token("manager")
        with BackgroundLoad(service.url, token, allocations, clients=4) as load:
            load.wait_for_more(20)
            cluster.stop()
            during = Client(service.url, token).post(
                f"/api/allocations/{allocations[0]}/activities",
                activity_body(99999),
                key="during-outage",
                timeout=15,
            )
            assert during.status_code == 503, during.text
            assert during.headers["Retry-After"].isdigit()
            assert during.headers["Content-Type"].startswith("application/problem+json")
            wait_until(lambda: load.statuses[503] > 0, 30, "the load to meet the outage")
            cluster.start()
            load.wait_for_more(20)
        assert load.statuses[503] > 0, "the outage was not noticed by the load"
        assert load.statuses[500] == 0
        assert_exactly_once(admin, allocations, load.acknowledged)
        assert service.process.poll() is None, "the service restarted or died"
    finally:
        service.stop()
