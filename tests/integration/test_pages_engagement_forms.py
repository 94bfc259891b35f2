"""Business development's forms on engagements and allocations, through the pages as
a browser sends them: each writes what the API route doing the same work writes,
a form sent twice writes once, and a refusal (of the schema or of the ledger's rules)
shows the form again with the message under its field, in words, writing nothing."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask

from tests.support.api import ApiClient, activity
from tests.support.dates import days_ago
from tests.support.pages import PageClient, follow, hidden_value, signed_in_page


@pytest.fixture
def bd(app: Flask, world, make_token) -> PageClient:
    return signed_in_page(app, make_token("bd"))


def form_of(page: PageClient, path: str, **fields: str) -> dict[str, str]:
    """The form at `path` as shown (its key, the values it shows), with `fields` filled."""
    html = page.text(path)
    shown = dict(
        re.findall(
            r'<input type="(?:text|date|number)" id="\w+" name="(\w+)" value="([^"]*)"', html
        )
    )
    shown |= dict(re.findall(r'<textarea id="\w+" name="(\w+)"[^>]*>([^<]*)</textarea>', html))
    return {**shown, "form_key": hidden_value(html, "form_key") or "", **fields}


def error_under(html: str, name: str) -> str:
    match = re.search(rf'<p class="field-error" id="{name}-error">([^<]*)</p>', html)
    assert match, f"no error under {name}"
    return match[1]


ENGAGEMENT = {
    "name": "Docs Sprint",
    "community": "Open Data NL",
    "description": "Two weeks on the guides",
    "start_date": days_ago(10),
    "end_date": days_ago(-80),
    "contacts": "Ria Bos\n\n  Tom Smit  \n",
}


def engagement_named(api: ApiClient, name: str) -> dict[str, Any]:
    found = [e for e in api.get("/api/engagements").json["items"] if e["name"] == name]
    assert len(found) == 1, found
    return found[0]


# Engagements


def test_bd_opens_an_engagement_and_the_api_shows_it(bd: PageClient, api: ApiClient):
    response = bd.post("/engagements/new", form_of(bd, "/engagements/new", **ENGAGEMENT))
    opened = engagement_named(api, "Docs Sprint")
    assert response.headers["Location"].endswith(f"/engagements/{opened['id']}")
    assert "Opened the engagement “Docs Sprint”." in follow(bd, response)
    assert opened["contacts"] == ["Ria Bos", "Tom Smit"]
    assert (opened["start_date"], opened["end_date"]) == (days_ago(10), days_ago(-80))
    assert opened["source"] == "manual"


def test_the_engagement_form_sent_twice_opens_one(bd: PageClient, api: ApiClient):
    form = form_of(bd, "/engagements/new", **ENGAGEMENT)
    assert bd.post("/engagements/new", form).status_code == 303
    size = api.log_size()
    assert bd.post("/engagements/new", form).status_code == 303
    assert api.log_size() == size
    engagement_named(api, "Docs Sprint")


def test_a_bad_engagement_is_refused_in_words_and_nothing_written(bd: PageClient, api: ApiClient):
    size = api.log_size()
    nameless = bd.post(
        "/engagements/new", form_of(bd, "/engagements/new", **ENGAGEMENT) | {"name": ""}
    )
    assert nameless.status_code == 422
    assert error_under(nameless.text, "name") == "Name is required."
    assert 'aria-invalid="true"' in nameless.text
    assert ">Two weeks on the guides</textarea>" in nameless.text, "what was typed stays"
    backwards = form_of(bd, "/engagements/new", **ENGAGEMENT) | {"end_date": days_ago(20)}
    response = bd.post("/engagements/new", backwards)
    assert response.status_code == 422
    assert error_under(response.text, "end_date") == "End date must not be before Start date."
    assert api.log_size() == size


def test_the_required_fields_are_marked(bd: PageClient):
    html = bd.text("/engagements/new")
    for label in ("Name", "Community", "Description", "Start date", "End date"):
        assert f'{label} <span class="required">(required)</span>' in html, label
    assert 'Contacts <span class="required">' not in html


def test_editing_changes_only_what_changed(bd: PageClient, world, api: ApiClient):
    engagement_id = world["engagement"]["id"]
    path = f"/engagements/{engagement_id}/edit"
    form = form_of(bd, path, community="Open Data BE")
    assert form["name"] == "Open Data Week", "the form shows the current details"
    response = bd.post(path, form)
    assert "Saved the details of “Open Data Week”." in follow(bd, response)
    events = api.get(f"/api/audit/streams/{engagement_id}").json["events"]
    changed = [e["fields"] for e in events if e["event_type"] == "EngagementDetailsUpdated"]
    assert [fields["changes"] for fields in changed] == [{"community": "Open Data BE"}]


def test_bd_closes_an_engagement_and_its_forms_are_gone(bd: PageClient, world, api: ApiClient):
    engagement_id = world["engagement"]["id"]
    path = f"/engagements/{engagement_id}/close"
    refused = bd.post(path, form_of(bd, path))
    assert refused.status_code == 422
    assert error_under(refused.text, "reason") == "Reason for closing is required."
    response = bd.post(path, form_of(bd, path, reason="the work is done"))
    page = follow(bd, response)
    assert "Closed “Open Data Week”." in page
    assert api.get(f"/api/engagements/{engagement_id}").json["closed"] is True
    assert "Define a project" not in page and "Grant an allocation" not in page
    assert bd.get(f"/engagements/{engagement_id}/projects/new").status_code == 409


def test_bd_defines_a_project(bd: PageClient, world, api: ApiClient):
    engagement_id = world["engagement"]["id"]
    path = f"/engagements/{engagement_id}/projects/new"
    response = bd.post(path, form_of(bd, path, name="Guides", outcome="Newcomers publish alone"))
    assert "Defined the project “Guides” of “Open Data Week”." in follow(bd, response)
    projects = api.get(f"/api/engagements/{engagement_id}").json["projects"]
    assert [(p["name"], p["outcome"]) for p in projects][-1] == (
        "Guides",
        "Newcomers publish alone",
    )


# Allocations


def grant_path(world) -> str:
    return f"/engagements/{world['engagement']['id']}/projects/{world['project']['id']}"


def test_bd_grants_an_allocation(bd: PageClient, world, api: ApiClient):
    path = grant_path(world) + "/allocations/new"
    fields = {"start_date": days_ago(-31), "end_date": days_ago(-60), "units": "16"}
    form = form_of(bd, path, **fields, description="Spring sprint", provider="ben")
    response = bd.post(path, form)
    assert "Granted “Spring sprint” to “Docs”" in follow(bd, response)
    granted = [a for a in api.get("/api/allocations").json["items"] if a["units_granted"] == 16]
    assert [(a["description"], a["provider"]) for a in granted] == [("Spring sprint", "ben")]


def test_an_overlapping_grant_is_refused_under_its_field(bd: PageClient, world, api: ApiClient):
    path = grant_path(world) + "/allocations/new"
    form = form_of(
        bd, path, start_date=days_ago(5), end_date=days_ago(-5), units="4", description="More"
    )
    size = api.log_size()
    response = bd.post(path, form)
    assert response.status_code == 422
    assert error_under(response.text, "start_date").startswith("The period overlaps")
    assert api.log_size() == size


def test_bd_grants_a_series(bd: PageClient, world, api: ApiClient):
    path = grant_path(world) + "/allocation-series/new"
    form = form_of(
        bd,
        path,
        units="8",
        every="quarter",
        start_date=days_ago(-31),
        count="4",
        description="Office hours",
    )
    response = bd.post(path, form)
    assert "Granted 4 allocations of 8 units to “Docs”, every quarter" in follow(bd, response)
    series = [
        a
        for a in api.get("/api/allocations").json["items"]
        if a["description"].startswith("Office hours")
    ]
    assert len(series) == 4 and {a["units_granted"] for a in series} == {8}


def test_bd_amends_reassigns_and_cancels_an_allocation(bd: PageClient, world, api: ApiClient):
    allocation_id = world["allocation"]["id"]
    amend = f"/allocations/{allocation_id}/amend"
    form = form_of(bd, amend, units="26", reason="six more units agreed")
    assert form["description"] == "Q hours", "the form shows the current terms"
    assert "Amended “Q hours”: 26 of 26 units remaining" in follow(bd, bd.post(amend, form))
    assert api.get(f"/api/allocations/{allocation_id}").json["units_granted"] == 26

    reassign = f"/allocations/{allocation_id}/reassign"
    html = bd.text(reassign)
    assert '<option value="ana"' not in html, "the current provider is not offered"
    form = form_of(bd, reassign, provider="ben", reason="Ana moves team")
    assert "provided by Ben." in follow(bd, bd.post(reassign, form))
    assert api.get(f"/api/allocations/{allocation_id}").json["provider"] == "ben"

    cancel = f"/allocations/{allocation_id}/cancel"
    form = form_of(bd, cancel, reason="the partner withdrew")
    assert "Cancelled “Q hours”." in follow(bd, bd.post(cancel, form))
    assert api.get(f"/api/allocations/{allocation_id}").json["status"] == "cancelled"
    size = api.log_size()
    again = bd.post(cancel, form_of(bd, cancel, reason="twice"))
    assert again.status_code == 409 and "cancelled" in again.text
    assert api.log_size() == size


def test_an_amendment_refused_by_the_ledger_writes_nothing(bd: PageClient, world, api: ApiClient):
    allocation_id = world["allocation"]["id"]
    api.post(
        f"/api/allocations/{allocation_id}/activities",
        activity(date_from=days_ago(2), date_to=days_ago(2)),
    )
    path = f"/allocations/{allocation_id}/amend"
    size = api.log_size()
    response = bd.post(path, form_of(bd, path, end_date=days_ago(5), reason="shorter"))
    assert response.status_code == 422
    assert error_under(response.text, "end_date").startswith("The new period would leave")
    assert api.log_size() == size


@pytest.mark.parametrize("role", ["manager", "member", "auditor", "viewer"])
def test_other_roles_get_neither_the_links_nor_the_forms(app: Flask, world, make_token, role):
    page = signed_in_page(app, make_token(role, member="ana" if role == "member" else None))
    engagement_id = world["engagement"]["id"]
    html = page.text(f"/engagements/{engagement_id}")
    assert "Define a project" not in html and "Amend" not in html
    for path in (
        "/engagements/new",
        f"/engagements/{engagement_id}/edit",
        grant_path(world) + "/allocations/new",
        f"/allocations/{world['allocation']['id']}/cancel",
    ):
        assert page.get(path).status_code == 403, path


def test_the_plan_leads_bd_to_the_engagement_forms(bd: PageClient):
    html = bd.text("/plan")
    assert 'href="/engagements">engagements\' pages</a>' in html
    assert 'href="/engagements/new">open an engagement</a>' in html


def once_forms(world) -> dict[str, tuple[str, dict[str, str]]]:
    """(path, filled fields) of each form whose command honours the form's key."""
    grants = grant_path(world)
    return {
        "project": (
            f"/engagements/{world['engagement']['id']}/projects/new",
            {"name": "Guides", "outcome": "Newcomers publish alone"},
        ),
        "grant": (
            grants + "/allocations/new",
            {"start_date": days_ago(-31), "end_date": days_ago(-60), "units": "16"}
            | {"description": "Spring sprint"},
        ),
        "series": (
            grants + "/allocation-series/new",
            {"units": "8", "every": "month", "start_date": days_ago(-31), "count": "2"}
            | {"description": "Office hours"},
        ),
        "cancel": (f"/allocations/{world['allocation']['id']}/cancel", {"reason": "withdrawn"}),
    }


@pytest.mark.parametrize("which", ["project", "grant", "series", "cancel"])
def test_a_form_sent_twice_writes_once(bd: PageClient, world, api: ApiClient, which: str):
    path, fields = once_forms(world)[which]
    form = form_of(bd, path, **fields)
    assert bd.post(path, form).status_code == 303
    size = api.log_size()
    again = bd.post(path, form)
    assert again.status_code == 303, "the second sending answers as the first"
    assert api.log_size() == size
