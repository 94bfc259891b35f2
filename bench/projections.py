"""Read-model benchmark: how fast the read models are rebuilt and followed, and what the
reports cost, each figure beside a baseline measured in the same run on the same
machine (absolute times on a shared machine say little).

    .venv/bin/python -m bench.projections                       # SQLite file in a temp dir
    .venv/bin/python -m bench.projections --database-url postgresql://postgres@127.0.0.1/bench
    .venv/bin/python -m bench.projections --events 1000000 --allocations 200

It writes a log of `--events` events through the application's aggregates, saved in
batches (not over HTTP): `--allocations` allocations, each with 20 activities in the
report's month and the rest of its activities (with corrections and retractions) over
24 months. Then:
1. the baseline: reading the whole log and decoding every event through the
   application's own mapper, in the rebuild's pages;
2. the rebuild of each read model (projections/engine/rebuild.py: a new generation,
   folded in memory, written at once, then switched to), and of all of them in one
   read of the log (`projections rebuild`): events per second, and that rate as a share
   of the baseline's (the goal: 0.25 or more), by the wall clock and by this process's
   CPU time (which leaves out the waits for a core and, on PostgreSQL, the server's
   work);
3. the live follower: `--follow-events` more events saved about ten at a time, every
   read model caught up after each save; its CPU per 1,000 events;
4. the monthly and planning reports, and the monthly report as of the middle of the log:
   p50 and p99 over REPORT_REPEATS runs, beside a baseline taken in turn with them in
   the same loop: one allocation's row read by its key, through the same read models
   and connections (what any read costs on this machine at this moment), and each
   report's p50 as a multiple of the baseline's.

A PostgreSQL URL gets a fresh schema, a SQLite run a temporary folder; both are
removed at the end.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import psycopg

from projections import NAMES, Projections
from projections.engine.fold import PAGE_SIZE
from projections.engine.follower import Follower
from projections.engine.rebuild import rebuild, rebuild_many
from projections.reports import monthly_report
from projections.reports.planning import planning_report
from service.application import FixedClock, Ledger
from service.application.caller import Caller
from service.domain import Allocation
from service.domain.calendar import Month
from service.infra.store import persistence_environment

TODAY = date(2026, 1, 1)  # the log's "today": a fixed calendar, whatever the run date
FIRST_DAY = date(2024, 1, 1)
LAST_DAY = date(2025, 12, 31)
REPORT_MONTH = Month(2025, 6)
MEMBERS = ("ana", "ben", "cat", "dev", "eve")
REPORT_REPEATS = 100


class LogWriter:
    """Writes a realistic event log fast: activities are applied to allocations in
    memory and saved a few hundred events at a time (one insert each), through the
    same aggregates, events and mapper as the service."""

    def __init__(self, ledger: Ledger, seed: int = 1):
        self.ledger = ledger
        self.random = random.Random(seed)
        self.allocations: list[uuid.UUID] = []
        for handle in MEMBERS:
            ledger.register_team_member(
                handle=handle,
                name=handle,
                line_manager="lee",
                fte=Decimal("0.8"),
                effective_date=FIRST_DAY,
                caller=Caller("bench"),
            )

    def grant(self, count: int) -> list[uuid.UUID]:
        made = []
        for n in range(count):
            if n % 10 == 0:
                engagement = self.ledger.open_engagement(
                    name=f"Engagement {len(self.allocations) + n}",
                    community="c",
                    description="",
                    start_date=FIRST_DAY,
                    end_date=LAST_DAY,
                    contacts=[],
                    caller=Caller("bench"),
                ).value
            _, project_id = self.ledger.define_project(
                engagement.id, name=f"P{n}", outcome="o", caller=Caller("bench")
            ).value
            made.append(
                self.ledger.grant_allocation(
                    project_id,
                    start_date=FIRST_DAY,
                    end_date=LAST_DAY,
                    units=10_000,
                    description=f"A{n}",
                    provider=self.random.choice(MEMBERS),
                    caller=Caller("bench"),
                ).value.id
            )
        self.allocations += made
        return made

    def activities(
        self, allocations: list[uuid.UUID], events: int, days: Callable[[], date]
    ) -> None:
        """About `events` more events, spread over `allocations`: 85% recordings,
        10% corrections, 5% retractions."""
        per_allocation = max(events // len(allocations), 1)
        for allocation_id in allocations:
            allocation: Allocation = self.ledger.repository.get(allocation_id)
            live: list[uuid.UUID] = []
            for n in range(per_allocation):
                self._one(allocation, live, days)
                if n % 500 == 499:
                    self.ledger.save(allocation)
            self.ledger.save(allocation)

    def _one(self, allocation: Allocation, live: list[uuid.UUID], days: Callable[[], date]) -> None:
        choice = self.random.random()
        if choice < 0.85 or len(live) < 5:
            last = days()
            activity_id = uuid.uuid4()
            allocation.record_activity(
                activity_id=activity_id,
                team_member=self.random.choice(MEMBERS),
                units=self.random.choice((1, 2, 3, 5, 8)),
                description="work",
                date_from=last - timedelta(self.random.randint(0, 1)) if last > FIRST_DAY else last,
                date_to=last,
                actor="bench",
                today=TODAY,
            )
            live.append(activity_id)
        elif choice < 0.95:
            allocation.correct_activity(
                activity_id=self.random.choice(live),
                reason="fix",
                changes={"units": self.random.randint(1, 8)},
                actor="bench",
                today=TODAY,
            )
        else:
            allocation.retract_activity(
                activity_id=live.pop(self.random.randrange(len(live))), reason="dup", actor="bench"
            )

    def day_outside_report_month(self) -> date:
        while True:
            day = FIRST_DAY + timedelta(self.random.randint(0, (LAST_DAY - FIRST_DAY).days))
            if Month.of(day) != REPORT_MONTH:
                return day

    def day_in_report_month(self) -> date:
        return REPORT_MONTH.first_day + timedelta(self.random.randint(0, 29))


def decode_time(ledger: Ledger, events: int) -> Seconds:
    """Reading the log and decoding every event through the application's own mapper,
    in the rebuild's pages: what a rebuild cannot beat."""
    started, position = Seconds.now(), 0
    while position < events:
        page = ledger.recorder.select_notifications(
            start=position, limit=PAGE_SIZE, inclusive_of_start=False
        )
        if not page:
            break
        for notification in page:
            ledger.mapper.to_domain_event(notification)
        position = page[-1].id
    return Seconds.now() - started


