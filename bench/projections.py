"""Read-model benchmark: rebuilding a view costs time in proportion to the event log,
and a monthly report costs time in proportion to the allocations it shows, not to
the length of the log. Each figure is printed beside a baseline measured in the same
run on the same machine, as a ratio, since absolute times on a shared machine say
little.

    .venv/bin/python -m bench.projections                       # SQLite file in a temp dir
    .venv/bin/python -m bench.projections --database-url postgresql://postgres@127.0.0.1/bench
    .venv/bin/python -m bench.projections --events 100000 --baseline-events 25000

The run writes one log in three steps and replays each state into views of its own:
1. baseline: `--baseline-events` events on `--allocations` allocations (activities
   with corrections and retractions over 24 months, 20 per allocation in the
   report's month); each view is rebuilt, timed;
2. 4x allocations: three times as many again, each with 20 activities in the month;
3. grown log: the log grown to `--events` events, on the first allocations and
   outside the report's month; each view is rebuilt, timed (expect ×4 time for ×4
   events: the same events per second).
Then the monthly report is timed on each state in turn: expect up to ×4 from 1 to 2
(the allocations it shows), ×1 from 2 to 3 (the same allocations and months, a
longer log): a report reads per-allocation monthly sums, never the events. Last, the
report on the grown log as of the position where state 2 ended (`as_of_position`):
the same figures as state 2's report (checked), in about the same time (×1: it reads
the versions valid then, by key, however long their history has grown).

A PostgreSQL URL gets a fresh schema, a SQLite run a temporary folder; both are
removed at the end.
"""

from __future__ import annotations

import argparse
import gc
import random
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import psycopg

from projections import NAMES, Projections
from projections.engine.calendar import Month
from projections.engine.rebuild import rebuild
from projections.reports import monthly_report
from service.application import FixedClock, Ledger
from service.domain import Allocation
from service.infra.store import persistence_environment

