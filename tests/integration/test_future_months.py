"""One rule for the day a month is judged on (issue 12 point 10; docs/reference/reports.md):
the month's last day, or today when that is earlier. A past month is judged on its
last day, the month under way today, and a month not begun also today: a report never
looks at a day to come. December's report read on 20 November shows where December's
allocations stand on 20 November, the same figures as their balances that day; it
used to judge them on 1 December, as if that day had come (one then showed `behind`,
another `active` before it began).

Over HTTP on both stores, with the clock frozen at 20 November 2025:
- A: 1 October to 31 December 2025 (92 days), 92 units; 30 units on 14 October and
  10 on 10 November.
- B: December 2025 (31 days), 31 units, nothing recorded.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from tests.support.clocks import SetClock, installed


@pytest.fixture
def clock(monkeypatch) -> SetClock:
    return installed(monkeypatch, SetClock(datetime(2025, 9, 1, 9, tzinfo=UTC)))


def ok(response, status: int = 201) -> dict[str, Any]:
    assert response.status_code == status, response.get_json()
    return response.get_json()


@pytest.fixture
def story(api, clock) -> dict[str, str]:
    body = {
        "handle": "ana",
        "name": "Ana",
        "fte": "0.5",
        "line_manager": "lee",
        "effective_date": "2025-01-01",
    }
    ok(api.post("/api/team-members", body))
    engagement = ok(
        api.post(
            "/api/engagements",
            {
                "name": "Open Data Week",
                "community": "Open Data NL",
                "description": "support",
                "start_date": "2025-01-01",
                "end_date": "2025-12-31",
            },
        )
    )
    ids = {}
    for key, start, end, units in (
        ("A", "2025-10-01", "2025-12-31", 92),
        ("B", "2025-12-01", "2025-12-31", 31),
    ):
        project = ok(
            api.post(
                f"/api/engagements/{engagement['id']}/projects",
                {"name": f"Project {key}", "outcome": "shared goal"},
            )
        )
        body = {"start_date": start, "end_date": end, "units": units, "description": key}
        ids[key] = ok(api.post(f"/api/projects/{project['id']}/allocations", body))["id"]
    # 30 units over two days (a day holds 24 at most), 10 on one.
    for units, first, day in ((30, "2025-10-13", "2025-10-14"), (10, "2025-11-10", "2025-11-10")):
        clock.at(day)
        body = {"team_member": "ana", "units": units, "description": "work"}
        ok(
            api.post(
                f"/api/allocations/{ids['A']}/activities",
                {**body, "date_from": first, "date_to": day},
            )
        )
    clock.at("2025-11-20")
    return ids


FIGURES = ("units_used_month", "units_used_to_date", "percent_elapsed", "status", "pace")


def figures(api, month: str) -> dict[str, tuple]:
    report = ok(api.get("/api/reports/monthly", month=month), 200)
    return {
        allocation["description"]: tuple(allocation[name] for name in FIGURES)
        for engagement in report["engagements"]
        for project in engagement["projects"]
        for allocation in project["allocations"]
    }


def test_a_past_month_is_judged_on_its_last_day(api, story):
    # 31 October: 31 of A's 92 days (33.7%), 30 units used (32.6%).
    assert figures(api, "2025-10") == {"A": (30, 30, 33.7, "active", "on track")}


def test_the_current_month_is_judged_today(api, story):
    # 20 November: 51 of 92 days (55.4%), 40 units used (43.5%): within 15 points.
    assert figures(api, "2025-11") == {"A": (10, 40, 55.4, "active", "on track")}


def test_a_month_not_begun_is_judged_today_as_the_balances_are(api, story):
    # Judged on 20 November, not on 1 December: A stands as in November's report (on
    # 1 December, 62 of 92 days, 67.4%, would have made it `behind`); B has not begun:
    # `upcoming`, 0 used against 0% elapsed (on 1 December: `active`, 3.2% elapsed).
    december = figures(api, "2025-12")
    assert december == {
        "A": (0, 40, 55.4, "active", "on track"),
        "B": (0, 0, 0.0, "upcoming", "on track"),
    }
    for key in ("A", "B"):
        balance = ok(api.get(f"/api/allocations/{story[key]}"), 200)
        assert december[key][1:] == (
            balance["units_used"],
            balance["percent_elapsed"],
            balance["status"],
            balance["pace"],
        )


def test_as_the_month_begins_it_is_judged_on_each_day_and_the_past_on_its_last(api, story, clock):
    clock.at("2025-12-05")
    # 5 December: A at 66 of 92 days (71.7%) against 43.5% used, B at 5 of 31 (16.1%)
    # against nothing: both behind.
    assert figures(api, "2025-12") == {
        "A": (0, 40, 71.7, "active", "behind"),
        "B": (0, 0, 16.1, "active", "behind"),
    }
    # November is over: judged on 30 November, 61 of 92 days (66.3%).
    assert figures(api, "2025-11") == {"A": (10, 40, 66.3, "active", "behind")}
