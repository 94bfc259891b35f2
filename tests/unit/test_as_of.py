"""Reports as of a position, the parts that need no store: the history tables'
definitions (projections/engine/history.py) and the today of a position
(projections/reports/as_of.py), gaps in the log included."""

from __future__ import annotations

from datetime import UTC, date, datetime
from types import SimpleNamespace

import pytest

from projections.engine.freshness import PositionBeyondLog
from projections.engine.history import Versioned
from projections.reports.as_of import as_of_target, day_at

SUMS = Versioned("sums", key=("a", "month"), columns=("a", "month", "units"))


def test_a_history_keeps_the_chosen_columns_without_keys_and_with_both_stamps():
    current = (
        "a TEXT NOT NULL, month TEXT NOT NULL, units INTEGER NOT NULL, extra TEXT, "
        "valid_from BIGINT NOT NULL, PRIMARY KEY (a, month)"
    )
    assert SUMS.history_definitions(current) == (
        "a TEXT NOT NULL, month TEXT NOT NULL, units INTEGER NOT NULL, "
        "valid_from BIGINT NOT NULL, valid_to BIGINT NOT NULL"
    )
    assert Versioned("t", ("id",), ("id",)).history_definitions(
        "id TEXT PRIMARY KEY, valid_from BIGINT NOT NULL"
    ) == ("id TEXT, valid_from BIGINT NOT NULL, valid_to BIGINT NOT NULL")


def test_reading_as_of_takes_the_versions_valid_then_from_both_tables():
    sql = SUMS.rows_as_of("month = :month")
    assert "FROM {sums} WHERE valid_from <= :as_of AND (month = :month)" in sql
    assert "FROM {sums_history} WHERE valid_from <= :as_of AND valid_to > :as_of" in sql
    value = SUMS.value_as_of("units")
    assert "h.a = c.a AND h.month = c.month AND h.valid_to > :as_of" in value
    assert "ORDER BY h.valid_to LIMIT 1" in value


class Log:
    """A log with events at some positions only (PostgreSQL's sequence leaves gaps)."""

    def __init__(self, days: dict[int, date]):
        self.days = days
        self.queries = 0

    def select_notifications(self, start: int, limit: int, stop: int):
        self.queries += 1
        found = [p for p in sorted(self.days) if start <= p <= stop][:limit]
        return [SimpleNamespace(id=p) for p in found]

    def to_domain_event(self, notification):
        day = self.days[notification.id]
        return SimpleNamespace(timestamp=datetime(day.year, day.month, day.day, 23, tzinfo=UTC))

    def head(self) -> int:
        return max(self.days, default=0)


def views_over(log: Log):
    return SimpleNamespace(app=SimpleNamespace(recorder=log, mapper=log), head=log.head)


def test_the_today_of_a_position_is_the_day_of_its_event_or_of_the_last_before_it():
    log = Log({1: date(2025, 1, 1), 2: date(2025, 1, 3), 40: date(2025, 2, 1)})
    views = views_over(log)
    assert day_at(views, 2) == date(2025, 1, 3)
    assert day_at(views, 40) == date(2025, 2, 1)
    assert day_at(views, 39) == date(2025, 1, 3)  # a gap: the last event before it
    assert day_at(views, 0) is None  # the empty log has no day


def test_a_long_gap_costs_a_few_queries():
    log = Log({1: date(2025, 1, 1), 100_000: date(2025, 3, 1)})
    assert day_at(views_over(log), 99_999) == date(2025, 1, 1)
    assert log.queries <= 6


def test_a_position_beyond_the_log_is_refused_naming_the_parameter():
    views = views_over(Log({1: date(2025, 1, 1), 2: date(2025, 1, 2)}))
    assert as_of_target(views, 2, None) == 2
    assert as_of_target(views, 1, 2) == 2  # min_position asks for more: wait for it
    with pytest.raises(PositionBeyondLog) as refused:
        as_of_target(views, 3, None)
    assert refused.value.field == "as_of_position"
    assert str(refused.value) == "as_of_position 3 is beyond the end of the log (2)"
