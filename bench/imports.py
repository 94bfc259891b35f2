"""Import benchmark: a 10,000-row file of activities imported in one run (issue 12: in
under a minute on PostgreSQL), beside baselines measured in the same run on the same
store, as ratios (these machines are shared and noisy).

    .venv/bin/python -m bench.imports --database-url postgresql://postgres@127.0.0.1/postgres
    .venv/bin/python -m bench.imports --rows 10000 --allocations 50   # SQLite in a temp dir

On a fresh store: two members, an engagement, `--allocations` projects with an
allocation each over the last two years, and a CSV of `--rows` rows spread over them
(made in memory), each recorded the day of its work. Timed:
1. the import, end to end as `flask --app wsgi import activities FILE` runs it (read
   the file, check every row, write them in batches), with the time of each stage;
2. the same file again: every row skipped (a rerun after a failure, or by mistake);
3. the baselines, the import's own stored events (each activity and its locator) put
   into a fresh schema or file: through the library's recorder, in inserts of the
   import's batch size (the floor for these events, without reading, checking,
   domain or mapper); and as plain rows with `executemany`, in transactions of the
   same size (the floor of the database itself);
4. the read models taking the import in (every view rebuilt from the log, which is
   little more than the import), events per second: reads that wait for the import
   (`min_position`) wait about that long.

A PostgreSQL URL gets fresh schemas, a SQLite run a temporary folder; all are removed
at the end.
"""

from __future__ import annotations

import argparse
import sqlite3
import time
import uuid
from contextlib import closing
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import psycopg
from eventsourcing.persistence import StoredEvent

from bench.projections import store
from projections import NAMES, Projections
from projections.engine.rebuild import rebuild
from service.application import Ledger
from service.application.caller import Caller
from service.application.imports.commands import BATCH
from service.web.schemas.import_file import read_activities

MEMBERS = ("ana", "ben")


class Stopwatch:
    """The import's progress, as the time each stage began (the CLI draws bars)."""

    def __init__(self) -> None:
        self.marks: list[tuple[str, float]] = []

    def stage(self, label: str, total: int) -> None:
        self.marks.append((label, time.perf_counter()))

    def advance(self, rows: int) -> None:
        pass


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", help="postgresql://... (default: a temporary SQLite)")
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--allocations", type=int, default=50)
    args = parser.parse_args(argv)

    env, drop = store(args.database_url)
    baseline_env, drop_baseline = store(args.database_url)
    ledger, baseline = Ledger(env=env), Ledger(env=baseline_env)
    try:
        run(ledger, baseline, args)
    finally:
        ledger.close()
        baseline.close()
        drop()
        drop_baseline()


def run(ledger: Ledger, baseline: Ledger, args: Any) -> None:
    store_name = "PostgreSQL" if "POSTGRES_DBNAME" in ledger.env else "SQLite"
    data = activities_file(ledger, args.rows, args.allocations)
    print(
        f"Import benchmark on {store_name}: {args.rows:,} rows over {args.allocations} "
        f"allocations, {len(data) / 1e6:.1f} MB of CSV\n"
    )
    head = ledger.recorder.max_notification_id() or 0
    watch = Stopwatch()
    started = time.perf_counter()
    outcome = ledger.import_activities(read_activities(data), actor="bench", progress=watch)
    ended = time.perf_counter()
    assert (outcome.imported, outcome.errors) == (args.rows, []), outcome
    (_, checking), (_, writing) = watch.marks
    again_started = time.perf_counter()
    again = ledger.import_activities(read_activities(data), actor="bench")
    again_seconds = time.perf_counter() - again_started
    assert again.skipped == args.rows, again
    seconds = ended - started
    print(
        f"  {'import, end to end':<28}{_rate(seconds, args.rows, 'rows')}   (read "
        f"{checking - started:.2f} s, check {writing - checking:.2f} s, write "
        f"{ended - writing:.2f} s)"
    )
    again_rate = _rate(again_seconds, args.rows, "rows")
    print(f"  {'the same file again':<28}{again_rate}   every row skipped")

    events = [
        StoredEvent(n.originator_id, n.originator_version, n.topic, n.state)
        for n in ledger.recorder.select_notifications(start=head + 1, limit=10 * args.rows)
    ]
    batch = 2 * BATCH  # a batch of rows is as many activities and as many locators
    recorder_seconds = _timed(lambda: _through_recorder(baseline, events, batch))
    plain_seconds = _timed(lambda: _executemany(baseline, events, batch))
    print(f"\n  baselines, the import's {len(events):,} stored events put again:")
    for label, floor in (
        ("library's recorder", recorder_seconds),
        ("executemany", plain_seconds),
    ):
        print(
            f"    {label:<26}{_rate(floor, len(events), 'events')}   import / {label}: "
            f"{seconds / floor:5.1f}x"
        )

    projections = Projections(ledger, namespace="b_")
    views_started = time.perf_counter()
    applied = sum(rebuild(projections, name) for name in NAMES)
    views_seconds = time.perf_counter() - views_started
    log = ledger.recorder.max_notification_id() or 0
    print(
        f"\n  {'read models take it in':<28}{_rate(views_seconds, applied, 'events')}   "
        f"({len(NAMES)} views rebuilt, the log's {log:,} events each)"
    )


