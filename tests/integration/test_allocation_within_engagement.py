"""An allocation lies within its engagement's dates (issue 21): a grant, a series, an
amendment of the end date and an imported allocation outside them are refused (422,
naming the engagement's dates) and write nothing, by the one rule every path books
through (`Engagement.book_allocation`). An allocation already outside, from before the
rule (here: its engagement's dates narrowed since), still loads and takes work.

The engagement runs from 2027-01-01 to 2027-02-28 (a date far enough ahead that no
other rule about today meets it)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.csv_imports import csv_text, post_csv

DATES = "2027-01-01 to 2027-02-28"


def ok(response, status: int = 201) -> dict[str, Any]:
    assert response.status_code == status, response.get_json()
    return response.get_json()


@pytest.fixture
def engagement(api) -> dict[str, str]:
    opened = ok(
        api.post(
            "/api/engagements",
            {
                "name": "Winter docs",
                "community": "Open Docs",
                "description": "support",
                "start_date": "2027-01-01",
                "end_date": "2027-02-28",
            },
        )
    )
    project = ok(
        api.post(f"/api/engagements/{opened['id']}/projects", {"name": "Docs", "outcome": "o"})
    )
    return {"id": opened["id"], "project": project["id"]}


def grant_body(start: str, end: str) -> dict[str, Any]:
    return {"start_date": start, "end_date": end, "units": 10, "description": "hours"}


def refused(response, field: str) -> str:
    """The refusal's message for `field`, which names the engagement's dates."""
    assert response.status_code == 422, response.get_json()
    messages = response.get_json()["errors"][field]
    assert any(DATES in message for message in messages), messages
    return messages[0]


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        ("2027-01-01", "2027-03-31", "end_date"),
        ("2026-12-01", "2027-01-31", "start_date"),
        ("2026-11-01", "2026-12-31", "start_date"),
    ],
)
def test_a_grant_outside_the_engagement_is_refused_naming_its_dates(
    api, engagement, start, end, field
):
    before = api.log_size()
    response = api.post(
        f"/api/projects/{engagement['project']}/allocations", grant_body(start, end)
    )
    message = refused(response, field)
    assert "Winter docs" in message
    assert api.log_size() == before


def test_a_grant_within_the_engagement_is_granted(api, engagement):
    body = grant_body("2027-01-01", "2027-02-28")
    ok(api.post(f"/api/projects/{engagement['project']}/allocations", body))


def test_a_series_running_past_the_engagement_is_refused_whole(api, engagement):
    before = api.log_size()
    body = {
        "units": 8,
        "every": "month",
        "start_date": "2027-01-01",
        "count": 3,
        "description": "monthly hours",
    }
    response = api.post(f"/api/projects/{engagement['project']}/allocation-series", body)
    refused(response, "start_date")  # of the third month, 2027-03-01
    assert "2027-03-01 to 2027-03-31" in response.get_json()["detail"]
    assert api.log_size() == before
    ok(api.post(f"/api/projects/{engagement['project']}/allocation-series", body | {"count": 2}))


def test_an_amendment_past_the_engagement_end_is_refused(api, engagement):
    allocation = ok(
        api.post(
            f"/api/projects/{engagement['project']}/allocations",
            grant_body("2027-01-01", "2027-01-31"),
        )
    )
    before = api.log_size()
    response = api.patch(
        f"/api/allocations/{allocation['id']}", {"end_date": "2027-03-15", "reason": "more"}
    )
    refused(response, "end_date")
    assert api.log_size() == before
    ok(
        api.patch(
            f"/api/allocations/{allocation['id']}", {"end_date": "2027-02-28", "reason": "more"}
        ),
        200,
    )


def test_an_imported_allocation_outside_the_engagement_is_refused_with_its_line(api, engagement):
    columns = ("external_id", "project_id", "start_date", "end_date", "units", "description")
    rows = [
        {"external_id": "in", "project_id": engagement["project"], "units": 5}
        | {"description": "d", "start_date": "2027-01-01", "end_date": "2027-01-31"},
        {"external_id": "out", "project_id": engagement["project"], "units": 5}
        | {"description": "d", "start_date": "2024-07-01", "end_date": "2024-09-30"},
    ]
    before = api.log_size()
    response = post_csv(api, "/api/imports/allocations", csv_text(columns, rows))
    assert response.status_code == 422, response.get_json()
    [bad] = response.get_json()["bad_rows"]
    assert (bad["line"], bad["column"]) == (3, "start_date") and DATES in bad["reason"]
    assert api.log_size() == before


def test_an_allocation_already_outside_still_loads_and_takes_its_amendments(api, engagement):
    """Granted within the dates, which were then narrowed: the allocation, from before
    the rule as far as it knows, is not refused anything but a new date outside."""
    allocation = ok(
        api.post(
            f"/api/projects/{engagement['project']}/allocations",
            grant_body("2027-01-01", "2027-02-28"),
        )
    )
    ok(api.patch(f"/api/engagements/{engagement['id']}", {"end_date": "2027-01-31"}), 200)
    ok(api.get(f"/api/allocations/{allocation['id']}"), 200)
    ok(
        api.patch(f"/api/allocations/{allocation['id']}", {"units": 12, "reason": "more"}),
        200,
    )
    ok(
        api.patch(
            f"/api/allocations/{allocation['id']}", {"end_date": "2027-01-31", "reason": "fit"}
        ),
        200,
    )
    response = api.patch(
        f"/api/allocations/{allocation['id']}", {"end_date": "2027-02-15", "reason": "back"}
    )
    assert response.status_code == 422
    assert "2027-01-01 to 2027-01-31" in response.get_json()["errors"]["end_date"][0]
