"""Projection lag under the ingest load: how long after a recording's 201 every view
shows it, with the projection process woken on each commit (LISTEN, the default on
PostgreSQL) against the same process polling only (PROJECTIONS_LISTEN=false, its poll
every 0.1 s); and what the NOTIFY behind it costs the writes, against the same
service whose insert function notifies no one (bench/without_notify.py). All three
are measured in one run, at each load, on two databases served side by side, in
rounds taken in turns (each figure the mean of its rounds); then the NOTIFY's cost in
the database alone, where the service's noise cannot hide it (bench/notify_cost.py).

The load is wrk posting activities, as the service column of bench/ingest.py. The
lag is sampled by a probe beside it, one request at a time (a few a second against
the load's hundreds): it posts a recording, notes when the 201 arrives with the
write's log position, and polls the views' tracking positions every 2 ms until every
view has passed it. So a lag is what a client reading its own write would wait at
most, give or take the 2 ms poll; its p99 is over the samples counted in column n.

Run with `make bench-lag` (or `.venv/bin/python -m bench.lag`); needs wrk (Debian's
package; `make bench-lag` installs it when missing).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import psycopg

from bench.notify_cost import notify_cost
from bench.wrk import MEMBERS, Load, activities_script
from projections import NAMES
from service.application import Clock
from tests.support.servers import (
    BIN,
    ROOT,
    Client,
    Service,
    build_allocations,
    drop_database,
    new_database,
)

CONNECTIONS = (4, 16)
ALLOCATIONS = 16  # under load; one more is the probe's own
POLL_SECONDS = 0.002  # the probe's look at the views
SAMPLE_GAP_SECONDS = 0.05  # between a sample seen and the next write
EVENTS_TABLE = "ledger_events"
INSERT_FUNCTION = f"ces_locked_insert_{EVENTS_TABLE}"
FOLLOWER_STARTED = "projections: following the log"


@dataclass
class Stack:
    """One database, gunicorn serving `app` on it, and its projection process."""

    app: str
    notifies: bool
    database: str = field(default_factory=new_database)
    service: Service | None = None
    follower: subprocess.Popen | None = None
    allocations: list[str] = field(default_factory=list)
    token: str = ""

    @property
    def dsn(self) -> str:
        return f"postgresql://postgres@127.0.0.1:5432/{self.database}"

    def start(self, workers: int) -> None:
        env = {"DATABASE_URL": self.dsn, "PROJECTIONS_IN_PROCESS": "false"}
        self.service = Service(env=env, workers=workers, app=self.app).start()
        admin = Client(self.service.url, self.service.token("admin"))
        self.allocations = build_allocations(admin, ALLOCATIONS + 1, list(MEMBERS))
        self.token = self.service.token("manager")

    def follow(self, listen: bool) -> None:
        """(Re)start the projection process, wait until it has caught up, and check that
        the insert function is the one this stack measures (each process re-creates it)."""
        self.stop_following()
        log = Path(tempfile.mkstemp(prefix="ces-lag-follower-", suffix=".log")[1])
        self.follower = subprocess.Popen(
            [str(BIN / "flask"), "--app", self.app, "projections", "run"],
            cwd=ROOT,
            env={**os.environ, **self.service.env, "PROJECTIONS_LISTEN": str(listen).lower()},
            stdout=subprocess.DEVNULL,
            stderr=log.open("wb"),
        )
        deadline = time.monotonic() + 60
        while FOLLOWER_STARTED not in log.read_text():
            if self.follower.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the projection process did not start: {log.read_text()}")
            time.sleep(0.1)
        with psycopg.connect(self.dsn, autocommit=True) as db:
            views = views_position_sql(db)
            head_sql = f"SELECT COALESCE(MAX(notification_id), 0) FROM {EVENTS_TABLE}"
            head = db.execute(head_sql).fetchone()[0]
            while db.execute(views).fetchone()[0] < head:
                time.sleep(0.05)
        self.check_insert_function()

    def check_insert_function(self) -> None:
        with psycopg.connect(self.dsn, autocommit=True) as db:
            definition = db.execute(
                "SELECT pg_get_functiondef(%s::regproc)", (INSERT_FUNCTION,)
            ).fetchone()[0]
        if ("NOTIFY" in definition) != self.notifies:
            raise SystemExit(
                f"{self.app}: the insert function should {'' if self.notifies else 'not '}"
                "notify, but a process re-created it otherwise; the figures would be wrong"
            )

    def stop_following(self) -> None:
        if self.follower is not None:
            self.follower.terminate()
            self.follower.wait(timeout=30)
            self.follower = None

    def close(self) -> None:
        self.stop_following()
        if self.service is not None:
            self.service.stop()
        drop_database(self.database)


def views_position_sql(db: psycopg.Connection) -> str:
    """The position every view has passed: the least of their tracking positions."""
    tables = [
        row[0]
        for row in db.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = 'public' AND table_name LIKE '%\\_tracking'"
        )
    ]
    if len(tables) != len(NAMES):
        raise SystemExit(f"expected a tracking table per view ({NAMES}), found {tables}")
    each = ", ".join(f'(SELECT COALESCE(MAX(notification_id), 0) FROM "{t}")' for t in tables)
    return f"SELECT LEAST({each})"


@dataclass
class Run:
    """One load with its lag samples."""

    label: str
    notify: str
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    lags: list[float]
    follower_cpu: float  # the projection process's CPU time over the run, in cores

    def lag_ms(self, p: float) -> float:
        ordered = sorted(self.lags)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000


def probe(stack: Stack, day: str, until: float) -> list[float]:
    """Lag samples, one write at a time, until `until` (perf_counter)."""
    lags = []
    web = http.client.HTTPConnection("127.0.0.1", stack.service.port, timeout=60)
    path = f"/api/allocations/{stack.allocations[ALLOCATIONS]}/activities"
    headers = {"Authorization": f"Bearer {stack.token}", "Content-Type": "application/json"}
    with psycopg.connect(stack.dsn, autocommit=True) as db:
        views = views_position_sql(db)
        while time.perf_counter() < until:
            body = {"team_member": "ana", "units": 1, "description": "probe"}
            web.request(
                "POST", path, json.dumps({**body, "date_from": day, "date_to": day}), headers
            )
            response = web.getresponse()
            answer = response.read()
            acknowledged = time.perf_counter()
            if response.status != 201:
                raise SystemExit(f"the probe's write answered {response.status}: {answer[:300]}")
            position = json.loads(answer)["position"]
            while db.execute(views, prepare=True).fetchone()[0] < position:
                if time.perf_counter() - acknowledged > 60:
                    raise SystemExit(f"the views did not reach position {position} in 60 s")
                time.sleep(POLL_SECONDS)
            lags.append(time.perf_counter() - acknowledged)
            time.sleep(SAMPLE_GAP_SECONDS)
    return lags


def measure(stack: Stack, label: str, connections: int, seconds: float, day: str) -> Run:
    script = activities_script(stack.allocations[:ALLOCATIONS], stack.token, day)
    cpu_before, began = cpu_seconds(stack.follower.pid), time.perf_counter()
    load = Load(stack.service.url, script, connections, seconds)
    try:
        lags = probe(stack, day, time.perf_counter() + seconds)
    finally:
        load_figures = load.finish()
    cpu = (cpu_seconds(stack.follower.pid) - cpu_before) / (time.perf_counter() - began)
    stack.check_insert_function()
    return Run(
        label,
        "yes" if stack.notifies else "no",
        load_figures.rps,
        load_figures.p50_ms,
        load_figures.p99_ms,
        load_figures.failed,
        lags,
        cpu,
    )


def combined(runs: list[Run]) -> Run:
    """One set-up's rounds together: the mean of their figures (of the latency
    percentiles too), their lag samples pooled."""
    return Run(
        runs[0].label,
        runs[0].notify,
        statistics.mean(run.rps for run in runs),
        statistics.mean(run.p50_ms for run in runs),
        statistics.mean(run.p99_ms for run in runs),
        sum(run.errors for run in runs),
        [lag for run in runs for lag in run.lags],
        statistics.mean(run.follower_cpu for run in runs),
    )


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=8, help="per measurement (default 8)")
    parser.add_argument(
        "--rounds", type=int, default=2, help="of the three set-ups, in turns (default 2)"
    )
    parser.add_argument(
        "--connections", type=int, nargs="+", default=list(CONNECTIONS), help="wrk connections"
    )
    parser.add_argument(
        "--workers", type=int, default=None, help="gunicorn workers (default: as deployed)"
    )
    args = parser.parse_args()
    workers = args.workers or min(2 * os.cpu_count() + 1, 9)
    day = (Clock().today() - timedelta(days=1)).isoformat()
    deployed = Stack("wsgi:app", notifies=True)
    silent = Stack("bench.without_notify:app", notifies=False)
    results: dict[int, list[Run]] = {}
    load_before = os.getloadavg()[0]
    try:
        print(f"starting two services ({workers} gunicorn workers each) ...", flush=True)
        for stack in (deployed, silent):
            stack.start(workers)
        setups = (
            (deployed, True, "LISTEN"),
            (deployed, False, "polling"),
            (silent, False, "polling"),
        )
        for connections in args.connections:
            rounds: list[list[Run]] = [[] for _ in setups]
            for turn in range(args.rounds):
                # In turns, back and forth: a machine growing busier or quieter during
                # the run weighs on every set-up alike.
                order = list(enumerate(setups))
                for index, (stack, listen, label) in order[:: 1 if turn % 2 == 0 else -1]:
                    print(f"measuring {connections} connections: {label}, ...", flush=True)
                    (silent if stack is deployed else deployed).stop_following()
                    stack.follow(listen)
                    measure(stack, label, connections, 2, day)  # warm-up: pools, caches
                    rounds[index].append(measure(stack, label, connections, args.seconds, day))
            results[connections] = [combined(runs) for runs in rounds]
    finally:
        for stack in (deployed, silent):
            stack.close()
    report(results, workers, args.rounds, (load_before, os.getloadavg()[0]))
    print(
        "\nThe insert alone (pgbench: lock the log, [NOTIFY,] insert, commit; one connection "
        "listening), median of 5 pairs:"
    )
    print("\n".join(notify_cost([1, *args.connections])))


def report(
    results: dict[int, list[Run]], workers: int, rounds: int, load: tuple[float, float]
) -> None:
    print(
        f"\nPOST activities under wrk, {workers} gunicorn workers, {rounds} rounds of each "
        "set-up in turns; projections in their own process, polling every 0.1 s; lag: from "
        "the 201 to every view past the write; follower CPU in cores; load average "
        f"{load[0]:.1f} before, {load[1]:.1f} after, on {os.cpu_count()} cores\n"
    )
    print(
        f"{'conns':>5}  {'follower':<8} {'NOTIFY':<6} {'writes/s':>8} {'p50 ms':>7} "
        f"{'p99 ms':>7} {'failed':>6}  {'n':>4} {'lag p50 ms':>10} {'lag p99 ms':>10} "
        f"{'lag mean ms':>11} {'follower CPU':>12}"
    )
    for connections, runs in results.items():
        for run in runs:
            print(
                f"{connections:>5}  {run.label:<8} {run.notify:<6} {run.rps:>8.0f} "
                f"{run.p50_ms:>7.1f} {run.p99_ms:>7.1f} {run.errors:>6}  {len(run.lags):>4} "
                f"{run.lag_ms(50):>10.1f} {run.lag_ms(99):>10.1f} "
                f"{statistics.mean(run.lags) * 1000:>11.1f} {run.follower_cpu:>12.2f}"
            )
    print()
    for connections, (listen, polling, silent) in results.items():
        print(
            f"{connections:>2} connections: lag with LISTEN / polling: "
            f"p50 {listen.lag_ms(50) / polling.lag_ms(50):.2f}x, "
            f"p99 {listen.lag_ms(99) / polling.lag_ms(99):.2f}x;  "
            f"writes/s with NOTIFY / without: {polling.rps / silent.rps:.2f}x polling, "
            f"{listen.rps / silent.rps:.2f}x with LISTEN"
        )


if __name__ == "__main__":
    main()
