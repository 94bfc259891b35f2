"""What an engagement's totals are against a monthly report's (issue 21: the README said
they were equal; they are not). The relation, as docs/reference/reports.md states it:

- the engagement's totals (`GET /api/engagements/{id}`, its page) are of **every**
  allocation of the engagement: granted on those not cancelled, used on all of them,
  every activity recorded so far;
- a monthly report's totals are of the allocations whose period **overlaps the month**
  (granted on those not cancelled by the report's day), used to the **month's end**.

So they agree for a month that every allocation overlaps, with no work dated after it,
and not otherwise. Here, in 2025: A (January to March, 20 units), C (February, 5 units,
cancelled after one unit of work), B (May to June, 10 units); read on 1 July."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask

from tests.support.clocks import SetClock, installed
from tests.support.pages import signed_in_page


@pytest.fixture
def clock(monkeypatch) -> SetClock:
    return installed(monkeypatch, SetClock(datetime(2025, 1, 2, 9, tzinfo=UTC)))


def ok(response, status: int = 201) -> dict[str, Any]:
    assert response.status_code == status, response.get_json()
    return response.get_json()


@pytest.fixture
def engagement(api, clock) -> str:
    ok(
        api.post(
            "/api/team-members",
            {
                "handle": "ana",
                "name": "Ana",
                "fte": "1",
                "line_manager": "lee",
                "effective_date": "2025-01-01",
            },
        )
    )
    engagement_id = ok(
        api.post(
            "/api/engagements",
            {
                "name": "Docs year",
                "community": "Open Docs",
                "description": "support",
                "start_date": "2025-01-01",
                "end_date": "2025-12-31",
            },
        )
    )["id"]

    def grant(name: str, start: str, end: str, units: int) -> str:
        path = f"/api/engagements/{engagement_id}/projects"
        project = ok(api.post(path, {"name": name, "outcome": "o"}))["id"]
        body = {"start_date": start, "end_date": end, "units": units, "description": name}
        return ok(api.post(f"/api/projects/{project}/allocations", body))["id"]

    def record(allocation_id: str, day: str, units: int) -> None:
        clock.at(day)
        body = {"team_member": "ana", "units": units, "description": "work"}
        body |= {"date_from": day, "date_to": day}
        ok(api.post(f"/api/allocations/{allocation_id}/activities", body))

    a = grant("A", "2025-01-01", "2025-03-31", 20)
    c = grant("C", "2025-02-01", "2025-02-28", 5)
    b = grant("B", "2025-05-01", "2025-06-30", 10)
    record(a, "2025-01-10", 3)
    record(c, "2025-02-03", 1)
    ok(api.post(f"/api/allocations/{c}/cancellation", {"reason": "not needed"}))
    record(a, "2025-03-05", 4)
    record(b, "2025-05-12", 2)
    clock.at("2025-07-01")
    return engagement_id


def report_totals(api, engagement_id: str, month: str) -> dict[str, int]:
    query = {"month": month, "engagement_id": engagement_id}
    return ok(api.get("/api/reports/monthly", **query), 200)["totals"]


def test_the_engagements_totals_are_of_every_allocation_and_all_work(api, engagement):
    totals = ok(api.get(f"/api/engagements/{engagement}"), 200)["totals"]
    # Granted: A + B (C cancelled); used: 3 + 1 + 4 + 2, C's unit included.
    assert (totals["units_granted"], totals["units_used"], totals["units_remaining"]) == (
        30,
        10,
        20,
    )


@pytest.mark.parametrize(
    ("month", "granted", "used_to_date", "which"),
    [
        ("2025-01", 20, 3, "A"),
        ("2025-02", 20, 4, "A and C (cancelled: its unit used, not its grant)"),
        ("2025-03", 20, 7, "A, to the end of March"),
        ("2025-04", 0, 0, "none"),
        ("2025-06", 10, 2, "B"),
    ],
)
def test_a_monthly_reports_totals_are_of_the_allocations_overlapping_it_to_its_end(
    api, engagement, month, granted, used_to_date, which
):
    totals = report_totals(api, engagement, month)
    assert (totals["units_granted"], totals["units_used_to_date"]) == (granted, used_to_date), which


def test_the_pages_say_which_allocations_each_total_covers(app: Flask, api, engagement, make_token):
    page = signed_in_page(app, make_token("bd"))

    def words(html: str) -> str:
        return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))

    engagement_page = words(page.text(f"/engagements/{engagement}"))
    assert "every allocation of the engagement, cancelled ones' work included" in engagement_page
    report_page = words(page.text(f"/engagements/{engagement}/reports/2025-03"))
    assert "the allocations running in 2025-03, work to the month's end" in report_page
