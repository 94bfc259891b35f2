"""The periods of an allocation series (service/domain/series.py), without a store:
calendar periods from a 1st, same-length periods from any other day, always
consecutive; labels; derived ids."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest

from service.domain import RuleViolation
from service.domain.series import (
    LABEL_ROOM,
    MAX_COUNT,
    add_months,
    series_allocation_id,
    series_description,
    series_periods,
)


def spans(start: date, every: str, count: int) -> list[tuple[str, str, str]]:
    return [
        (p.start_date.isoformat(), p.end_date.isoformat(), p.label)
        for p in series_periods(start, every, count)
    ]


def test_quarters_from_the_first_of_january_are_the_calendar_quarters():
    assert spans(date(2027, 1, 1), "quarter", 4) == [
        ("2027-01-01", "2027-03-31", "2027-Q1"),
        ("2027-04-01", "2027-06-30", "2027-Q2"),
        ("2027-07-01", "2027-09-30", "2027-Q3"),
        ("2027-10-01", "2027-12-31", "2027-Q4"),
    ]


def test_months_from_a_first_are_calendar_months_across_a_year_end():
    assert spans(date(2027, 11, 1), "month", 4) == [
        ("2027-11-01", "2027-11-30", "2027-11"),
        ("2027-12-01", "2027-12-31", "2027-12"),
        ("2028-01-01", "2028-01-31", "2028-01"),
        ("2028-02-01", "2028-02-29", "2028-02"),
    ]


def test_years_from_the_first_of_january_are_calendar_years():
    assert spans(date(2027, 1, 1), "year", 2) == [
        ("2027-01-01", "2027-12-31", "2027"),
        ("2028-01-01", "2028-12-31", "2028"),
    ]


def test_whole_months_that_are_no_calendar_quarter_or_year_are_labelled_by_their_months():
    assert spans(date(2027, 2, 1), "quarter", 2) == [
        ("2027-02-01", "2027-04-30", "2027-02 to 2027-04"),
        ("2027-05-01", "2027-07-31", "2027-05 to 2027-07"),
    ]
    assert spans(date(2027, 7, 1), "year", 1) == [
        ("2027-07-01", "2028-06-30", "2027-07 to 2028-06")
    ]


def test_an_unaligned_start_gives_periods_of_the_same_length_from_that_day():
    assert spans(date(2027, 1, 15), "quarter", 3) == [
        ("2027-01-15", "2027-04-14", "2027-01-15 to 2027-04-14"),
        ("2027-04-15", "2027-07-14", "2027-04-15 to 2027-07-14"),
        ("2027-07-15", "2027-10-14", "2027-07-15 to 2027-10-14"),
    ]


def test_a_short_month_takes_its_last_day_without_shifting_the_rest_of_the_series():
    """Each period is reckoned from the start date: after 28 February the series
    returns to the 31st (or the month's last day), it does not stay on the 28th."""
    assert [(s, e) for s, e, _ in spans(date(2027, 1, 31), "month", 4)] == [
        ("2027-01-31", "2027-02-27"),
        ("2027-02-28", "2027-03-30"),
        ("2027-03-31", "2027-04-29"),
        ("2027-04-30", "2027-05-30"),
    ]
    assert [(s, e) for s, e, _ in spans(date(2028, 2, 29), "year", 2)] == [
        ("2028-02-29", "2029-02-27"),
        ("2029-02-28", "2030-02-27"),
    ]


@pytest.mark.parametrize("every", ["month", "quarter", "year"])
def test_periods_are_consecutive_and_never_empty_from_any_start(every):
    start = date(2027, 1, 1)
    for offset in range(0, 731):
        first = start + timedelta(days=offset)
        periods = series_periods(first, every, 13)
        assert periods[0].start_date == first
        for before, after in zip(periods, periods[1:], strict=False):
            assert before.end_date + timedelta(days=1) == after.start_date
        assert all(p.start_date <= p.end_date for p in periods)
        assert [p.index for p in periods] == list(range(13))


def test_add_months_keeps_the_day_or_takes_the_months_last():
    assert add_months(date(2027, 11, 30), 3) == date(2028, 2, 29)
    assert add_months(date(2027, 5, 31), 1) == date(2027, 6, 30)
    assert add_months(date(2027, 12, 15), 12) == date(2028, 12, 15)
    assert add_months(date(2027, 3, 10), 0) == date(2027, 3, 10)


@pytest.mark.parametrize(
    "every, count, field",
    [
        ("week", 4, "every"),
        ("month", 0, "count"),
        ("month", MAX_COUNT + 1, "count"),
        ("month", True, "count"),
        ("month", -1, "count"),
    ],
)
def test_a_bad_cadence_or_count_is_refused_naming_it(every, count, field):
    with pytest.raises(RuleViolation) as refused:
        series_periods(date(2027, 1, 1), every, count)
    assert refused.value.field == field


def test_the_longest_series_is_allowed():
    periods = series_periods(date(2027, 1, 1), "month", MAX_COUNT)
    assert periods[-1].end_date == date(2031, 12, 31)


def test_each_description_names_its_period():
    assert series_description("Community hours", "2027-Q1") == "Community hours — 2027-Q1"
    assert series_description("  ", "2027-Q1") == "2027-Q1"
    longest = series_description("", "2027-01-15 to 2027-04-14")
    assert len(" — " + longest) == LABEL_ROOM


def test_allocation_ids_follow_from_the_series_id_and_the_index():
    series = uuid.uuid4()
    ids = [series_allocation_id(series, k) for k in range(5)]
    assert len(set(ids)) == 5
    assert ids == [series_allocation_id(series, k) for k in range(5)]
    assert series_allocation_id(uuid.uuid4(), 0) not in ids
