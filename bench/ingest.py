"""Ingest benchmark: POST /api/allocations/{id}/activities through gunicorn on
PostgreSQL at 1, 4 and 16 concurrent clients, beside two baselines measured in the
same run on the same machine:

- a minimal Flask + psycopg endpoint inserting one row per request (the floor for any
  Python web service doing a durable write), under the same gunicorn settings;
- pgbench inserting one row per transaction (the database's own ceiling).

The service runs as in production: web workers that only write and read, and the
projection process (`flask --app wsgi projections run`) beside them on the same machine.

Run with `make bench-ingest` (or `.venv/bin/python -m bench.ingest`). Prints requests per
second and p50/p99 latency for each, and the ratios that matter on a shared, noisy
machine: the service's throughput over the minimal endpoint's.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import timedelta

import psycopg

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

CLIENT_LEVELS = (1, 4, 16)
MEMBERS = ["ana", "ben", "caro", "dev"]


@dataclass
class Figures:
    requests: int
    seconds: float
    latencies: list[float]

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        return (
            ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000 if ordered else 0.0
        )


def http_load(port: int, clients: int, seconds: float, request_for) -> Figures:
    """`clients` threads, each on one keep-alive connection, posting for `seconds`."""
    latencies: list[list[float]] = [[] for _ in range(clients)]
    failures: list[str] = []
    start_gate = threading.Barrier(clients + 1)

    def client(index: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        start_gate.wait()
        deadline = time.perf_counter() + seconds
        n = 0
        while time.perf_counter() < deadline:
            path, body, headers = request_for(index, n)
            began = time.perf_counter()
            connection.request("POST", path, body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            latencies[index].append(time.perf_counter() - began)
            if response.status != 201:
                failures.append(f"{response.status}")
            n += 1

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    start_gate.wait()
    began = time.perf_counter()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - began
    if failures:
        raise SystemExit(f"{len(failures)} requests failed, e.g. {failures[:3]}")
    flat = [x for per_client in latencies for x in per_client]
    return Figures(len(flat), elapsed, flat)


def pgbench(dsn_parts: dict[str, str], clients: int, seconds: int) -> Figures:
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as script:
        script.write("INSERT INTO bench_rows (body) VALUES ('{\"units\": 3}');\n")
    result = subprocess.run(
        [
            "pgbench",
            "-n",
            "-h",
            dsn_parts["host"],
            "-p",
            dsn_parts["port"],
            "-U",
            "postgres",
            "-c",
            str(clients),
            "-j",
            str(min(clients, 2)),
            "-T",
            str(seconds),
            "-f",
            script.name,
            "-r",
            dsn_parts["dbname"],
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    os.unlink(script.name)
    tps = float(re.search(r"tps = ([\d.]+)", result.stdout).group(1))
    latency_ms = float(re.search(r"latency average = ([\d.]+) ms", result.stdout).group(1))
    # pgbench reports the mean latency only; p50/p99 are left blank for it.
    return Figures(int(tps * seconds), seconds, [latency_ms / 1000])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=8, help="per measurement (default 8)")
    parser.add_argument(
        "--workers", type=int, default=None, help="gunicorn workers (default: as deployed)"
    )
    args = parser.parse_args()

    database = new_database()
    dsn = f"postgresql://postgres@127.0.0.1:5432/{database}"
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE bench_rows (id bigserial PRIMARY KEY, body jsonb NOT NULL)")
    workers = args.workers or min(2 * os.cpu_count() + 1, 9)
    service = Service(env={"DATABASE_URL": dsn, "PROJECTIONS_IN_PROCESS": "false"}, workers=workers)
    minimal = Service(env={"BENCH_DSN": dsn}, workers=workers, app="bench.minimal_app:app")
    projections = None
    try:
        print(
            f"starting the service and the minimal endpoint ({workers} gunicorn workers each) ...",
            flush=True,
        )
        service.start()
        projections = subprocess.Popen(
            [str(BIN / "flask"), "--app", "wsgi", "projections", "run"],
            cwd=ROOT,
            env={**os.environ, **service.env},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        minimal.start()
        admin = Client(service.url, service.token("admin"))
        allocations = build_allocations(admin, 16, MEMBERS)
        token = service.token("manager")
        day = (Clock().today() - timedelta(days=1)).isoformat()

        def activity_request(client: int, n: int):
            body = json.dumps(
                {
                    "team_member": MEMBERS[n % 4],
                    "units": 1 + n % 3,
                    "description": f"bench {client}-{n}",
                    "date_from": day,
                    "date_to": day,
                }
            )
            return (
                f"/api/allocations/{allocations[client % 16]}/activities",
                body,
                {"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            )

        def row_request(client: int, n: int):
            body = json.dumps(
                {
                    "team_member": MEMBERS[n % 4],
                    "units": 1 + n % 3,
                    "description": f"bench {client}-{n}",
                }
            )
            return "/rows", body, {"Content-Type": "application/json"}

        http_load(service.port, 4, 2, activity_request)  # warm-up: pools, caches, snapshots
        http_load(minimal.port, 4, 2, row_request)
        rows = []
        for clients in CLIENT_LEVELS:
            print(f"measuring {clients} client(s) ...", flush=True)
            ours = http_load(service.port, clients, args.seconds, activity_request)
            floor = http_load(minimal.port, clients, args.seconds, row_request)
            database_only = pgbench(
                {"host": "127.0.0.1", "port": "5432", "dbname": database},
                clients,
                int(args.seconds),
            )
            rows.append((clients, ours, floor, database_only))
        print()
        print(
            f"{'clients':>7}  {'service rps':>11} {'p50 ms':>7} {'p99 ms':>7}  "
            f"{'minimal rps':>11} {'p50 ms':>7} {'p99 ms':>7}  {'pgbench tps':>11}  "
            f"{'service/minimal':>15} {'service/pgbench':>15}"
        )
        for clients, ours, floor, database_only in rows:
            print(
                f"{clients:>7}  {ours.rps:>11.0f} {ours.percentile(50):>7.1f} "
                f"{ours.percentile(99):>7.1f}  {floor.rps:>11.0f} {floor.percentile(50):>7.1f} "
                f"{floor.percentile(99):>7.1f}  {database_only.rps:>11.0f}  "
                f"{ours.rps / floor.rps:>15.2f} {ours.rps / database_only.rps:>15.2f}"
            )
        at16 = rows[-1][1].rps / rows[-1][2].rps
        print(
            f"\nat 16 clients the service reaches {at16:.0%} of the minimal endpoint's throughput "
            f"(target: at least 50%)"
        )
    finally:
        if projections is not None:
            projections.terminate()
            projections.wait(timeout=30)
        service.stop()
        minimal.stop()
        drop_database(database)


if __name__ == "__main__":
    main()
