"""Engagement pages and the monthly report, page and PDF: the API's figures, charts
drawn from the activities, and a viewer limited to one engagement kept to it."""

from __future__ import annotations

import re
import subprocess
from uuid import UUID

import pytest
from flask import Flask

from tests.support.api import ApiClient, activity
from tests.support.dates import TODAY, days_ago
from tests.support.pages import signed_in_page
from tests.support.pdf_polling import fetched_pdf

MONTH = TODAY.strftime("%Y-%m")


@pytest.fixture
def worked(api: ApiClient, world) -> dict:
    """Two activities on the allocation (5 + 3 units), one retracted activity (2)."""
    path = f"/api/allocations/{world['allocation']['id']}/activities"
    api.post(path, activity(units=5, description="mentoring call", team_member="ana"))
    api.post(path, activity(units=3, description="docs review", team_member="ben"))
    retracted = api.post(path, activity(units=2, description="typo")).json
    api.post(f"/api/activities/{retracted['id']}/retraction", {"reason": "twice"})
    return world


@pytest.fixture
def other_engagement(api: ApiClient) -> dict:
    response = api.post(
        "/api/engagements",
        {
            "name": "Other",
            "community": "Elsewhere",
            "description": "",
            "start_date": days_ago(9),
            "end_date": days_ago(-90),
        },
    )
    assert response.status_code == 201, response.json
    return response.json


def test_the_engagement_page_shows_the_api_totals_and_a_chart_per_allocation(
    app: Flask, worked, api: ApiClient, make_token
):
    engagement_id = worked["engagement"]["id"]
    totals = api.get(f"/api/engagements/{engagement_id}").json["totals"]
    html = signed_in_page(app, make_token("bd")).text(f"/engagements/{engagement_id}")
    for field in ("units_granted", "units_used", "units_remaining"):
        assert re.search(rf'data-field="{field}">{totals[field]}<', html), field
    assert totals["units_used"] == 8
    assert f'id="burn-{worked["allocation"]["id"]}-title"' in html
    assert "8 of 20 units used" in html, "the burn chart's summary counts live activities"
    assert f"{MONTH}: 8 units" in html, "the month bars sum the month's live units"


def test_the_engagement_page_names_each_allocations_provider(app: Flask, worked, make_token):
    """ "provided by Ana" (the member's name), not by her handle "ana"."""
    engagement_id = worked["engagement"]["id"]
    html = signed_in_page(app, make_token("bd")).text(f"/engagements/{engagement_id}")
    assert "provided by Ana" in html and "provided by ana" not in html


def test_the_monthly_report_page_holds_the_figures_and_names_not_handles(
    app: Flask, worked, api: ApiClient, make_token
):
    engagement_id = worked["engagement"]["id"]
    report = api.get("/api/reports/monthly", month=MONTH, engagement_id=engagement_id).json
    allocation = report["engagements"][0]["projects"][0]["allocations"][0]
    html = signed_in_page(app, make_token("bd")).text(
        f"/engagements/{engagement_id}/reports/{MONTH}"
    )
    assert re.search(rf'data-field="units_used_month">{allocation["units_used_month"]}<', html)
    assert re.search(rf'data-field="units_remaining">{allocation["units_remaining"]}<', html)
    assert "mentoring call" in html and ">Ana<" in html and ">Ben<" in html
    assert "typo" not in html, "a retracted activity is not reported"
    assert worked["allocation"]["id"] in html  # the allocation's element id, not a token id


def test_the_pdf_has_the_same_figures_as_the_page(app: Flask, worked, make_token, tmp_path):
    engagement_id = worked["engagement"]["id"]
    viewer = signed_in_page(app, make_token("viewer", engagement_id=UUID(engagement_id)))
    response = fetched_pdf(viewer.get, f"/engagements/{engagement_id}/reports/{MONTH}.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(response.data)
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Open Data Week" in text and "mentoring call" in text and "Ana" in text
    assert re.search(r"\b20\s+8\s+8\s+12\b", text), text  # granted, month, to date, remaining
    assert "ces_" not in text and "late" not in text.lower()


def test_a_limited_viewer_sees_only_its_engagement(
    app: Flask, worked, other_engagement, make_token
):
    mine = worked["engagement"]["id"]
    viewer = signed_in_page(app, make_token("viewer", engagement_id=UUID(mine)))
    listing = viewer.text("/engagements")
    assert "Open Data Week" in listing and "Other" not in listing
    theirs = other_engagement["id"]
    for path in (
        f"/engagements/{theirs}",
        f"/engagements/{theirs}/reports/{MONTH}",
        f"/engagements/{theirs}/reports/{MONTH}.pdf",
    ):
        assert viewer.get(path).status_code == 404, path
    assert viewer.get(f"/engagements/{mine}").status_code == 200


@pytest.mark.parametrize("month", ["2026-13", "26-01", "0000-01", "9999-99", "x"])
def test_a_report_for_a_month_that_is_none_answers_404(app: Flask, world, make_token, month):
    page = signed_in_page(app, make_token("bd"))
    response = page.get(f"/engagements/{world['engagement']['id']}/reports/{month}")
    assert response.status_code == 404 and "not a month" in response.text


def test_an_unknown_engagement_answers_404(app: Flask, world, make_token):
    page = signed_in_page(app, make_token("bd"))
    assert page.get("/engagements/00000000-0000-4000-8000-000000000000").status_code == 404
    assert page.get("/engagements/not-a-uuid").status_code == 404


def test_engagement_pages_need_a_session(app: Flask, world):
    response = app.test_client().get(f"/engagements/{world['engagement']['id']}")
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]
