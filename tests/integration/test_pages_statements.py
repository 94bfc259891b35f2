"""Statements as pages (docs/reference/pages.md), on both stores: BD previews a month's
figures (the monthly report's), issues the statement from the preview, finds it in the
list and downloads it as the API's CSV and JSON; a month not begun, a month stated
already or a form without its CSRF token issues nothing; readers list and download,
only BD and admins issue."""

from __future__ import annotations

from uuid import UUID

from flask import Flask

from service.domain.calendar import Month, add_months
from tests.support.api import ApiClient, activity
from tests.support.dates import TODAY
from tests.support.pages import FORM_KEY_INPUT, PageClient, signed_in_page

THIS_MONTH = str(Month.of(TODAY))
NEXT_MONTH = str(add_months(Month.of(TODAY), 1))


def statements(api: ApiClient, engagement_id: str) -> list[dict]:
    response = api.get(f"/api/engagements/{engagement_id}/statements")
    assert response.status_code == 200, response.json
    return response.json["items"]


def issued_from_preview(page: PageClient, engagement_id: str, month: str):
    preview = page.text(f"/engagements/{engagement_id}/statements/new", month=month)
    key = FORM_KEY_INPUT.search(preview)[1]
    return page.post(
        f"/engagements/{engagement_id}/statements/new", {"month": month, "form_key": key}
    ), key


def test_bd_previews_issues_and_downloads_a_statement(
    app: Flask, api: ApiClient, world, make_token
):
    engagement_id = world["engagement"]["id"]
    recorded = api.post(f"/api/allocations/{world['allocation']['id']}/activities", activity())
    assert recorded.status_code == 201
    page = signed_in_page(app, make_token("bd"))
    listing = page.text(f"/engagements/{engagement_id}/statements")
    assert "No statement issued yet." in listing and "Preview the figures" in listing

    preview = page.text(f"/engagements/{engagement_id}/statements/new", month=THIS_MONTH)
    assert f"Issue the statement for {THIS_MONTH}" in preview
    assert '<dd data-field="units_used_month">3</dd>' in preview
    issued, key = issued_from_preview(page, engagement_id, THIS_MONTH)
    assert issued.status_code == 303
    assert issued.headers["Location"] == f"/engagements/{engagement_id}/statements"
    [statement] = statements(api, engagement_id)
    assert statement["month"] == THIS_MONTH and statement["issued_by"] == "Test Bd"
    after = page.text(f"/engagements/{engagement_id}/statements")
    assert f"Issued the statement for {THIS_MONTH}: 3 units used" in after
    assert f'data-statement-id="{statement["id"]}"' in after

    # The same form again (a double click) is the same statement.
    again = page.post(
        f"/engagements/{engagement_id}/statements/new", {"month": THIS_MONTH, "form_key": key}
    )
    assert again.status_code == 303 and len(statements(api, engagement_id)) == 1

    for kind, accept in (("json", "application/json"), ("csv", "text/csv")):
        download = page.get(f"/statements/{statement['id']}.{kind}")
        assert download.status_code == 200, kind
        assert download.mimetype == accept
        disposition = download.headers["Content-Disposition"]
        assert f'filename="statement-{THIS_MONTH}-{statement["id"]}.{kind}"' in disposition
        from_api = api.client.get(
            f"/api/statements/{statement['id']}", headers={**api.headers(), "Accept": accept}
        )
        assert download.get_data() == from_api.get_data(), kind


def test_a_month_not_begun_or_stated_already_issues_nothing(
    app: Flask, api: ApiClient, world, make_token
):
    engagement_id = world["engagement"]["id"]
    page = signed_in_page(app, make_token("bd"))
    page.text(f"/engagements/{engagement_id}/statements")
    before = api.log_size()
    for month, why in (
        (NEXT_MONTH, f"{NEXT_MONTH} has not begun"),
        ("2026-13", "give the month as YYYY-MM"),
        ("", "Choose the month the statement is of."),
    ):
        refused = page.get(f"/engagements/{engagement_id}/statements/new", month=month)
        assert refused.status_code == 422, month
        assert 'id="month-error"' in refused.text and why in refused.text, month
    posted = page.post(
        f"/engagements/{engagement_id}/statements/new", {"month": NEXT_MONTH, "form_key": "k"}
    )
    assert posted.status_code == 422 and f"{NEXT_MONTH} has not begun" in posted.text
    no_csrf = page.post(
        f"/engagements/{engagement_id}/statements/new",
        {"month": THIS_MONTH, "form_key": "k"},
        with_csrf=False,
    )
    assert no_csrf.status_code == 400
    assert api.log_size() == before and statements(api, engagement_id) == []

    first, _ = issued_from_preview(page, engagement_id, THIS_MONTH)
    assert first.status_code == 303
    preview = page.text(f"/engagements/{engagement_id}/statements/new", month=THIS_MONTH)
    assert f"The statement for {THIS_MONTH} was issued on" in preview
    before = api.log_size()
    second = page.post(
        f"/engagements/{engagement_id}/statements/new", {"month": THIS_MONTH, "form_key": "new"}
    )
    assert second.status_code == 409 and 'role="alert"' in second.text
    assert api.log_size() == before and len(statements(api, engagement_id)) == 1


def test_readers_list_and_download_and_only_bd_and_admins_issue(
    app: Flask, api: ApiClient, world, make_token
):
    engagement_id = world["engagement"]["id"]
    statement = api.post(f"/api/engagements/{engagement_id}/statements", {"month": THIS_MONTH})
    assert statement.status_code == 201
    statement_id = statement.json["id"]
    for role in ("manager", "auditor", "viewer"):
        page = signed_in_page(app, make_token(role))
        listing = page.text(f"/engagements/{engagement_id}/statements")
        assert f'data-statement-id="{statement_id}"' in listing, role
        assert "Preview the figures" not in listing, role
        assert page.get(f"/statements/{statement_id}.json").status_code == 200, role
        preview = page.get(f"/engagements/{engagement_id}/statements/new", month=THIS_MONTH)
        assert preview.status_code == 403, role
    other = api.post(
        "/api/engagements",
        {
            "name": "Elsewhere",
            "community": "Other",
            "description": "d",
            "start_date": TODAY.isoformat(),
            "end_date": TODAY.isoformat(),
        },
    ).json
    limited = signed_in_page(app, make_token("viewer", engagement_id=UUID(other["id"])))
    assert limited.get(f"/engagements/{engagement_id}/statements").status_code == 404
    assert limited.get(f"/statements/{statement_id}.csv").status_code == 404