@dataclass(frozen=True)
class Seconds:
    """Elapsed (wall clock) and this process's CPU seconds. On a shared machine the
    wall clock counts the waits for a core; the CPU time does not (nor the database
    server's work, on PostgreSQL)."""

    wall: float
    cpu: float

    @staticmethod
    def now() -> Seconds:
        return Seconds(time.perf_counter(), time.process_time())

    def __sub__(self, other: Seconds) -> Seconds:
        return Seconds(self.wall - other.wall, self.cpu - other.cpu)


def time_rebuilds(projections: Projections) -> dict[str, Seconds]:
    """Time to rebuild each read model from the whole log (blue/green: a new
    generation, folded, then switched to)."""
    seconds = {}
    for name in NAMES:
        started = Seconds.now()
        rebuild(projections, name)
        seconds[name] = Seconds.now() - started
    started = Seconds.now()
    rebuild_many(projections, NAMES)  # `projections rebuild`: the log read once for all
    seconds["all, 1 pass"] = Seconds.now() - started
    return seconds


def follower_cpu(writer: LogWriter, projections: Projections, events: int) -> float:
    """CPU seconds of this process per 1,000 events for the live follower: `events`
    more events written a few at a time (a save of about ten, as requests make them),
    every read model caught up after each save, as woken by its commit. Only the
    follower's passes are timed, and only this process's CPU (the database's is not)."""
    follower = Follower(projections)
    assert follower.catch_up()
    spent, written = 0.0, 0
    while written < events:
        before = projections.head()
        writer.activities(writer.allocations[:1], 10, writer.day_outside_report_month)
        written += projections.head() - before
        started = time.process_time()
        assert follower.catch_up()
        spent += time.process_time() - started
    return spent / written * 1000


BASELINE = "baseline: a row by key"


