"""The Plan page's per-provider committed units (projections/reports/planning.py, which
the page and the planning report share): the capacity report's rule, per provider,
adding up to the report's `units_committed`; and the months a page reads from its query."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from projections.reports import capacity_report
from projections.reports.planning import committed_by_provider
from service.domain.calendar import Month, add_months, month_count, months_between
from service.web.pages.planning import parse_month, rounded

MARCH = Month(2026, 3)


def allocation(start: date, end: date, units: int, provider=None, cancelled_on=None):
    """A row as the balances view holds it (dates as ISO text)."""
    return {
        "start_date": start.isoformat(),
        "end_date": end.isoformat(),
        "units": units,
        "provider": provider,
        "cancelled_on": cancelled_on.isoformat() if cancelled_on else None,
    }


def test_each_provider_commits_the_share_of_working_days_falling_in_the_month():
    # The rule changed (issue 12): units are spread over the allocation's working days
    # (Mon-Fri), not its calendar days, as capacity is counted on working days. So the
    # figures below changed from the share of calendar days (noted beside each).
    rows = [
        # 65 working days from 1 February to 3 May, 22 of them in March: 65 × 22 / 65 = 22
        # (by calendar days: 65 × 31 / 92 = 21.9)
        allocation(date(2026, 2, 1), date(2026, 5, 3), 65, "ana"),
        # entirely in March
        allocation(date(2026, 3, 10), date(2026, 3, 19), 8, "ana"),
        # 15 working days, 7 of them in March (by calendar days: half of 20, 7.5)
        allocation(date(2026, 3, 22), date(2026, 4, 10), 15, "ben"),
        allocation(date(2026, 3, 1), date(2026, 3, 31), 5),
    ]
    assert committed_by_provider(rows, MARCH) == {
        "ana": Decimal(30),
        "ben": Decimal(7),
        None: Decimal(5),
    }


def test_cancelled_allocations_count_only_their_working_days_before_the_cancellation():
    # The rule changed (issue 12): a cancelled allocation used to commit its whole
    # month's share when it was cancelled after the month began; now only the working
    # days before its cancellation day count. ben's, cancelled on Friday 6 March, holds
    # 4 of March's 22 working days (2-5 March): 22 × 4 / 22 = 4, no longer 22.
    rows = [
        allocation(date(2026, 3, 1), date(2026, 3, 31), 22, "ana", cancelled_on=date(2026, 3, 1)),
        allocation(date(2026, 3, 1), date(2026, 3, 31), 22, "ben", cancelled_on=date(2026, 3, 6)),
        # cancelled on Monday 2 March: only Sunday 1 March was before it, no working day
        allocation(date(2026, 3, 1), date(2026, 3, 31), 22, "dee", cancelled_on=date(2026, 3, 2)),
        allocation(date(2026, 1, 1), date(2026, 2, 28), 59, "cy"),  # before March
    ]
    assert committed_by_provider(rows, MARCH) == {"ben": Decimal(4)}


class _Views:
    """Just what `capacity_report` reads: no team, no usage, the allocations given."""

    def __init__(self, rows: list[dict[str, Any]]):
        self.rows = rows

    def view(self, name: str) -> Any:
        return self

    def members(self, as_of=None):
        return {}

    def by_member_in(self, month):
        return {}

    def allocations_overlapping(self, month, as_of=None):
        return [
            row
            for row in self.rows
            if row["start_date"] <= month.last_day.isoformat()
            and row["end_date"] >= month.first_day.isoformat()
        ]


DAYS = st.dates(min_value=date(2025, 12, 1), max_value=date(2026, 6, 30))


@st.composite
def allocations(draw):
    start = draw(DAYS)
    end = start + timedelta(days=draw(st.integers(0, 200)))
    cancelled = draw(st.one_of(st.none(), st.builds(lambda d: d, DAYS)))
    provider = draw(st.sampled_from(["ana", "ben", None]))
    return allocation(start, end, draw(st.integers(1, 500)), provider, cancelled)


@given(st.lists(allocations(), max_size=8))
def test_the_providers_shares_add_up_to_the_capacity_reports_units_committed(rows):
    report = capacity_report(_Views(rows), MARCH)
    overlapping = _Views(rows).allocations_overlapping(MARCH)
    by_provider = committed_by_provider(overlapping, MARCH)
    assert rounded(sum(by_provider.values(), Decimal(0))) == report["totals"]["units_committed"]


def test_months_of_a_range():
    assert months_between(Month(2025, 11), Month(2026, 2)) == [
        Month(2025, 11),
        Month(2025, 12),
        Month(2026, 1),
        Month(2026, 2),
    ]
    assert months_between(Month(2026, 2), Month(2026, 1)) == []
    assert month_count(Month(2025, 1), Month(2026, 12)) == 24
    assert add_months(Month(2025, 11), 2) == Month(2026, 1)
    assert add_months(Month(2026, 1), -1) == Month(2025, 12)


def test_a_month_is_read_as_the_report_routes_read_it():
    assert parse_month("2026-03", MARCH) == (MARCH, [])
    assert parse_month("", MARCH) == (MARCH, [])
    assert parse_month(None, MARCH) == (MARCH, [])
    for bad in ("2026-13", "x", "2026-3", "２０２６-03", "0000-01"):
        month, messages = parse_month(bad, MARCH)
        assert month == MARCH and messages, bad
