"""The calendar (service/domain/calendar.py): months, working days, capacity with FTE
history, commitments spread over a period, lateness; and that the write side and the
routes read months and FTE through it. Pure functions, no I/O."""

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import marshmallow as ma
import pytest

from service.domain.calendar import (
    Month,
    active_in,
    add_months,
    average_fte,
    capacity_units,
    committed_units,
    days_late,
    fte_on,
    has_passed_days_in,
    month_count,
    month_of,
    months_between,
    overlaps,
    ratio,
    report_day,
    utc_month_of,
    working_day_count,
    working_days,
)
from service.domain.errors import RuleViolation
from service.domain.period import require_month
from service.domain.team_member import TeamMember
from service.web.schemas.common import supported_month

FEB_2024 = Month(2024, 2)


@pytest.mark.parametrize(
    "text, first, last",
    [
        ("2024-02", date(2024, 2, 1), date(2024, 2, 29)),  # leap year
        ("2023-02", date(2023, 2, 1), date(2023, 2, 28)),
        ("2024-12", date(2024, 12, 1), date(2024, 12, 31)),
    ],
)
def test_a_month_knows_its_first_and_last_day(text, first, last):
    month = Month.parse(text)
    assert (month.first_day, month.last_day, str(month)) == (first, last, text)


@pytest.mark.parametrize("text", ["2024-13", "2024-00", "24-01", "2024-1", "2024-01-01", ""])
def test_a_month_must_be_written_yyyy_mm(text):
    with pytest.raises(ValueError):
        Month.parse(text)


@pytest.mark.parametrize("text", ["２０２４-03", "٢٠٢٤-03", "2024-03\n", " 2024-03", "2024-03 "])
def test_a_month_is_written_in_ascii_digits_and_nothing_else(text):
    """Python's `\\d` and `$` take other scripts' digits and a trailing newline; one
    month has one spelling."""
    with pytest.raises(ValueError):
        Month.parse(text)


def test_the_write_side_refuses_a_month_in_other_digits():
    with pytest.raises(RuleViolation):
        require_month("２０２４-03")
    require_month("2024-03")


def test_the_report_routes_name_a_month_in_other_digits():
    with pytest.raises(ma.ValidationError, match="in ASCII digits"):
        supported_month("２０２４-03")
    with pytest.raises(ma.ValidationError, match="in ASCII digits"):
        supported_month("2024-03\n")
    assert supported_month("2024-13") is None  # left to the pattern beside it
    with pytest.raises(ma.ValidationError, match="between 1970-01-01"):
        supported_month("1969-12")
    assert supported_month("2024-03") is None


def test_the_months_of_a_range_are_counted_as_they_are_listed():
    for first, last in ((Month(2025, 11), Month(2026, 2)), (Month(2026, 2), Month(2026, 1))):
        assert len(months_between(first, last)) == max(0, month_count(first, last))
    assert add_months(Month(2025, 12), 1) == Month(2025, 12).next()
    assert add_months(Month(2026, 1), -13) == Month(2024, 12)


def test_a_member_s_fte_is_the_calendar_s():
    member = TeamMember.register(
        handle="ana",
        name="Ana",
        line_manager="lee",
        fte=Decimal("0.5"),
        effective_date=date(2024, 1, 1),
        actor="test",
    )
    member.change_capacity(fte=Decimal("1"), effective_date=date(2024, 2, 15), actor="test")
    member.depart(effective_date=date(2024, 3, 16), actor="test")
    for day in (date(2023, 12, 31), date(2024, 2, 14), date(2024, 2, 15), date(2024, 3, 16)):
        assert member.fte_on(day) == fte_on(member.capacity_history, member.departed_on, day)


def test_december_is_followed_by_january():
    assert Month(2024, 12).next() == Month(2025, 1)


