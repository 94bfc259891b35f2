"""Allocation series: the periods of recurring hours ("8 hours per quarter"), worked
out before anything is granted.

A series is one request that grants `count` consecutive allocations, each its own
budget: unused units are not carried over, which is what separate allocations give
for free (each has its own balance, status and pace). This module is only the
calendar arithmetic, so it can be checked without a store.

Period rule: period k runs from the start date moved on by k months, quarters or
years, to the day before period k + 1 begins. Moving on keeps the day of the month,
or takes the month's last day when the month is shorter (31 January + 1 month is
28 February); every period is reckoned from the start date, never from the previous
period, so a short month does not shift the rest of the series. Hence:

- a start on the 1st gives whole calendar months (quarters from 1 January, April,
  July or October are calendar quarters, years from 1 January calendar years);
- any other start gives periods of the same length from that day: quarterly from
  15 January is 15 January to 14 April, 15 April to 14 July, …

The periods are consecutive by construction (no gap, no overlap), so a series never
collides with itself; it may still collide with allocations the project already has,
which the engagement's schedule refuses as for a single grant.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from uuid import UUID, uuid5

from service.domain.calendar import Month
from service.domain.calendar import add_months as add_whole_months
from service.domain.errors import RuleViolation

# Months per period, by the name a client gives.
EVERY = {"month": 1, "quarter": 3, "year": 12}
# At most 60 periods: five years of monthly grants, more than any contract here runs,
# and it bounds the one atomic write (two events per period) that grants a series.
MAX_COUNT = 60
LABEL_SEPARATOR = " — "
# The longest label (two ISO dates) with its separator: room a description must leave.
LABEL_ROOM = len(LABEL_SEPARATOR + "2000-01-01 to 2000-12-31")


@dataclass(frozen=True)
class SeriesPeriod:
    """One period of a series: the allocation it becomes covers these days."""

    index: int
    start_date: date
    end_date: date
    label: str


def series_periods(start_date: date, every: str, count: int) -> list[SeriesPeriod]:
    """The `count` consecutive periods from `start_date` (see the module's rule)."""
    if every not in EVERY:
        raise RuleViolation(f"every must be one of {', '.join(EVERY)}", "every")
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_COUNT:
        raise RuleViolation(f"count must be a whole number from 1 to {MAX_COUNT}", "count")
    step = EVERY[every]
    starts = [add_months(start_date, k * step) for k in range(count + 1)]
    return [
        SeriesPeriod(
            index=k,
            start_date=starts[k],
            end_date=starts[k + 1] - timedelta(days=1),
            label=period_label(starts[k], starts[k + 1] - timedelta(days=1), every),
        )
        for k in range(count)
    ]


def add_months(day: date, months: int) -> date:
    """The same day `months` later, or the last day of that month when it is shorter."""
    month = add_whole_months(Month.of(day), months)
    return month.first_day.replace(day=min(day.day, month.last_day.day))


def period_label(start: date, end: date, every: str) -> str:
    """What a person calls the period: `2027-03`, `2027-Q1` or `2027` when it is a
    calendar month, quarter or year; `2027-02 to 2027-04` for other whole months;
    else its first and last days."""
    if start.day != 1:
        return f"{start.isoformat()} to {end.isoformat()}"
    if every == "month":
        return f"{start:%Y-%m}"
    if every == "quarter" and start.month % 3 == 1:
        return f"{start.year}-Q{start.month // 3 + 1}"
    if every == "year" and start.month == 1:
        return str(start.year)
    return f"{start:%Y-%m} to {end:%Y-%m}"


def series_description(description: str, label: str) -> str:
    """Each allocation's description names its period, so reports and statements,
    which list allocations by description, tell the periods apart."""
    if not description.strip():
        return label
    return f"{description}{LABEL_SEPARATOR}{label}"


def series_allocation_id(series_id: UUID, index: int) -> UUID:
    """The id of the series' allocation for period `index`. Derived, not random: a
    retried request (same series id) names the same allocations, which the event
    store then refuses to create twice; and anyone holding the series id can tell
    which allocations belong to it, though nothing more is stored."""
    return uuid5(series_id, f"allocation/{index}")
