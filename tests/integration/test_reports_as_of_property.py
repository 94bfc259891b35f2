"""Property (docs/explanation/projections.md): for random histories, every report as of a
random position N equals the same report computed by a fresh set of views built from the log
truncated at N (`rebuild(..., until=N)`), with the same today: the UTC date of the event at
N.

The histories are the replay test's commands (grants, recordings, corrections,
retractions, amendments, cancellations, FTE changes, departures, the follower catching
up in batches of any size) plus days passing and engagement renames, on a clock that
moves, so that the today of a position, the lateness of an entry and the day of a
cancellation differ along the log. Each example has a store of its own (a SQLite file,
or a PostgreSQL schema), so a replay to N replays that example's events only.
Reproducible: derandomized, a fixed number of examples per store."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from projections import Projections
from projections.engine.follower import Follower
from projections.engine.rebuild import rebuild
from projections.reports import capacity_report, late_report, monthly_report
from projections.reports.as_of import day_at
from service.application import Ledger
from service.application.caller import Caller
from service.domain.calendar import Month
from service.infra.store import persistence_environment
from tests.support.clocks import SetClock, installed
from tests.support.dates import TODAY
from tests.support.postgres import admin_connection, postgres_url
from tests.support.stories import COMMANDS, Story

REPORT_VIEWS = ("balances", "activities", "usage", "team")
EXAMPLES = 40
POSTGRES_EXAMPLES = 8
PER_EXAMPLE = 5
"""positions N drawn per example"""


PROLOGUE = [
    ("grant", 0, 100, 150, 30),
    ("grant", 1, 20, 60, 12),
    ("record", 0, "ana", 3, 90, 1),
    ("wait", 3),
    ("record", 1, "ben", 5, 10, 0),
]
"""Two allocations with work on them, so that every example has figures to get wrong."""


def _chapters(chapters: list[tuple[list, int, int | None]]) -> list[tuple]:
    """After the prologue, each chapter: the replay test's commands, then days passing,
    then perhaps the engagement renamed."""
    commands: list[tuple] = list(PROLOGUE)
    for story, days, rename in chapters:
        commands += [*story, ("wait", days)]
        if rename is not None:
            commands.append(("rename", rename))
    return commands


AS_OF_COMMANDS = st.lists(
    st.tuples(COMMANDS, st.integers(0, 20), st.one_of(st.none(), st.integers(0, 9))),
    min_size=2,
    max_size=4,
).map(_chapters)


class AsOfStory(Story):
    def __init__(self, ledger: Ledger, clock: SetClock):
        super().__init__(ledger, tag="")
        self.clock = clock
        self.engagement_id = ledger.engagement_of_project(self.projects[0]).id

    def wait(self, days: int, served) -> None:
        self.clock.now += timedelta(days=days, hours=days % 5)

    def rename(self, n: int, served) -> None:
        self.ledger.update_engagement_details(
            self.engagement_id, changes={"name": f"E{n}", "community": f"C{n}"}, caller=Caller("t")
        )

    def months(self) -> list[Month]:
        """Every month the story's allocations and the clock have touched."""
        days = [TODAY, self.clock.today()]
        for made in self.allocations:
            allocation = self.ledger.allocation(made.id)
            days += [allocation.start_date, allocation.end_date]
        first, last = Month.of(min(days)), Month.of(max(days))
        months = [first]
        while months[-1] < last:
            months.append(months[-1].next())
        return months


def reports(
    views: Projections, months: list[Month], today: date, engagement_id: str, as_of: int | None
) -> dict[str, Any]:
    return {
        str(month): {
            "monthly": monthly_report(views, month, today, as_of=as_of),
            "engagement": monthly_report(views, month, today, engagement_id, as_of),
            "capacity": capacity_report(views, month, as_of),
            "late": late_report(views, month, today, as_of),
        }
        for month in months
    }


@pytest.fixture
def clock(monkeypatch) -> SetClock:
    return installed(monkeypatch, SetClock(datetime.now(UTC), ahead=timedelta(hours=14)))


@pytest.fixture
def stores(database_url, tmp_path):
    """A fresh store per example: a new SQLite file, or a new PostgreSQL schema."""
    count = itertools.count()

    @contextmanager
    def store() -> Iterator[str]:
        if database_url.startswith("sqlite"):
            yield f"sqlite:///{tmp_path}/example{next(count)}.sqlite3"
            return
        database = database_url.split("/")[-1].split("?")[0]
        schema = f"t_{uuid.uuid4().hex[:12]}"
        with admin_connection(database) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
        try:
            yield postgres_url(database, schema)
        finally:
            with admin_connection(database) as conn:
                conn.execute(f'DROP SCHEMA "{schema}" CASCADE')

    return store


def check_reports_as_of(stores, clock: SetClock, commands: list, data) -> None:
    clock.now = datetime.now(UTC)
    with stores() as url:
        ledger = Ledger(env=persistence_environment(url), clock=clock)
        try:
            story = AsOfStory(ledger, clock)
            served = Projections(ledger, names=REPORT_VIEWS)
            for command in commands:
                story.run(command, served)
            assert Follower(served).catch_up()
            head = served.head()
            replay = Projections(ledger, namespace="replay_", names=REPORT_VIEWS)
            months = story.months()
            positions = sorted(
                data.draw(st.lists(st.integers(0, head), min_size=1, max_size=PER_EXAMPLE))
            )
            for position in positions:
                for name in REPORT_VIEWS:
                    rebuild(replay, name, until=position)
                today = day_at(served, position) or clock.today()
                engagement_id = str(story.engagement_id)
                expected = reports(replay, months, today, engagement_id, None)
                assert reports(served, months, today, engagement_id, position) == expected, (
                    f"as of position {position} of {head}"
                )
        finally:
            ledger.close()


def test_a_report_as_of_a_position_equals_the_report_of_the_log_cut_there(
    database_url, stores, clock
):
    # Fewer examples on PostgreSQL: each costs a schema and its tables.
    examples = EXAMPLES if database_url.startswith("sqlite") else POSTGRES_EXAMPLES

    @settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(commands=AS_OF_COMMANDS, data=st.data())
    def check(commands, data):
        check_reports_as_of(stores, clock, commands, data)

    check()
