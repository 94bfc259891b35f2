"""PDFs off the request path (issue 18, point 3): a request never renders a PDF; the
worker (here the app's in-process one) renders it once per document, day and log
position and stores it, and the same address serves it from storage after a 202
with Retry-After."""

from __future__ import annotations

import subprocess
import uuid
from datetime import UTC, datetime, timedelta
from uuid import UUID

from flask import Flask

from service.infra.rendered_pdfs import RenderedPdfs
from service.web.http.runtime import ledger as app_ledger
from tests.support.api import ApiClient, activity
from tests.support.dates import TODAY
from tests.support.pages import signed_in_page
from tests.support.pdf_polling import fetched_pdf

MONTH = TODAY.strftime("%Y-%m")


def pdf_text(pdf: bytes) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()


def stored_renderings(app: Flask, document: str) -> list[dict]:
    """The rows of the table of rendered PDFs for `document` (rendered or queued)."""
    with app.app_context():
        table = RenderedPdfs(app_ledger().factory.datastore).table
        with app_ledger().factory.datastore.transaction(commit=False) as cursor:
            cursor.execute(
                f"SELECT document, min_position, position FROM {table}"  # noqa: S608 - our table
            )
            return [dict(row) for row in cursor.fetchall() if row["document"] == document]


def test_a_report_pdf_not_yet_rendered_answers_202_with_a_page_that_reloads_itself(
    app: Flask, world, api: ApiClient, make_token
):
    engagement_id = world["engagement"]["id"]
    api.post(f"/api/allocations/{world['allocation']['id']}/activities", activity())
    page = signed_in_page(app, make_token("bd"))
    path = f"/engagements/{engagement_id}/reports/{MONTH}.pdf"

    first = page.get(path)
    assert first.status_code == 202 and first.mimetype == "text/html"
    assert int(first.headers["Retry-After"]) > 0
    html = first.get_data(as_text=True)
    assert "being prepared" in html
    position = api.log_size()
    refresh = f'<meta http-equiv="refresh" content="{first.headers["Retry-After"]};url='
    assert refresh in html and f"min_position={position}" in html
    assert "<script" not in html, "no script: the CSP allows none inline"
    answers = [page.get(path).status_code for _ in range(5)]
    assert set(answers) <= {200, 202}, answers

    pdf = fetched_pdf(page.get, path)
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert "review of the guide" in pdf_text(pdf.get_data())
    document = f"report/{engagement_id}/{MONTH}"
    assert len(stored_renderings(app, document)) == 1, "six requests queued one rendering"


def test_a_write_after_the_rendering_is_in_the_next_one_which_replaces_it(
    app: Flask, world, api: ApiClient, make_token
):
    engagement_id = world["engagement"]["id"]
    allocation_path = f"/api/allocations/{world['allocation']['id']}/activities"
    api.post(allocation_path, activity(description="first session"))
    page = signed_in_page(app, make_token("viewer", engagement_id=UUID(engagement_id)))
    path = f"/engagements/{engagement_id}/reports/{MONTH}.pdf"
    before = fetched_pdf(page.get, path)
    assert before.status_code == 200 and "first session" in pdf_text(before.get_data())
    assert page.get(path).status_code == 200, "served from storage while nothing changed"

    written = api.post(allocation_path, activity(description="second session"))
    assert written.status_code == 201
    assert page.get(path).status_code == 202, "the stored rendering predates the write"
    after = fetched_pdf(page.get, path)
    assert after.status_code == 200
    text = pdf_text(after.get_data())
    assert "first session" in text and "second session" in text
    rows = stored_renderings(app, f"report/{engagement_id}/{MONTH}")
    assert [row["position"] >= written.json["position"] for row in rows] == [True], rows