def activities_file(ledger: Ledger, rows: int, allocations: int) -> bytes:
    """The store's allocations and a CSV of `rows` activities spread over them."""
    today = datetime.now(UTC).date()
    first = today - timedelta(days=730)
    for handle in MEMBERS:
        ledger.register_team_member(
            handle=handle,
            name=handle.title(),
            line_manager="lee",
            fte=Decimal("1"),
            effective_date=first,
            caller=Caller("bench"),
        )
    engagement = ledger.open_engagement(
        name="Imported",
        community="c",
        description="",
        start_date=first,
        end_date=today,
        contacts=[],
        caller=Caller("bench"),
    ).value
    ids = []
    for n in range(allocations):
        _, project_id = ledger.define_project(
            engagement.id, name=f"P{n}", outcome="o", caller=Caller("bench")
        ).value
        granted = ledger.grant_allocation(
            project_id,
            start_date=first,
            end_date=today,
            units=100_000,
            description=f"A{n}",
            provider=MEMBERS[n % 2],
            caller=Caller("bench"),
        )
        ids.append(granted.value.id)
    lines = [
        "external_id,allocation_id,team_member,units,description,date_from,date_to,recorded_at"
    ]
    for n in range(rows):
        day = first + timedelta(days=n % 730)
        lines.append(
            f"sheet-{n},{ids[n % allocations]},{MEMBERS[n % 2]},{n % 8 + 1},"
            f"review of chapter {n},{day},{day},{day}T16:30:00Z"
        )
    return ("\n".join(lines) + "\n").encode()


def _through_recorder(baseline: Ledger, events: list[StoredEvent], batch: int) -> None:
    for start in range(0, len(events), batch):
        baseline.recorder.insert_events(events[start : start + batch])


def _executemany(baseline: Ledger, events: list[StoredEvent], batch: int) -> None:
    """Plain rows of the events' columns into a table of their own, `batch` rows per
    transaction: what the database itself takes to store these bytes."""
    rows = [(uuid.uuid4(), e.originator_version, e.topic, e.state) for e in events]
    if "POSTGRES_DBNAME" in baseline.env:
        env = baseline.env
        with psycopg.connect(
            host=env["POSTGRES_HOST"],
            port=int(env["POSTGRES_PORT"]),
            user=env["POSTGRES_USER"],
            dbname=env["POSTGRES_DBNAME"],
            options=f"-c search_path={env['POSTGRES_SCHEMA']}",
        ) as conn:
            conn.execute(
                "CREATE TABLE plain (id uuid PRIMARY KEY, version int, topic text, state bytea)"
            )
            conn.commit()
            for start in range(0, len(rows), batch):
                with conn.transaction(), conn.cursor() as cursor:
                    cursor.executemany(
                        "INSERT INTO plain VALUES (%s, %s, %s, %s)", rows[start : start + batch]
                    )
        return
    with closing(sqlite3.connect(baseline.env["SQLITE_DBNAME"])) as conn:
        conn.execute(
            "CREATE TABLE plain (id TEXT PRIMARY KEY, version INT, topic TEXT, state BLOB)"
        )
        for start in range(0, len(rows), batch):
            with conn:
                conn.executemany(
                    "INSERT INTO plain VALUES (?, ?, ?, ?)",
                    [(str(r[0]), *r[1:]) for r in rows[start : start + batch]],
                )


def _timed(call: Any) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def _rate(seconds: float, count: int, what: str) -> str:
    return f"{seconds:7.2f} s {count / seconds:>9,.0f} {what}/s"


if __name__ == "__main__":
    main()
