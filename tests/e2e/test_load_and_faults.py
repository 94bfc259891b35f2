"""The service under load and under faults, over real HTTP, gunicorn on PostgreSQL."""

from __future__ import annotations

import os
import random
import signal
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.support.load import (
    MEMBERS,
    BackgroundLoad,
    activity_body,
    assert_exactly_once,
    record_until_acknowledged,
)
from tests.support.servers import (
    Client,
    Service,
    ThrowawayCluster,
    build_allocations,
    wait_until,
)


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
