"""Balance figures: status, pace and percentages."""

from datetime import date

import pytest

from service.domain.balance import balance, is_late, percent_elapsed

START, END = date(2026, 1, 1), date(2026, 1, 10)


@pytest.mark.parametrize(
    "on, used, cancelled, expected",
    [
        (date(2025, 12, 31), 0, False, "upcoming"),
        (date(2026, 1, 5), 3, False, "active"),
        (date(2026, 1, 5), 10, False, "exhausted"),
        (date(2026, 1, 11), 3, False, "completed"),
        (date(2026, 1, 5), 3, True, "cancelled"),
    ],
)
def test_status(on, used, cancelled, expected):
    assert (
        balance(start=START, end=END, units=10, used=used, cancelled=cancelled, on=on)["status"]
        == expected
    )


@pytest.mark.parametrize(
    "used, expected", [(5, "on track"), (7, "ahead"), (2, "behind"), (65 // 10, "on track")]
)
def test_pace_compares_units_used_with_time_elapsed(used, expected):
    # Day 5 of 10: 50 % elapsed; on track within ±15 points.
    assert (
        balance(start=START, end=END, units=10, used=used, cancelled=False, on=date(2026, 1, 5))[
            "pace"
        ]
        == expected
    )


def test_overrun_and_negative_remaining():
    figures = balance(start=START, end=END, units=10, used=12, cancelled=False, on=date(2026, 1, 5))
    assert (figures["overrun"], figures["units_remaining"], figures["percent_used"]) == (
        True,
        -2,
        120.0,
    )


def test_percent_elapsed_counts_both_ends():
    assert percent_elapsed(START, END, date(2026, 1, 1)) == 10.0
    assert percent_elapsed(START, END, date(2026, 1, 10)) == 100.0
    assert percent_elapsed(START, END, date(2025, 1, 1)) == 0.0


def test_late_means_more_than_14_days_after_the_last_day():
    assert not is_late(date(2026, 1, 1), date(2026, 1, 15))
    assert is_late(date(2026, 1, 1), date(2026, 1, 16))