@pytest.mark.parametrize(
    "month, count",
    # Counted on a wall calendar: Jan 2024 starts on a Monday, Feb 2024 on a Thursday
    # and has 29 days, Mar 2024 starts on a Friday, Jun 2024 on a Saturday.
    [(Month(2024, 1), 23), (Month(2024, 2), 21), (Month(2024, 3), 21), (Month(2024, 6), 20)],
)
def test_working_days_are_monday_to_friday(month, count):
    days = working_days(month)
    assert len(days) == count
    assert all(day.weekday() < 5 for day in days)


def test_an_activity_counts_in_the_month_of_its_last_day():
    assert month_of(date(2024, 3, 1)) == "2024-03"
    # Recorded late on 1 March in Tokyo is still 29 February in UTC.
    tokyo = timezone(timedelta(hours=9))
    assert utc_month_of(datetime(2024, 3, 1, 8, 0, tzinfo=tokyo)) == "2024-02"


def test_fte_follows_its_history_and_is_zero_outside_membership():
    history = [(date(2024, 1, 1), Decimal("0.5")), (date(2024, 2, 15), Decimal("1"))]
    assert fte_on(history, None, date(2023, 12, 31)) == 0
    assert fte_on(history, None, date(2024, 2, 14)) == Decimal("0.5")
    assert fte_on(history, None, date(2024, 2, 15)) == Decimal("1")
    assert fte_on(history, date(2024, 3, 16), date(2024, 3, 15)) == Decimal("1")
    assert fte_on(history, date(2024, 3, 16), date(2024, 3, 16)) == 0


def test_capacity_is_eight_units_per_working_day_times_fte():
    assert capacity_units([(date(2024, 1, 1), Decimal("0.8"))], None, FEB_2024) == Decimal("134.4")


def test_a_change_of_fte_mid_month_counts_from_its_day():
    # 10 working days at 0.5 (1-14 Feb), 11 at 1.0 (15-29 Feb): 8 x (5 + 11) = 128.
    history = [(date(2024, 1, 1), Decimal("0.5")), (date(2024, 2, 15), Decimal("1.0"))]
    assert capacity_units(history, None, FEB_2024) == 128
    assert round(average_fte(history, None, FEB_2024), 4) == Decimal("0.7619")
    # January is not rewritten by February's change.
    assert capacity_units(history, None, Month(2024, 1)) == Decimal("0.5") * 8 * 23


def test_a_departure_ends_capacity_and_a_late_start_begins_it():
    full_time = [(date(2024, 1, 1), Decimal(1))]
    # Departing on Saturday 16 March: 11 working days (1-15 March) remain.
    assert capacity_units(full_time, date(2024, 3, 16), Month(2024, 3)) == 88
    # Joining on Thursday 15 February: 11 working days.
    assert capacity_units([(date(2024, 2, 15), Decimal(1))], None, FEB_2024) == 88
    assert capacity_units(full_time, date(2024, 1, 1), FEB_2024) == 0


def test_working_days_are_counted_between_two_days():
    assert working_day_count(date(2024, 1, 1), date(2024, 3, 31)) == 23 + 21 + 21
    assert working_day_count(date(2024, 2, 10), date(2024, 2, 11)) == 0  # a weekend
    assert working_day_count(date(2024, 2, 9), date(2024, 2, 12)) == 2  # Friday to Monday
    assert working_day_count(date(2024, 2, 12), date(2024, 2, 9)) == 0
    for month in (Month(2024, 1), FEB_2024, Month(2024, 6)):
        assert working_day_count(month.first_day, month.last_day) == len(working_days(month))


def test_an_allocation_commits_to_a_month_its_share_of_the_working_days():
    # 30 units over Q1 2024: 65 working days, 21 of them in February. (The rule
    # changed, issue 12: it was the share of calendar days, 30 × 29 / 91 = 9.56; now
    # 30 × 21 / 65 = 9.69, capacity being counted on working days too.)
    assert (
        committed_units(date(2024, 1, 1), date(2024, 3, 31), 30, FEB_2024) == Decimal(30) * 21 / 65
    )
    assert committed_units(date(2024, 2, 1), date(2024, 2, 29), 10, FEB_2024) == 10
    assert committed_units(date(2024, 3, 1), date(2024, 3, 31), 10, FEB_2024) == 0
    # Saturday 10 February: a period without a working day spreads over its days.
    assert committed_units(date(2024, 2, 10), date(2024, 2, 10), 3, FEB_2024) == 3
    assert committed_units(date(2024, 2, 10), date(2024, 2, 11), 4, FEB_2024) == 4


