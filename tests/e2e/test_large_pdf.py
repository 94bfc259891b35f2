"""A 5,000-activity month's report PDF under real gunicorn (issue 18, point 3): rendered
on the request it took longer than gunicorn's worker timeout and answered 500; the
worker process renders it now, and the page answers 202 until it is there."""

from __future__ import annotations

import subprocess

from tests.support.big_reports import (
    import_activities,
    last_month,
    register_members,
    report_engagement,
    signed_in_browser,
)
from tests.support.pdf_polling import fetched_pdf
from tests.support.servers import Client, Service, wait_until

ACTIVITIES = 5_000


def test_a_5000_activity_month_renders_without_a_server_error(
    service: Service, admin: Client, database_url: str
):
    month = last_month()
    register_members(admin, month)
    engagement_id, allocation_id = report_engagement(admin, "Busy month", month)
    import_activities(database_url, allocation_id, month, ACTIVITIES)
    wait_until(  # the read models take the import in (reads meanwhile answer 503)
        lambda: admin.get(f"/api/allocations/{allocation_id}").json()["units_used"] > 0,
        timeout=120,
        what="the read models to take the import in",
    )
    browser = signed_in_browser(service.url, service.token("bd"))
    answers: list[int] = []

    def get(path: str):
        response = browser.get(f"{service.url}{path}", timeout=60)
        answers.append(response.status_code)
        return response

    pdf = fetched_pdf(get, f"/engagements/{engagement_id}/reports/{month}.pdf", timeout=900)
    assert set(answers) == {202, 200}, answers
    assert pdf.headers["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    text = subprocess.run(
        ["pdftotext", "-", "-"], input=pdf.content, capture_output=True, check=True
    ).stdout.decode()
    assert f"activity {ACTIVITIES - 1}" in text and "activity 0" in text
