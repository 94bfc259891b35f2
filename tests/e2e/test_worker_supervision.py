"""`make run` (PROJECTIONS_IN_PROCESS=true), gunicorn on PostgreSQL: the worker process
the master starts beside its web workers is killed with SIGKILL under load, and the
service heals by itself: the master starts a new one (service/infra/supervisor.py), a
fresh read of a write made after the kill comes to show it, /readyz reports the new
worker up. Bounded waits that fail with a message; no timings asserted."""

from __future__ import annotations

import os
import signal
from collections import Counter

from tests.support.load import (
    MEMBERS,
    BackgroundLoad,
    assert_exactly_once,
    record_until_acknowledged,
)
from tests.support.servers import Client, Service, build_allocations, wait_until


def test_a_killed_worker_process_is_restarted_and_reads_recover_by_themselves(
    service: Service, admin: Client
):
    [allocation] = build_allocations(admin, 1, MEMBERS)
    victim = service.readyz()["worker"]["pid"]
    assert service.background_pids() == [victim]
    reads: Counter = Counter()

    with BackgroundLoad(service.url, service.token("manager"), [allocation], clients=2) as load:
        load.wait_for_more(10)
        os.kill(victim, signal.SIGKILL)
        after_kill = record_until_acknowledged(admin, allocation, 1_000_000, Counter())

        def fresh_read_shows_it() -> bool:
            response = admin.get(f"/api/allocations/{allocation}/activities")
            reads[response.status_code] += 1
            if response.status_code == 503:
                assert response.headers["Retry-After"].isdigit()
                return False
            assert response.status_code == 200, response.text
            return any(item["id"] == after_kill["id"] for item in response.json()["items"])

        wait_until(
            fresh_read_shows_it,
            90,
            f"a fresh read to show a write made after the worker was killed "
            f"(log: {service.log_path})",
            interval=0.5,
        )
        worker = wait_until(
            lambda: (
                (w := service.readyz()["worker"])["status"] == "up" and w["pid"] != victim and w
            ),
            60,
            f"/readyz to report a new worker process up (log: {service.log_path})",
        )
        load.wait_for_more(10)

    assert service.background_pids() == [worker["pid"]], "one worker process, the new one"
    assert reads[500] == 0 and load.statuses[500] == 0
    assert_exactly_once(admin, [allocation], [*load.acknowledged, (allocation, after_kill)])
    log = service.log_path.read_text()
    assert f"process {victim} ended" in log and "starting a new one" in log, log[-3000:]
