"""Importing history from a page (docs/reference/pages.md), on both stores: an admin
uploads a CSV, sees the dry run row by row (to import, imported before, refused and
why) with nothing written, then imports that very file from the result without
uploading it again; a refused file, a missing choice or a form without its CSRF token
writes nothing; only admins may open the page."""

from __future__ import annotations

import base64
import io
import re
from html import unescape

from flask import Flask

from service.application.imports.rows import imported_activity_id
from tests.support.api import ApiClient
from tests.support.csv_imports import ACTIVITY_COLUMNS, csv_text, import_activities, row
from tests.support.pages import PageClient, form_values, signed_in_page


def check(page: PageClient, text: str, kind: str = "activities", name: str = "sheet.csv"):
    return page.post(
        "/imports",
        {"form_name": "check", "kind": kind, "file": (io.BytesIO(text.encode()), name)},
    )


def result_of(html: str, line: int) -> str:
    match = re.search(rf'<tr data-line="{line}" data-result="([a-z]+)">', html)
    assert match, f"no row for line {line}"
    return match[1]


def test_an_admin_checks_a_file_then_imports_it(app: Flask, api: ApiClient, world, make_token):
    allocation_id = world["allocation"]["id"]
    before_rows = [row(allocation_id, "sheet-1")]
    assert import_activities(api, before_rows).status_code == 201
    text = csv_text(
        ACTIVITY_COLUMNS, [*before_rows, row(allocation_id, "sheet-2"), row(allocation_id, "s-3")]
    )
    page = signed_in_page(app, make_token("admin"))
    page.text("/imports")
    size = api.log_size()

    checked = check(page, text)
    assert checked.status_code == 200, checked.text[:2000]
    html = checked.text
    assert "Checked: sheet.csv" in html
    assert [result_of(html, line) for line in (2, 3, 4)] == ["before", "new", "new"]
    assert "Import 2 activities" in html
    assert api.log_size() == size  # a dry run writes nothing

    form = form_values(html, "import-form")
    assert base64.b64decode(form["content"]).decode() == text
    imported = page.post("/imports", form)
    assert imported.status_code == 303 and imported.headers["Location"] == "/imports"
    done = page.text("/imports")
    assert "Imported 2 activities from sheet.csv; 1 imported before" in unescape(done)
    listed = api.get(f"/api/allocations/{allocation_id}/activities").json["items"]
    ids = {item["id"] for item in listed}
    assert {str(imported_activity_id(n)) for n in ("sheet-1", "sheet-2", "s-3")} <= ids

    # The same form again (a reload, a double click): every row was imported before.
    size = api.log_size()
    assert page.post("/imports", form).status_code == 303
    assert api.log_size() == size


def test_a_refused_row_is_shown_with_its_reason_and_nothing_is_written(
    app: Flask, api: ApiClient, world, make_token
):
    allocation_id = world["allocation"]["id"]
    text = csv_text(
        ACTIVITY_COLUMNS,
        [row(allocation_id, "ok-1"), row(allocation_id, "bad-2", units=0, team_member="nobody")],
    )
    page = signed_in_page(app, make_token("admin"))
    page.text("/imports")
    size = api.log_size()
    refused = check(page, text)
    assert refused.status_code == 422
    html = unescape(refused.text)
    assert "1 line of the file is refused" in html
    assert "Line 3, units: units must be a whole number from 1 to 100000" in html
    assert [result_of(html, 2), result_of(html, 3)] == ["passes", "refused"]
    assert 'id="import-form"' not in html

    header_refused = check(page, "external_id,whatever\nx,y\n")
    assert header_refused.status_code == 422
    assert "is not a column of this file" in unescape(header_refused.text)
    assert result_of(header_refused.text, 2) == "unchecked"
    assert api.log_size() == size


def test_a_form_missing_its_choices_or_token_checks_and_writes_nothing(
    app: Flask, api: ApiClient, world, make_token
):
    page = signed_in_page(app, make_token("admin"))
    page.text("/imports")
    size = api.log_size()
    empty = page.post("/imports", {"form_name": "check", "kind": ""})
    assert empty.status_code == 422
    assert 'id="kind-error"' in empty.text and 'id="file-error"' in empty.text
    good = csv_text(ACTIVITY_COLUMNS, [row(world["allocation"]["id"], "csrf-1")])
    content = base64.b64encode(good.encode()).decode()
    imported = {"form_name": "import", "kind": "activities", "content": content}
    assert page.post("/imports", imported, with_csrf=False).status_code == 400
    assert page.post("/imports", {**imported, "content": "not base64!"}).status_code == 400
    assert page.post("/imports", {**imported, "kind": "people"}).status_code == 400
    assert api.log_size() == size


def test_only_admins_may_import(app: Flask, make_token):
    for role in ("bd", "manager", "auditor", "viewer"):
        page = signed_in_page(app, make_token(role))
        assert page.get("/imports").status_code == 403, role
        assert page.post("/imports", {"form_name": "check"}).status_code == 403, role