TODAY = date(2026, 1, 1)  # the log's "today": a fixed calendar, whatever the run date
FIRST_DAY = date(2024, 1, 1)
LAST_DAY = date(2025, 12, 31)
REPORT_MONTH = Month(2025, 6)
MEMBERS = ("ana", "ben", "cat", "dev", "eve")
REPORT_REPEATS = 25
REPORT_VIEWS = ("balances", "activities", "usage")


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
                actor="bench",
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
                    actor="bench",
                ).value
            _, project_id = self.ledger.define_project(
                engagement.id, name=f"P{n}", outcome="o", actor="bench"
            ).value
            made.append(
                self.ledger.grant_allocation(
                    project_id,
                    start_date=FIRST_DAY,
                    end_date=LAST_DAY,
                    units=10_000,
                    description=f"A{n}",
                    provider=self.random.choice(MEMBERS),
                    actor="bench",
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


def time_rebuilds(states: list[State]) -> dict[str, dict[str, float]]:
    """Seconds to rebuild each view of each state (up to that state's position in the
    log), the states taken in turn view by view, so that a shift in the machine's load
    hits them alike."""
    seconds: dict[str, dict[str, float]] = {state.label: {} for state in states}
    for name in NAMES:
        for state in states:
            started = time.perf_counter()
            rebuild(state.projections, name, until=state.events)
            seconds[state.label][name] = time.perf_counter() - started
    return seconds


def time_reports(states: dict[str, tuple[Projections, int | None]]) -> dict[str, float]:
    """Seconds of a monthly report (all engagements) on each state, best of several
    runs taken in turn, so that a shift in the machine's load hits every state alike;
    the garbage collector is paused as `timeit` does (a collection's cost follows all
    the process holds, not the report)."""
    best = dict.fromkeys(states, float("inf"))
    gc.collect()
    for _ in range(REPORT_REPEATS):
        for label, (projections, as_of) in states.items():
            gc.disable()
            try:
                started = time.perf_counter()
                report = monthly_report(projections, REPORT_MONTH, TODAY, as_of=as_of)
                best[label] = min(best[label], time.perf_counter() - started)
            finally:
                gc.enable()
            assert report["engagements"], "the report should show something"
    return best


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
    parser.add_argument("--baseline-events", type=int, default=25_000)
    parser.add_argument("--allocations", type=int, default=50)
    args = parser.parse_args(argv)

    env, drop = store(args.database_url)
    ledger = Ledger(env=env, clock=FixedClock(TODAY))
    try:
        run(ledger, args)
    finally:
        ledger.close()
        drop()


def run(ledger: Ledger, args: Any) -> None:
    """Three states of one log, each replayed into its own set of views (a table
    prefix), so all three can be read side by side at the end."""
    store_name = "PostgreSQL" if "POSTGRES_DBNAME" in ledger.env else "SQLite"
    print(f"Read-model benchmark on {store_name}; report month {REPORT_MONTH}\n")
    writer = LogWriter(ledger)
    log = Projections(ledger, names=())

    first = writer.grant(args.allocations)
    writer.activities(
        first, args.baseline_events - log.head() - 20 * len(first), writer.day_outside_report_month
    )
    writer.activities(first, 20 * len(first), writer.day_in_report_month)
    small = State("baseline", ledger, "s_", NAMES, len(writer.allocations))

    more = writer.grant(3 * args.allocations)
    writer.activities(more, 20 * len(more), writer.day_in_report_month)
    many = State("4x allocations", ledger, "m_", REPORT_VIEWS, len(writer.allocations))

    # Longer history for the first allocations, which already have activity in every
    # month: the allocations and months a report reads stay as they were.
    writer.activities(first, args.events - log.head(), writer.day_outside_report_month)
    grown = State("4x allocations, grown log", ledger, "g_", NAMES, len(writer.allocations))
    for name in REPORT_VIEWS:
        rebuild(many.projections, name, until=many.events)
    rebuilds = time_rebuilds([small, grown])
    small_rebuild, grown_rebuild = rebuilds[small.label], rebuilds[grown.label]

    for state in (small, many, grown):
        print(f"  {state.label:<26}{state.events:>9,} events {state.allocations:>5} allocations")
    ratio = grown.events / small.events
    print(f"\nRebuilding each view from the whole log, {ratio:.2f}x the events the second time:")
    print(f"  {'view':<11}{small.events:>17,} events{grown.events:>17,} events{'time ratio':>12}")
    for name in NAMES:
        before, after = small_rebuild[name], grown_rebuild[name]
        print(
            f"  {name:<11}{_rate(before, small.events)}{_rate(after, grown.events)}"
            f"{after / before:>11.2f}x"
        )
    before, after = sum(small_rebuild.values()), sum(grown_rebuild.values())
    blank = ""
    print(
        f"  {'all views':<11}{before:>9.2f}s {blank:>13}{after:>9.2f}s {blank:>13}"
        f"{after / before:>11.2f}x"
    )

    as_of = f"grown log, as of {many.events:,}"
    timings = time_reports(
        {s.label: (s.projections, None) for s in (small, many, grown)}
        | {as_of: (grown.projections, many.events)}
    )
    print(f"\nMonthly report for {REPORT_MONTH} (best of {REPORT_REPEATS}, taken in turn):")
    for state, baseline, what in (
        (many, small, f"{many.allocations / small.allocations:.1f}x the allocations"),
        (grown, many, f"{grown.events / many.events:.1f}x the events"),
    ):
        seconds, reference = timings[state.label], timings[baseline.label]
        print(
            f"  {state.label:<26}{seconds * 1000:7.2f} ms vs {baseline.label:<16}"
            f"{reference * 1000:7.2f} ms: {seconds / reference:5.2f}x for {what}"
        )
    then = monthly_report(grown.projections, REPORT_MONTH, TODAY, as_of=many.events)
    assert then == monthly_report(many.projections, REPORT_MONTH, TODAY), "as_of differs"
    seconds, reference = timings[as_of], timings[many.label]
    print(
        f"  {as_of:<26}{seconds * 1000:7.2f} ms vs {many.label:<16}"
        f"{reference * 1000:7.2f} ms: {seconds / reference:5.2f}x, the same figures"
    )


class State:
    """The log as it stood at one point, replayed into views of its own."""

    def __init__(self, label: str, ledger: Ledger, namespace: str, names: tuple, allocations: int):
        self.label = label
        self.projections = Projections(ledger, namespace=namespace, names=names)
        self.events = self.projections.head()
        self.allocations = allocations


def _rate(seconds: float, events: int) -> str:
    return f"{seconds:>9.2f}s {events / seconds:>8,.0f} ev/s"


if __name__ == "__main__":
    main()
