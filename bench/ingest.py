"""Ingest benchmark: POST /api/allocations/{id}/activities through gunicorn on
PostgreSQL under wrk at 1, 4 and 16 connections, beside a baseline measured in the
same run on the same machine: a minimal Flask + psycopg endpoint inserting one row per
request (bench/minimal_app.py, the floor for any Python web service doing a durable
write), under the same gunicorn settings.

The service runs as `make run` deploys it: its gunicorn master starts the worker
process (read models, checkpoints) beside the web workers. The load spreads over 16
allocations; at each level the two endpoints are measured in turns. Then the SQL
statements one recording sends (bench/statements.py, pg_stat_statements).

With --profile DIR, py-spy samples every web worker and the worker process during the
service's run at the last level, and the table of where a recording's time goes is
printed (bench/profile.py; py-spy needs ptrace rights: root, or CAP_SYS_PTRACE).

Run with `make bench-ingest` (or `.venv/bin/python -m bench.ingest`); needs wrk.
"""

from __future__ import annotations

import argparse
import os
from datetime import timedelta
from pathlib import Path

import psycopg

from bench import wrk
from bench.profile import Profile
from bench.statements import statements_per_recording
from service.application import Clock
from tests.support.servers import Client, Service, build_allocations, drop_database, new_database

CONNECTIONS = (1, 4, 16)
ALLOCATIONS = 16
BOOT_SECONDS = 180  # gunicorn on a machine busy with other work


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=8, help="per measurement (default 8)")
    parser.add_argument(
        "--connections", type=int, nargs="+", default=list(CONNECTIONS), help="wrk connections"
    )
    parser.add_argument(
        "--workers", type=int, default=None, help="gunicorn workers (default: as deployed)"
    )
    parser.add_argument(
        "--profile", type=Path, default=None, help="py-spy every process into this folder"
    )
    args = parser.parse_args()
    workers = args.workers or min(2 * os.cpu_count() + 1, 9)
    load_before = os.getloadavg()
    database = new_database()
    dsn = f"postgresql://postgres@127.0.0.1:5432/{database}"
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE bench_rows (id bigserial PRIMARY KEY, body jsonb NOT NULL)")
    service = Service(env={"DATABASE_URL": dsn}, workers=workers, boot_seconds=BOOT_SECONDS)
    minimal = Service(
        env={"BENCH_DSN": dsn},
        workers=workers,
        app="bench.minimal_app:app",
        boot_seconds=BOOT_SECONDS,
    )
    rows = []
    try:
        print(f"starting the service and the minimal endpoint ({workers} workers each) ...")
        service.start()
        minimal.start()
        admin = Client(service.url, service.token("admin"))
        allocations = build_allocations(admin, ALLOCATIONS, list(wrk.MEMBERS))
        day = (Clock().today() - timedelta(days=1)).isoformat()
        activities = wrk.activities_script(allocations, service.token("manager"), day)
        baseline = wrk.rows_script()
        wrk.run(service.url, activities, 4, 2)  # warm-up: pools, caches, prepared statements
        wrk.run(minimal.url, baseline, 4, 2)
        for turn, connections in enumerate(args.connections):
            print(f"measuring {connections} connection(s) ...", flush=True)
            profiled = args.profile is not None and connections == args.connections[-1]
            # In turns, back and forth: a machine growing busier or quieter during the
            # run weighs on both alike.
            if turn % 2 == 0:
                ours = measure_service(service, activities, connections, args, profiled)
                floor = wrk.run(minimal.url, baseline, connections, args.seconds)
            else:
                floor = wrk.run(minimal.url, baseline, connections, args.seconds)
                ours = measure_service(service, activities, connections, args, profiled)
            rows.append((connections, ours, floor))
    finally:
        service.stop()
        minimal.stop()
        drop_database(database)
    print("counting the statements of one recording (pg_stat_statements) ...", flush=True)
    count = statements_per_recording()
    report(rows, workers, (load_before[0], os.getloadavg()[0]))
    print(f"\nSQL statements per recording (pg_stat_statements): {count.per_recording:g}")
    for calls, query in count.statements:
        print(f"{calls:>4}  {' '.join(query.split())[:110]}")
    if args.profile is not None:
        print()
        print(Profile.read(args.profile).table())


def measure_service(
    service: Service, script: str, connections: int, args: argparse.Namespace, profiled: bool
) -> wrk.Figures:
    if not profiled:
        return wrk.run(service.url, script, connections, args.seconds)
    load = wrk.Load(service.url, script, connections, args.seconds)
    Profile.record(args.profile, service, args.seconds)
    return load.finish()


def report(rows: list, workers: int, load: tuple[float, float]) -> None:
    print(
        f"\nPOST under wrk, {workers} gunicorn workers each, the service's worker process "
        f"beside them, {ALLOCATIONS} allocations; load average {load[0]:.1f} before, "
        f"{load[1]:.1f} after, on {os.cpu_count()} cores\n"
    )
    print(
        f"{'conns':>5}  {'service rps':>11} {'p50 ms':>7} {'p99 ms':>7}  "
        f"{'minimal rps':>11} {'p50 ms':>7} {'p99 ms':>7}  {'service/minimal':>15}"
    )
    for connections, ours, floor in rows:
        print(
            f"{connections:>5}  {ours.rps:>11.0f} {ours.p50_ms:>7.1f} {ours.p99_ms:>7.1f}  "
            f"{floor.rps:>11.0f} {floor.p50_ms:>7.1f} {floor.p99_ms:>7.1f}  "
            f"{ours.rps / floor.rps:>15.2f}"
        )
    failed = sum(ours.failed + floor.failed for _, ours, floor in rows)
    if failed:
        raise SystemExit(f"{failed} requests failed: the figures above are not to be trusted")


if __name__ == "__main__":
    main()
