"""Read-model benchmark: rebuilding a view costs time in proportion to the event log,
and a monthly report costs time in proportion to the allocations it shows, not to
the length of the log. Each figure is printed beside a baseline measured in the same
run on the same machine, as a ratio, since absolute times on a shared machine say
little.

    .venv/bin/python -m bench.projections                       # SQLite file in a temp dir
    .venv/bin/python -m bench.projections --database-url postgresql://postgres@127.0.0.1/bench
    .venv/bin/python -m bench.projections --events 100000 --baseline-events 25000

The run:
1. writes a log of `--baseline-events` events (50 allocations, activities with
   corrections and retractions over 24 months), rebuilds each view and times a
   monthly report: the baselines;
2. grows the same log to `--events` events, the new activities in other months than
   the report's, rebuilds each view (expect time ×4 for 4× the events, the same
   events/second) and times the report again (expect ×1);
3. grants 4× the allocations with as many activities each in the report's month, and
   times the report (expect up to ×4).

A PostgreSQL URL gets a fresh schema, dropped at the end.
"""

from __future__ import annotations

import argparse
import gc
import random
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import psycopg

from projections import NAMES, Projections
from projections.calendar import Month
from projections.follower import Follower
from projections.rebuild import rebuild
from projections.reports import monthly_report
from service.domain import Allocation
from service.ledger import Ledger
from service.store import persistence_environment

TODAY = date(2026, 1, 1)  # the log's "today": a fixed calendar, whatever the run date
FIRST_DAY = date(2024, 1, 1)
LAST_DAY = date(2025, 12, 31)
REPORT_MONTH = Month(2025, 6)
MEMBERS = ("ana", "ben", "cat", "dev", "eve")
REPORT_REPEATS = 25


class LogWriter:
    """Writes a realistic event log fast: activities are applied to allocations in
    memory and saved a few hundred events at a time (one insert each), through the
    same aggregates, events and mapper as the service."""

    def __init__(self, ledger: Ledger, seed: int = 1):
        self.ledger = ledger
        self.random = random.Random(seed)
        self.allocations: list[uuid.UUID] = []
        for handle in MEMBERS:
            ledger.register_team_member(handle=handle, name=handle, line_manager="lee",
                                        fte=Decimal("0.8"), effective_date=FIRST_DAY, actor="bench")

    def grant(self, count: int) -> list[uuid.UUID]:
        made = []
        for n in range(count):
            if n % 10 == 0:
                engagement = self.ledger.open_engagement(
                    name=f"Engagement {len(self.allocations) + n}", community="c", description="",
                    start_date=FIRST_DAY, end_date=LAST_DAY, contacts=[], actor="bench").value
            _, project_id = self.ledger.define_project(
                engagement.id, name=f"P{n}", outcome="o", actor="bench").value
            made.append(self.ledger.grant_allocation(
                project_id, start_date=FIRST_DAY, end_date=LAST_DAY, units=10_000,
                description=f"A{n}", provider=self.random.choice(MEMBERS), actor="bench").value.id)
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
                activity_id=activity_id, team_member=self.random.choice(MEMBERS),
                units=self.random.choice((1, 2, 3, 5, 8)), description="work",
                date_from=last - timedelta(self.random.randint(0, 1)) if last > FIRST_DAY else last,
                date_to=last, actor="bench", today=TODAY)
            live.append(activity_id)
        elif choice < 0.95:
            allocation.correct_activity(activity_id=self.random.choice(live), reason="fix",
                                        changes={"units": self.random.randint(1, 8)}, actor="bench",
                                        today=TODAY)
        else:
            allocation.retract_activity(activity_id=live.pop(self.random.randrange(len(live))),
                                        reason="dup", actor="bench")

    def day_outside_report_month(self) -> date:
        while True:
            day = FIRST_DAY + timedelta(self.random.randint(0, (LAST_DAY - FIRST_DAY).days))
            if Month.of(day) != REPORT_MONTH:
                return day

    def day_in_report_month(self) -> date:
        return REPORT_MONTH.first_day + timedelta(self.random.randint(0, 29))


def time_rebuilds(projections: Projections) -> dict[str, float]:
    seconds = {}
    for name in NAMES:
        started = time.perf_counter()
        rebuild(projections, name)
        seconds[name] = time.perf_counter() - started
    return seconds