def test_a_statement_pdf_through_the_api_answers_202_json_then_the_pdf(
    app: Flask, world, api: ApiClient
):
    api.post(f"/api/allocations/{world['allocation']['id']}/activities", activity())
    stated = api.post(
        f"/api/engagements/{world['engagement']['id']}/statements", {"month": MONTH}
    ).json
    path = f"/api/statements/{stated['id']}"

    def get(at: str):
        return api.client.get(at, headers={**api.headers(), "Accept": "application/pdf"})

    first = get(path)
    assert first.status_code == 202 and first.mimetype == "application/json"
    assert first.json["retry_after"] == int(first.headers["Retry-After"]) > 0
    pdf = fetched_pdf(get, path)
    assert pdf.status_code == 200 and pdf.get_data().startswith(b"%PDF")
    assert stated["key_id"] in "".join(pdf_text(pdf.get_data()).split())
    page = signed_in_page(app, api.token)
    same = fetched_pdf(page.get, f"/statements/{stated['id']}.pdf")
    assert same.status_code == 200 and same.get_data() == pdf.get_data(), "rendered once"


def test_a_pdf_page_refuses_a_min_position_that_is_no_log_position(app: Flask, world, make_token):
    page = signed_in_page(app, make_token("bd"))
    path = f"/engagements/{world['engagement']['id']}/reports/{MONTH}.pdf"
    for bad in ("-1", "x", "1e3", "99999999999999999999"):
        assert page.get(path, min_position=bad).status_code == 400, bad
    assert page.get(path, min_position="99999999").status_code == 422
    other = f"/engagements/{uuid.uuid4()}/reports/{MONTH}.pdf"
    assert page.get(other).status_code == 404


def first_page_text(pdf: bytes) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", "-f", "1", "-l", "1", "-", "-"],
        input=pdf,
        capture_output=True,
        check=True,
    ).stdout.decode()


def test_the_report_pdf_starts_its_work_on_the_first_page(
    app: Flask, world, api: ApiClient, make_token
):
    """An allocation whose month runs over a page begins on the first, under the title
    and the totals (its activities go on over the next pages): the first page is not
    the title and three totals alone."""
    last_month = TODAY.replace(day=1) - timedelta(days=1)
    for n in range(60):  # two or three a day, over 19 days of last month: over a page
        day = last_month.replace(day=10 + n % 19).isoformat()
        done = api.post(
            f"/api/allocations/{world['allocation']['id']}/activities",
            activity(units=1, description=f"session {n:02d}", date_from=day, date_to=day),
        )
        assert done.status_code == 201, done.json
    page = signed_in_page(app, make_token("bd"))
    path = f"/engagements/{world['engagement']['id']}/reports/{last_month:%Y-%m}.pdf"
    pdf = fetched_pdf(page.get, path)
    assert pdf.status_code == 200
    first = first_page_text(pdf.get_data())
    assert "Docs" in first and "Q hours" in first, first
    assert "session 00" in first, f"no activity on the first page:\n{first}"
    assert "session 59" in pdf_text(pdf.get_data())


def test_the_statement_pdf_names_people_and_says_when_in_words(app: Flask, world, api: ApiClient):
    """ "issued 7 December 2026, 06:14 UTC by …", not the ISO moment; "Ana", not "ana"."""
    api.post(f"/api/allocations/{world['allocation']['id']}/activities", activity())
    stated = api.post(
        f"/api/engagements/{world['engagement']['id']}/statements", {"month": MONTH}
    ).json
    path = f"/api/statements/{stated['id']}"
    pdf = fetched_pdf(
        lambda at: api.client.get(at, headers={**api.headers(), "Accept": "application/pdf"}),
        path,
    )
    text = pdf_text(pdf.get_data())
    issued = datetime.fromisoformat(stated["issued_at"]).astimezone(UTC)
    assert f"issued {issued.day} {issued:%B %Y, %H:%M} UTC by" in text, text
    assert stated["issued_at"] not in text and "T" + f"{issued:%H:%M}" not in text
    assert "· Ana" in text and "· ana" not in text, text