def test_a_cancelled_allocation_commits_only_its_working_days_before_the_cancellation():
    q1 = (date(2024, 1, 1), date(2024, 3, 31), 65)
    # Cancelled on Thursday 15 February: 10 working days of February (1-14) count, the
    # day of cancellation and the rest of the period are released.
    cancelled = date(2024, 2, 15)
    assert committed_units(*q1, Month(2024, 1), cancelled) == 23
    assert committed_units(*q1, FEB_2024, cancelled) == 10
    assert committed_units(*q1, Month(2024, 3), cancelled) == 0
    assert committed_units(*q1, FEB_2024, date(2024, 2, 1)) == 0  # cancelled as it began
    assert committed_units(*q1, Month(2024, 1), date(2023, 12, 20)) == 0  # before its start
    assert committed_units(*q1, FEB_2024, date(2024, 5, 1)) == 21  # after its end: no change


def test_activity_in_a_month_needs_an_overlap_and_no_earlier_cancellation():
    start, end = date(2024, 1, 15), date(2024, 4, 30)
    assert overlaps(start, end, FEB_2024)
    assert not overlaps(date(2024, 3, 1), end, FEB_2024)
    assert active_in(start, end, None, FEB_2024)
    assert active_in(start, end, date(2024, 2, 2), FEB_2024)  # cancelled during February
    assert not active_in(start, end, date(2024, 2, 1), FEB_2024)  # cancelled as it began
    assert not active_in(start, end, date(2024, 1, 20), FEB_2024)


def test_a_provider_is_judged_only_on_days_of_the_period_that_have_passed():
    start, end = date(2024, 2, 15), date(2024, 3, 14)
    assert not has_passed_days_in(start, end, None, FEB_2024, date(2024, 2, 10))  # to come
    assert not has_passed_days_in(start, end, None, FEB_2024, date(2024, 2, 15))  # not over
    assert has_passed_days_in(start, end, None, FEB_2024, date(2024, 2, 16))
    assert has_passed_days_in(start, end, None, FEB_2024, date(2024, 6, 1))  # a past month
    assert not has_passed_days_in(start, end, date(2024, 2, 15), FEB_2024, date(2024, 6, 1))
    assert not has_passed_days_in(start, end, None, Month(2024, 3), date(2024, 3, 1))


@pytest.mark.parametrize(
    "today, expected",
    [
        (date(2024, 4, 10), date(2024, 2, 29)),  # month over: its last day
        (date(2024, 2, 29), date(2024, 2, 29)),  # its last day: that day
        (date(2024, 2, 10), date(2024, 2, 10)),  # month under way: today
        # Month to come: today, no longer its first day (issue 12, point 10): a report
        # never judges on a day that has not come.
        (date(2024, 1, 10), date(2024, 1, 10)),
    ],
)
def test_a_report_is_taken_on_the_months_last_day_or_today_if_earlier(today, expected):
    assert report_day(FEB_2024, today) == expected


def test_days_late_count_past_the_fourteen_day_window():
    assert days_late(date(2024, 2, 1), date(2024, 2, 15)) == 0  # on the 14th day: on time
    assert days_late(date(2024, 2, 1), date(2024, 2, 16)) == 1
    assert days_late(date(2024, 1, 25), date(2024, 2, 12)) == 4


def test_ratio_rounds_and_has_no_answer_without_a_whole():
    assert ratio(11, Decimal(128)) == 0.0859
    assert ratio(5, 0) is None