def time_report(projections: Projections) -> float:
    """Seconds of a monthly report (all engagements), best of several runs, with the
    garbage collector paused as `timeit` does: a collection's cost follows everything
    else the process holds (the aggregate cache grows with the log), not the report."""
    timings = []
    gc.collect()
    for _ in range(REPORT_REPEATS):
        gc.disable()
        try:
            started = time.perf_counter()
            report = monthly_report(projections, REPORT_MONTH, TODAY)
            timings.append(time.perf_counter() - started)
        finally:
            gc.enable()
    assert report["engagements"], "the report should show something"
    return min(timings)


def store(database_url: str | None) -> tuple[dict[str, str], Callable[[], None]]:
    if database_url is None:
        folder = tempfile.mkdtemp(prefix="bench-projections-")
        return persistence_environment(f"sqlite:///{folder}/ledger.sqlite3"), lambda: None
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
    parser.add_argument("--baseline-events", type=int, default=25_000)
    parser.add_argument("--allocations", type=int, default=50)
    args = parser.parse_args(argv)

    env, drop = store(args.database_url)
    ledger = Ledger(env=env, today=lambda: TODAY)
    try:
        run(ledger, args)
    finally:
        ledger.close()
        drop()


def run(ledger: Ledger, args: Any) -> None:
    store_name = "PostgreSQL" if "POSTGRES_DBNAME" in ledger.env else "SQLite"
    print(f"Read-model benchmark on {store_name}; report month {REPORT_MONTH}\n")
    writer = LogWriter(ledger)
    projections = Projections(ledger)

    def log_size() -> int:
        return projections.head()

    first = writer.grant(args.allocations)
    writer.activities(first, args.baseline_events - log_size() - 20 * len(first),
                      writer.day_outside_report_month)
    writer.activities(first, 20 * len(first), writer.day_in_report_month)
    small_log = log_size()
    print(f"1. baseline log: {small_log:,} events, {len(writer.allocations)} allocations")
    small_rebuild = time_rebuilds(projections)
    small_report = time_report(projections)

    writer.activities(first, args.events - log_size(), writer.day_outside_report_month)
    big_log = log_size()
    print(f"2. grown log:    {big_log:,} events, {len(writer.allocations)} allocations")
    big_rebuild = time_rebuilds(projections)
    big_report = time_report(projections)

    more = writer.grant(3 * args.allocations)
    writer.activities(more, 20 * len(more), writer.day_in_report_month)
    assert Follower(projections).catch_up()
    many_log = log_size()
    print(f"3. 4x allocations: {many_log:,} events, {len(writer.allocations)} allocations\n")
    many_report = time_report(projections)

    events_ratio = big_log / small_log
    print(f"Rebuilding each view from the whole log; run 2 has {events_ratio:.2f}x the events:")
    print(f"  {'view':<11}{'baseline':>23}{'grown log':>23}{'time ratio':>12}")
    for name in NAMES:
        small, big = small_rebuild[name], big_rebuild[name]
        print(f"  {name:<11}{_rate(small, small_log)}{_rate(big, big_log)}{big / small:>11.2f}x")
    small, big = sum(small_rebuild.values()), sum(big_rebuild.values())
    print(f"  {'all four':<11}{small:>9.2f}s {'':>13}{big:>9.2f}s {'':>13}{big / small:>11.2f}x")

    allocations_ratio = len(writer.allocations) / args.allocations
    print(f"\nMonthly report for {REPORT_MONTH}, best of {REPORT_REPEATS}:")
    print(f"  {'log':<18}{'events':>9}{'allocations':>13}{'time':>11}{'time ratio':>12}")
    for label, seconds, events, allocations in (
        ("baseline", small_report, small_log, args.allocations),
        (f"{events_ratio:.1f}x events", big_report, big_log, args.allocations),
        (f"{allocations_ratio:.1f}x allocations", many_report, many_log, len(writer.allocations)),
    ):
        print(f"  {label:<18}{events:>9,}{allocations:>13}{seconds * 1000:>8.2f} ms"
              f"{seconds / small_report:>11.2f}x")


def _rate(seconds: float, events: int) -> str:
    return f"{seconds:>9.2f}s {events / seconds:>8,.0f} ev/s"


if __name__ == "__main__":
    main()
