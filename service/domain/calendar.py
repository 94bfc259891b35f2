"""The calendar: months (`YYYY-MM`), working days, the FTE in force on a day, and the
arithmetic the reports, the pages and the write side rest on, as pure functions (no
I/O), so each rule is stated once and tested on its own.

- A month is written `YYYY-MM` in ASCII digits: `Month.parse` is the one reading of it,
  `str(month)` the one writing.
- An activity counts in the month of its last day (`date_to`).
- A member's capacity in a month is, for each working day (Monday to Friday), 8 units
  times the FTE in force that day: a change of FTE, a start or a departure in the
  middle of a month counts from its day, and never rewrites earlier months.
- An allocation commits to a month the share of its units that the month's working
  days are of the working days of its period (8 units over a quarter of 65 working days
  commit 8 × 22 / 65 = 2.71 to a month holding 22 of them); a cancelled allocation only
  the working days before the day it was cancelled (that day and the rest are
  released): BD compares this with the team's capacity, counted on the same working
  days, to see whether a new commitment fits.
- A report is judged on its day: the month's last day, or today when that is earlier
  (the month under way, or one not begun): a report never looks at a day to come.
- A provider is silent in a month only over days of their allocation's period in it that
  have passed (before today, before its cancellation); no grace beyond that.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from service.domain.balance import LATE_AFTER_DAYS

UNITS_PER_DAY = 8
MONTH_OF_YEAR = "(0[1-9]|1[0-2])"
MONTH_PATTERN = re.compile(rf"([0-9]{{4}})-{MONTH_OF_YEAR}")
"""`YYYY-MM`, matched whole (`fullmatch`): ASCII digits only, as the documents state
it; Python's `\\d` and `$` would also take other scripts' digits and a trailing newline."""


@dataclass(frozen=True, order=True)
class Month:
    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> Month:
        """`YYYY-MM`, as the report routes take it and closed months are stored."""
        match = MONTH_PATTERN.fullmatch(text)
        if not match:
            raise ValueError(f"{text!r} is not a month in the form YYYY-MM")
        return cls(int(match[1]), int(match[2]))

    @classmethod
    def of(cls, day: date) -> Month:
        return cls(day.year, day.month)

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def last_day(self) -> date:
        return self.next().first_day - timedelta(days=1)

    def next(self) -> Month:
        return Month(self.year + self.month // 12, self.month % 12 + 1)

    def days(self) -> Iterator[date]:
        day = self.first_day
        while day.month == self.month:
            yield day
            day += timedelta(days=1)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


def months_between(first: Month, last: Month) -> list[Month]:
    """`first` to `last`, both included (none when `last` is before `first`)."""
    months, month = [], first
    while month <= last:
        months.append(month)
        month = month.next()
    return months


def month_count(first: Month, last: Month) -> int:
    """How many months `first` to `last` spans, both included (0 or less: none)."""
    return (last.year - first.year) * 12 + last.month - first.month + 1


def add_months(month: Month, count: int) -> Month:
    index = month.year * 12 + month.month - 1 + count
    return Month(index // 12, index % 12 + 1)


def month_of(day: date) -> str:
    """The month an activity counts in, given its last day."""
    return str(Month.of(day))


def utc_month_of(moment: datetime) -> str:
    return month_of(moment.astimezone(UTC).date())


def is_working_day(day: date) -> bool:
    """Monday to Friday; public holidays differ by country and are not subtracted."""
    return day.weekday() < 5


def working_days(month: Month) -> list[date]:
    return [day for day in month.days() if is_working_day(day)]


def fte_on(history: Sequence[tuple[date, Decimal]], departed_on: date | None, day: date) -> Decimal:
    """The FTE in force on `day`: that of the latest change effective on or before it,
    zero before the first and from the day of departure on."""
    if departed_on is not None and day >= departed_on:
        return Decimal(0)
    current = Decimal(0)
    for effective, fte in sorted(history):
        if effective <= day:
            current = fte
    return current


def capacity_units(
    history: Sequence[tuple[date, Decimal]], departed_on: date | None, month: Month
) -> Decimal:
    """8 units per working day, times the FTE in force that day."""
    return sum(
        (UNITS_PER_DAY * fte_on(history, departed_on, day) for day in working_days(month)),
        Decimal(0),
    )


def average_fte(
    history: Sequence[tuple[date, Decimal]], departed_on: date | None, month: Month
) -> Decimal:
    """The FTE that, held all month, gives the same capacity."""
    days = working_days(month)
    if not days:
        return Decimal(0)
    return capacity_units(history, departed_on, month) / (UNITS_PER_DAY * len(days))


def overlaps(start: date, end: date, month: Month) -> bool:
    return start <= month.last_day and end >= month.first_day


def active_in(start: date, end: date, cancelled_on: date | None, month: Month) -> bool:
    """An allocation is active in a month when its period overlaps the month and it
    was not cancelled before the month began."""
    return overlaps(start, end, month) and (cancelled_on is None or cancelled_on > month.first_day)


def has_passed_days_in(
    start: date, end: date, cancelled_on: date | None, month: Month, today: date
) -> bool:
    """Whether a day of the allocation's period in `month` has passed by `today`: a day
    before today, before the day it was cancelled. Its provider can be silent in the
    month only over such days (the late report's rule): a day to come, today included
    (it is not over), never makes anyone silent, so an allocation starting later in the
    month lists no one until its first day is over."""
    first = max(start, month.first_day)
    last = min(end, month.last_day, today - timedelta(days=1))
    if cancelled_on is not None:
        last = min(last, cancelled_on - timedelta(days=1))
    return first <= last


def working_day_count(first: date, last: date) -> int:
    """The working days (Monday to Friday) from `first` to `last`, both included."""
    if last < first:
        return 0
    weeks, rest = divmod((last - first).days + 1, 7)
    start = first.weekday()
    return weeks * 5 + sum(1 for offset in range(rest) if (start + offset) % 7 < 5)


def committed_units(
    start: date, end: date, units: int, month: Month, cancelled_on: date | None = None
) -> Decimal:
    """The share of an allocation's units committed to `month`: its units spread evenly
    over the working days of its period, the month taking those falling in it. A
    cancelled allocation commits only its working days before the day of cancellation:
    from that day on, no work is accepted on it, so its hours are free again (this is
    `active_in`'s rule too: cancelled on a month's first day, it is not active in it).
    A period with no working day at all (a weekend) spreads its units over its calendar
    days instead, so that every allocation commits its units somewhere."""
    counted_to = end if cancelled_on is None else min(end, cancelled_on - timedelta(days=1))
    first, last = max(start, month.first_day), min(counted_to, month.last_day)
    if last < first:
        return Decimal(0)
    period = working_day_count(start, end)
    if period == 0:
        return Decimal(units) * ((last - first).days + 1) / ((end - start).days + 1)
    return Decimal(units) * working_day_count(first, last) / period


def report_day(month: Month, today: date) -> date:
    """The day a report judges a month on (balances, status, pace): the month's last day
    once it is over, today while it runs and also before it begins. A report never
    looks at a day to come: December's report read in November shows where December's
    allocations stand today (those not begun `upcoming`, their pace 0 used against 0
    elapsed), not as if 1 December had come. Its activities and units used in the
    month are still December's (none yet)."""
    return min(today, month.last_day)


def days_late(date_to: date, recorded_on: date) -> int:
    """Days past the 14-day window for recording; positive only for late entries."""
    return (recorded_on - date_to).days - LATE_AFTER_DAYS


def ratio(part: Decimal | int, whole: Decimal | int, places: int = 4) -> float | None:
    """part ÷ whole rounded, or None when there is no whole to divide by."""
    if not whole:
        return None
    return round(float(Decimal(part) / Decimal(whole)), places)


def total(values: Iterable[Decimal | int]) -> Decimal:
    return sum((Decimal(v) for v in values), Decimal(0))