def time_reports(
    projections: Projections, as_of: int, allocation_id: str
) -> dict[str, list[float]]:
    """Seconds of each report over REPORT_REPEATS runs, taken in turn with the baseline
    (one allocation's row by its key, through the same view and connection pool), so
    that a busy moment of a shared machine weighs on both; the garbage collector paused
    as `timeit` does (a collection's cost follows all the process holds, not the
    report). The monthly report as of an earlier position reads the versions valid
    then, by key, however long their history has grown."""
    balances = projections.view("balances")
    reports = {
        BASELINE: lambda: balances.allocation(allocation_id),
        "monthly": lambda: monthly_report(projections, REPORT_MONTH, TODAY),
        "planning": lambda: planning_report(projections, REPORT_MONTH, REPORT_MONTH),
        f"monthly as of {as_of:,}": lambda: monthly_report(
            projections, REPORT_MONTH, TODAY, as_of=as_of
        ),
    }
    runs: dict[str, list[float]] = {name: [] for name in reports}
    gc.collect()
    for _ in range(REPORT_REPEATS):
        for name, report in reports.items():
            gc.disable()
            try:
                started = time.perf_counter()
                report()
                runs[name].append(time.perf_counter() - started)
            finally:
                gc.enable()
    return runs


def store(database_url: str | None) -> tuple[dict[str, str], Callable[[], None]]:
    if database_url is None:
        folder = tempfile.mkdtemp(prefix="bench-projections-")
        return (
            persistence_environment(f"sqlite:///{folder}/ledger.sqlite3"),
            lambda: shutil.rmtree(folder, ignore_errors=True),
        )
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(database_url.split("?")[0], autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')

    def drop() -> None:
        with psycopg.connect(database_url.split("?")[0], autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')

    return persistence_environment(f"{database_url.split('?')[0]}?schema={schema}"), drop


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", help="postgresql://... (default: a temporary SQLite)")
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--allocations", type=int, default=200)
    parser.add_argument("--follow-events", type=int, default=2_000)
    args = parser.parse_args(argv)

    env, drop = store(args.database_url)
    ledger = Ledger(env=env, clock=FixedClock(TODAY))
    try:
        run(ledger, args)
    finally:
        ledger.close()
        drop()


def run(ledger: Ledger, args: Any) -> None:
    store_name = "PostgreSQL" if "POSTGRES_DBNAME" in ledger.env else "SQLite"
    writer = LogWriter(ledger)
    log = Projections(ledger, names=())
    started = time.perf_counter()
    allocations = writer.grant(args.allocations)
    writer.activities(allocations, 20 * len(allocations), writer.day_in_report_month)
    writer.activities(allocations, args.events - log.head(), writer.day_outside_report_month)
    events = log.head()
    written = time.perf_counter() - started
    print(
        f"Read-model benchmark on {store_name}: {events:,} events on {args.allocations} "
        f"allocations, written in {written:.0f}s ({events / written:,.0f} events/s through "
        f"the aggregates, in batches)\n"
    )

    decoding = decode_time(ledger, events)
    projections = Projections(ledger, namespace="r_")
    rebuilds = time_rebuilds(projections)
    print("Rebuild (fold, blue/green) against reading and decoding the same log (ratio of rates):")
    print(
        f"  {'':<11}{'wall':>8} {'events/s':>9} {'ratio':>6}   "
        f"{'CPU':>8} {'events/s':>9} {'ratio':>6}"
    )
    for name, seconds in {"read+decode": decoding, **rebuilds}.items():
        print(
            f"  {name:<11}{_rate(seconds.wall, events, decoding.wall)}   "
            f"{_rate(seconds.cpu, events, decoding.cpu)}"
        )

    cpu = follower_cpu(writer, projections, args.follow_events)
    print(
        f"\nLive follower, {args.follow_events:,} events saved about ten at a time: "
        f"{cpu * 1000:.1f} ms of CPU per 1,000 events (this process; all read models)"
    )

    runs = time_reports(projections, events // 2, str(writer.allocations[0]))
    print(
        f"\nReports for {REPORT_MONTH}, {args.allocations} allocations, {REPORT_REPEATS} runs, "
        f"each in turn with the baseline (load average {os.getloadavg()[0]:.1f}):"
    )
    baseline = _percentile(runs[BASELINE], 50)
    for name, seconds in runs.items():
        p50, p99 = _percentile(seconds, 50), _percentile(seconds, 99)
        beside = "" if name == BASELINE else f"   p50 {p50 / baseline:5.0f}x the baseline's"
        print(f"  {name:<24} p50 {p50 * 1000:7.2f} ms   p99 {p99 * 1000:7.2f} ms{beside}")


def _rate(seconds: float, events: int, baseline: float) -> str:
    """Seconds, events per second, and the rate as a share of the baseline's rate."""
    return f"{seconds:>7.2f}s {events / seconds:>9,.0f} {baseline / seconds:>6.2f}"


def _percentile(values: list[float], percent: int) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(percent / 100 * (len(ordered) - 1)))]


if __name__ == "__main__":
    main()
