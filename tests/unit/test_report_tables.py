"""Reports as CSV rows, and the monthly totals rule; pure functions, no I/O."""

import csv
import io
from datetime import UTC, date, datetime

from projections.reports.monthly import totals
from projections.reports.tables import (
    CAPACITY_COLUMNS,
    LATE_COLUMNS,
    MONTHLY_COLUMNS,
    capacity_rows,
    late_rows,
    monthly_rows,
    to_csv,
)

ALLOCATION = {
    "id": "a1",
    "description": "Q1, hours",
    "start_date": date(2024, 1, 1),
    "end_date": date(2024, 3, 31),
    "units_granted": 10,
    "units_used_month": 4,
    "units_used_to_date": 12,
    "units_remaining": -2,
    "percent_used": 120.0,
    "percent_elapsed": 65.9,
    "status": "exhausted",
    "pace": "ahead",
    "overrun": True,
    "activities": [{"id": "x"}],
}
MONTHLY = {
    "month": "2024-02",
    "engagements": [
        {
            "id": "e1",
            "name": "Open Data",
            "community": "ODN",
            "totals": {},
            "projects": [{"id": "p1", "name": "Docs", "allocations": [ALLOCATION]}],
        }
    ],
    "totals": {},
}


def parsed(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_monthly_csv_has_one_row_per_allocation_named_as_the_json_fields():
    text = to_csv(MONTHLY_COLUMNS, monthly_rows(MONTHLY))
    (row,) = parsed(text)
    assert text.splitlines()[0] == ",".join(MONTHLY_COLUMNS)
    assert row == {
        "month": "2024-02",
        "engagement_id": "e1",
        "engagement_name": "Open Data",
        "community": "ODN",
        "project_id": "p1",
        "project_name": "Docs",
        "id": "a1",
        "description": "Q1, hours",
        "start_date": "2024-01-01",
        "end_date": "2024-03-31",
        "units_granted": "10",
        "units_used_month": "4",
        "units_used_to_date": "12",
        "units_remaining": "-2",
        "percent_used": "120.0",
        "percent_elapsed": "65.9",
        "status": "exhausted",
        "pace": "ahead",
        "overrun": "true",
    }


def test_capacity_csv_has_one_row_per_member_and_blank_for_no_fraction():
    report = {
        "month": "2024-02",
        "members": [
            {
                "handle": "ana",
                "fte": 0.5,
                "capacity_units": 84.0,
                "units_used": 3,
                "fraction": 0.0357,
            },
            {"handle": "zed", "fte": 0.0, "capacity_units": 0.0, "units_used": 2, "fraction": None},
        ],
        "totals": {},
    }
    rows = parsed(to_csv(CAPACITY_COLUMNS, capacity_rows(report)))
    assert [(r["handle"], r["fraction"]) for r in rows] == [("ana", "0.0357"), ("zed", "")]


def test_late_csv_tells_late_activities_from_silent_members():
    report = {
        "month": "2024-02",
        "late": [
            {
                "activity_id": "x1",
                "allocation_id": "a1",
                "team_member": "ana",
                "line_manager": "lee",
                "date_to": date(2024, 1, 25),
                "recorded_at": datetime(2024, 2, 12, 12, tzinfo=UTC),
                "days_late": 4,
            }
        ],
        "silent_members": [{"handle": "ben", "line_manager": "lee", "allocation_id": "a4"}],
        "provider_departed": [
            {
                "allocation_id": "a5",
                "engagement_id": "e1",
                "project_id": "p1",
                "provider": "cat",
                "line_manager": "max",
                "departed_on": date(2024, 2, 1),
                "units_remaining": -2,
            }
        ],
    }
    late, silent, departed = parsed(to_csv(LATE_COLUMNS, late_rows(report)))
    assert (late["kind"], late["recorded_at"], late["days_late"]) == (
        "late",
        "2024-02-12T12:00:00+00:00",
        "4",
    )
    assert (
        silent["kind"],
        silent["team_member"],
        silent["allocation_id"],
        silent["activity_id"],
    ) == ("silent", "ben", "a4", "")
    assert (
        departed["kind"],
        departed["team_member"],
        departed["allocation_id"],
        departed["departed_on"],
        departed["units_remaining"],
    ) == ("provider_departed", "cat", "a5", "2024-02-01", "-2")


def test_totals_leave_out_the_grant_of_cancelled_allocations_but_not_their_use():
    active = {
        "status": "active",
        "units_granted": 10,
        "units_used_month": 2,
        "units_used_to_date": 5,
    }
    cancelled = {
        "status": "cancelled",
        "units_granted": 40,
        "units_used_month": 1,
        "units_used_to_date": 3,
    }
    assert totals([active, cancelled]) == {
        "units_granted": 10,
        "units_used_month": 3,
        "units_used_to_date": 8,
    }
