"""PDFs off the request path (issue 18, point 3): a request never renders a PDF; the
worker (here the app's in-process one) renders it once per document, day and log
position and stores it, and the same address serves it from storage after a 202
with Retry-After."""

from __future__ import annotations

import subprocess
import uuid
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
