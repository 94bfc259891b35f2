"""Load over real HTTP: activities recorded until acknowledged, in the background while
a test breaks things, and the check that each acknowledged one is stored exactly once."""

from __future__ import annotations

import threading
import time
from collections import Counter

import requests

from tests.support.servers import (
    Client,
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
