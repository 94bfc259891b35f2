"""Months as pages (docs/reference/pages.md), on both stores: everyone who may read
the closed months sees them; an admin closes one after the confirm page, with the
API's rules (a month is closed once; the reason is the API's field), and a refused
form shows its message and closes nothing."""

from __future__ import annotations

from flask import Flask

from service.domain.calendar import Month, add_months
from tests.support.api import ApiClient
from tests.support.dates import TODAY
from tests.support.pages import FORM_KEY_INPUT, signed_in_page

LAST_MONTH = str(add_months(Month.of(TODAY), -1))


def closures(api: ApiClient) -> list[dict]:
    response = api.get("/api/periods")
    assert response.status_code == 200, response.json
    return response.json["items"]


def test_an_admin_closes_a_month_after_confirming(app: Flask, api: ApiClient, make_token):
    page = signed_in_page(app, make_token("admin"))
    listing = page.text("/months")
    assert f'<tr data-month="{LAST_MONTH}">' in listing
    assert f'href="/months/{LAST_MONTH}/close"' in listing

    confirm = page.text(f"/months/{LAST_MONTH}/close")
    assert "it cannot be reopened" in confirm
    key = FORM_KEY_INPUT.search(confirm)[1]
    closed = page.post(
        f"/months/{LAST_MONTH}/close", {"reason": "books are final", "form_key": key}
    )
    assert closed.status_code == 303 and closed.headers["Location"] == "/months"
    after = page.text("/months")
    assert f"Closed {LAST_MONTH}" in after
    assert "books are final" in after
    assert [(c["month"], c["reason"]) for c in closures(api)] == [(LAST_MONTH, "books are final")]

    # The same form sent again (a double click) is the same closure, not a refusal.
    again = page.post(f"/months/{LAST_MONTH}/close", {"reason": "books are final", "form_key": key})
    assert again.status_code == 303
    # A new attempt is refused, with the ledger's words, and writes nothing.
    before = api.log_size()
    refused = page.post(f"/months/{LAST_MONTH}/close", {"form_key": "another"})
    assert refused.status_code == 409
    assert f"{LAST_MONTH} is already closed" in refused.text
    assert api.log_size() == before


def test_a_bad_reason_or_month_closes_nothing(app: Flask, api: ApiClient, make_token):
    page = signed_in_page(app, make_token("admin"))
    page.text(f"/months/{LAST_MONTH}/close")
    before = api.log_size()
    bad = page.post(f"/months/{LAST_MONTH}/close", {"reason": "x" * 2001, "form_key": "k"})
    assert bad.status_code == 422
    assert 'id="reason-error"' in bad.text and 'aria-invalid="true"' in bad.text
    assert page.get("/months/2026-13/close").status_code == 404
    assert page.get("/months/latest/close").status_code == 404
    no_csrf = page.post(f"/months/{LAST_MONTH}/close", {"form_key": "k2"}, with_csrf=False)
    assert no_csrf.status_code == 400
    assert api.log_size() == before and closures(api) == []


def test_who_sees_the_months_and_who_may_close_one(app: Flask, make_token):
    for role in ("bd", "manager", "viewer"):
        page = signed_in_page(app, make_token(role))
        listing = page.text("/months")
        assert f'<tr data-month="{LAST_MONTH}">' in listing, role
        assert "/close" not in listing, role
        assert page.get(f"/months/{LAST_MONTH}/close").status_code == 403, role
        refused = page.post(f"/months/{LAST_MONTH}/close", {"form_key": "k"})
        assert refused.status_code == 403, role
