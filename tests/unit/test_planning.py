"""The planning report's pure parts (projections/reports/planning.py): a month's figures
per member from the team, the allocations and the units used; the months of a range;
its CSV rows, neutralised like every report's."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal
from types import SimpleNamespace

from projections.reports.planning import committed_by_provider, planning_month
from projections.reports.tables import PLANNING_COLUMNS, planning_rows, to_csv
from service.domain.calendar import Month, months_between

# March 2026 begins on a Sunday and has 22 working days; April 2026 has 22.
MARCH = Month(2026, 3)


def member(fte: str, since: date = date(2026, 1, 1), departed_on: date | None = None):
    return SimpleNamespace(capacity_history=[(since, Decimal(fte))], departed_on=departed_on)


def allocation(start, end, units, provider=None, cancelled_on=None):
    return {
        "start_date": start.isoformat(),
        "end_date": end.isoformat(),
        "units": units,
        "provider": provider,
        "cancelled_on": cancelled_on.isoformat() if cancelled_on else None,
    }


def test_a_month_per_member_with_the_team_totals():
    members = {"ana": member("0.5"), "ben": member("1.0"), "cy": member("1.0")}
    allocations = [
        # 44 working days over March and April: 22 in March
        allocation(date(2026, 3, 1), date(2026, 4, 30), 44, "ana"),
        # cancelled on Wednesday 11 March: 2-10 March, 7 of 22 working days
        allocation(date(2026, 3, 1), date(2026, 3, 31), 22, "ben", date(2026, 3, 11)),
        # a provider who is no member (or has left): listed with no capacity
        allocation(date(2026, 3, 2), date(2026, 3, 6), 40, "dee"),
        allocation(date(2026, 3, 1), date(2026, 3, 31), 5),
    ]
    month = planning_month(MARCH, members, allocations, {"ana": 4, "eve": 1})
    assert month["month"] == "2026-03"
    rows = {row["handle"]: row for row in month["members"]}
    assert list(rows) == ["ana", "ben", "cy", "dee", "eve"]
    assert rows["ana"] == {
        "handle": "ana",
        "capacity_units": 88.0,
        "committed_units": 22.0,
        "used_units": 4,
        "free_units": 66.0,
    }
    assert (rows["ben"]["committed_units"], rows["ben"]["free_units"]) == (7.0, 169.0)
    assert (rows["cy"]["committed_units"], rows["cy"]["free_units"]) == (0.0, 176.0)
    assert rows["dee"] == {
        "handle": "dee",
        "capacity_units": 0.0,
        "committed_units": 40.0,
        "used_units": 0,
        "free_units": -40.0,
    }
    assert rows["eve"]["used_units"] == 1 and rows["eve"]["capacity_units"] == 0.0
    assert month["no_provider"] == {"committed_units": 5.0}
    assert month["totals"] == {
        "capacity_units": 440.0,
        "committed_units": 74.0,
        "used_units": 5,
        "free_units": 366.0,
        "committed_fraction": round(74 / 440, 4),
    }


def test_a_member_without_capacity_commitments_or_work_is_left_out():
    members = {"ana": member("0.5", departed_on=date(2026, 2, 1)), "ben": member("1.0")}
    month = planning_month(MARCH, members, [], {})
    assert [row["handle"] for row in month["members"]] == ["ben"]
    assert month["no_provider"] == {"committed_units": 0.0}


def test_committed_units_per_provider_add_up_and_leave_out_nothing_committed():
    rows = [
        allocation(date(2026, 3, 1), date(2026, 3, 31), 22, "ana"),
        allocation(date(2026, 3, 1), date(2026, 3, 31), 22, "ben", date(2026, 3, 1)),
        allocation(date(2026, 3, 7), date(2026, 3, 8), 2, "cy"),  # a weekend: its days
    ]
    assert committed_by_provider(rows, MARCH) == {"ana": Decimal(22), "cy": Decimal(2)}


def test_the_months_of_a_range():
    assert months_between(Month(2025, 11), Month(2026, 2)) == [
        Month(2025, 11),
        Month(2025, 12),
        Month(2026, 1),
        Month(2026, 2),
    ]
    assert months_between(Month(2026, 2), Month(2026, 1)) == []
    assert len(months_between(Month(2025, 1), Month(2026, 12))) == 24


def test_csv_rows_per_member_and_month_with_the_allocations_without_provider():
    report = {
        "from": "2026-03",
        "to": "2026-04",
        "months": [
            planning_month(
                MARCH,
                {"=cmd|' /C calc'!A0": member("1.0")},
                [allocation(date(2026, 3, 1), date(2026, 3, 31), 5)],
                {},
            ),
            planning_month(Month(2026, 4), {}, [], {}),
        ],
    }
    text = to_csv(PLANNING_COLUMNS, planning_rows(report))
    rows = list(csv.DictReader(io.StringIO(text)))
    # A handle starting a formula is neutralised (OWASP "CSV Injection"); numbers bare.
    assert rows == [
        {
            "month": "2026-03",
            "kind": "member",
            "handle": "'=cmd|' /C calc'!A0",
            "capacity_units": "176.0",
            "committed_units": "0.0",
            "used_units": "0",
            "free_units": "176.0",
        },
        {
            "month": "2026-03",
            "kind": "no_provider",
            "handle": "",
            "capacity_units": "",
            "committed_units": "5.0",
            "used_units": "",
            "free_units": "",
        },
    ]
