"""Silent providers never judged on days to come (issue 21): a provider is silent in a
month only over days of their allocation's period, in that month, that have passed. An
allocation starting later this month, or the next of a series starting on the 15th,
lists nobody until its first day is over.

Calendar: 10 March 2025 is a Monday; the series runs from the 15th to the 14th."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from tests.support.clocks import SetClock, installed


@pytest.fixture
def clock(monkeypatch) -> SetClock:
    return installed(monkeypatch, SetClock(datetime(2025, 1, 2, 9, tzinfo=UTC)))


def ok(response, status: int = 201) -> dict[str, Any]:
    assert response.status_code == status, response.get_json()
    return response.get_json()


@pytest.fixture
def allocations(api, clock) -> dict[str, str]:
    """Ana's allocation from 20 March; Ben's series 15 Feb – 14 Mar, 15 Mar – 14 Apr, on
    the first of which he recorded work of 20 February (it counts in February)."""
    for handle in ("ana", "ben"):
        ok(
            api.post(
                "/api/team-members",
                {
                    "handle": handle,
                    "name": handle.title(),
                    "fte": "1",
                    "line_manager": "lee",
                    "effective_date": "2025-01-01",
                },
            )
        )
    engagement = ok(
        api.post(
            "/api/engagements",
            {
                "name": "Docs sprint",
                "community": "Open Docs",
                "description": "support",
                "start_date": "2025-01-01",
                "end_date": "2025-12-31",
            },
        )
    )["id"]

    def project(name: str) -> str:
        body = {"name": name, "outcome": "o"}
        return ok(api.post(f"/api/engagements/{engagement}/projects", body))["id"]

    def grant(project_id: str, start: str, end: str, provider: str) -> str:
        body = {"start_date": start, "end_date": end, "units": 20, "description": "d"}
        body["provider"] = provider
        return ok(api.post(f"/api/projects/{project_id}/allocations", body))["id"]

    series = project("Series")
    ids = {
        "ana": grant(project("Launch"), "2025-03-20", "2025-04-30", "ana"),
        "ben_feb": grant(series, "2025-02-15", "2025-03-14", "ben"),
        "ben_mar": grant(series, "2025-03-15", "2025-04-14", "ben"),
    }
    clock.at("2025-02-21")
    work = {"team_member": "ben", "units": 3, "description": "review"}
    ok(
        api.post(
            f"/api/allocations/{ids['ben_feb']}/activities",
            work | {"date_from": "2025-02-20", "date_to": "2025-02-20"},
        )
    )
    return ids


def silent_on(api, month: str) -> list[tuple[str, str]]:
    report = ok(api.get("/api/reports/late-activities", month=month), 200)
    return sorted((row["handle"], row["allocation_id"]) for row in report["silent_members"])


def test_an_allocation_starting_later_this_month_lists_no_one_before_it_begins(
    api, clock, allocations
):
    clock.at("2025-03-10")
    # Ben's February allocation ran 1-9 March with nothing of his counting in March.
    assert silent_on(api, "2025-03") == [("ben", allocations["ben_feb"])]


def test_the_first_day_of_an_allocation_is_not_judged_until_it_is_over(api, clock, allocations):
    clock.at("2025-03-15")
    assert silent_on(api, "2025-03") == [("ben", allocations["ben_feb"])]
    clock.at("2025-03-16")
    assert silent_on(api, "2025-03") == sorted(
        [("ben", allocations["ben_feb"]), ("ben", allocations["ben_mar"])]
    )


def test_once_begun_a_silent_provider_is_listed_and_a_past_month_keeps_them(
    api, clock, allocations
):
    clock.at("2025-03-21")
    assert ("ana", allocations["ana"]) in silent_on(api, "2025-03")
    clock.at("2025-05-02")
    assert silent_on(api, "2025-03") == sorted(
        [
            ("ana", allocations["ana"]),
            ("ben", allocations["ben_feb"]),
            ("ben", allocations["ben_mar"]),
        ]
    )


def test_a_month_not_begun_lists_no_one(api, clock, allocations):
    clock.at("2025-03-21")
    assert silent_on(api, "2025-04") == []
