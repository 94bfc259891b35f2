"""The team pages (`/team`, `/team/new`, `/team/{handle}`) as a line manager uses them:
the list is the API's, registering and changing FTE or departure go through the API's
schemas and commands, and a refusal shows the form again, in the labels' words, with
nothing recorded."""

from __future__ import annotations

import re

import pytest
from flask import Flask

from tests.support.api import ApiClient
from tests.support.dates import days_ago
from tests.support.pages import PageClient, form_values, signed_in_page


@pytest.fixture
def manager(app: Flask, world, make_token) -> PageClient:
    return signed_in_page(app, make_token("manager"))


def team(api: ApiClient) -> dict[str, dict]:
    return {m["handle"]: m for m in api.get("/api/team-members").json["items"]}


def register_form(page: PageClient, **fields: str) -> dict[str, str]:
    hidden = form_values(page.text("/team/new"), "register-form")
    return {
        **hidden,
        "name": "Priya Raman",
        "handle": "priya",
        "fte": "0.8",
        "line_manager": "ana",
        "effective_date": days_ago(10),
        **fields,
    }


def follow(page: PageClient, response) -> str:
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    return page.text(response.headers["Location"])


def test_the_team_page_lists_members_with_their_line_manager_by_name(manager: PageClient):
    html = manager.text("/team")
    row = re.search(r'<tr data-member="ben">(.*?)</tr>', html, re.S)
    assert row, "ben is not listed"
    assert "Ben" in row[1] and 'data-field="fte">0.5<' in row[1]
    assert f'data-field="started_on">{days_ago(365)}<' in row[1]
    assert 'href="/team/new"' in html


def test_a_manager_registers_a_member_and_lands_on_their_page(manager: PageClient, api: ApiClient):
    landed = follow(manager, manager.post("/team/new", register_form(manager)))
    assert "Registered Priya Raman (priya), 0.8 FTE from" in landed
    assert 'data-field="line_manager">Ana<' in landed
    registered = team(api)["priya"]
    assert (registered["name"], registered["fte"], registered["line_manager"]) == (
        "Priya Raman",
        "0.8",
        "ana",
    )


def test_the_same_registration_sent_twice_records_once(manager: PageClient, api: ApiClient):
    form = register_form(manager)
    follow(manager, manager.post("/team/new", form))
    again = manager.post("/team/new", form)
    assert again.status_code == 303, again.get_data(as_text=True)[:1000]
    registered = api.get("/api/audit/events", event_type="TeamMemberRegistered").json["items"]
    assert len(registered) == 3, "ana, ben and priya, once each"


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"name": ""}, "name", "Fill in name."),
        ({"fte": "1.5"}, "fte", "FTE must be more than 0 and at most 1."),
        ({"handle": "pri ya"}, "handle", "Handle: letters, digits and . _ @ - only."),
        ({"handle": "ana"}, "_form", "Team member ana is already registered."),
    ],
)
def test_bad_registrations_are_refused_under_the_field_and_record_nothing(
    manager: PageClient, api: ApiClient, fields, field, message
):
    before = team(api)
    answer = manager.post("/team/new", register_form(manager, **fields))
    html = answer.get_data(as_text=True)
    assert answer.status_code in (409, 422), html[:1000]
    assert message in html
    if field != "_form":
        assert f'id="register-{field}-error"' in html
        assert "Missing data for required field" not in html
    assert team(api) == before


def member_form(page: PageClient, handle: str, which: str, **fields: str) -> dict[str, str]:
    return {**form_values(page.text(f"/team/{handle}"), f"{which}-form"), **fields}


def test_a_manager_changes_fte_from_a_date_and_records_a_departure(
    manager: PageClient, api: ApiClient
):
    changed = manager.post(
        "/team/ben", member_form(manager, "ben", "fte", fte="0.6", effective_date=days_ago(5))
    )
    assert "Ben works 0.6 FTE from" in follow(manager, changed)
    assert [e["fte"] for e in team(api)["ben"]["capacity_history"]] == ["0.5", "0.6"]

    departed = manager.post(
        "/team/ben", member_form(manager, "ben", "departure", departed_on=days_ago(-20))
    )
    html = follow(manager, departed)
    assert f"Ben leaves the team on {days_ago(-20)}." in html
    assert 'id="departure-form"' not in html, "a departed member has nothing left to change"
    assert team(api)["ben"]["departed_on"] == days_ago(-20)


def test_a_manager_changes_a_member_s_line_manager(manager: PageClient, api: ApiClient):
    changed = manager.post(
        "/team/ana", member_form(manager, "ana", "line_manager", line_manager="ben")
    )
    html = follow(manager, changed)
    assert "The line manager of Ana is now ben." in html
    assert 'data-field="line_manager">Ben<' in html, "shown by name"
    assert team(api)["ana"]["line_manager"] == "ben"


def test_a_leaver_s_allocations_are_handed_over_from_their_page(
    manager: PageClient, api: ApiClient, world
):
    follow(
        manager,
        manager.post(
            "/team/ana", member_form(manager, "ana", "departure", departed_on=days_ago(-10))
        ),
    )
    html = manager.text("/team/ana")
    assert "Open Data Week · Docs · Q hours" in html, "the allocation running past the departure"
    form = member_form(manager, "ana", "hand_over")
    sent = {
        **form,
        "allocation_ids": world["allocation"]["id"],
        "provider": "ben",
        "reason": "Ana leaves",
    }
    assert "Handed 1 allocation to ben." in follow(manager, manager.post("/team/ana", sent))
    allocation = api.get(f"/api/allocations/{world['allocation']['id']}").json
    assert allocation["provider"] == "ben"
    assert "Nothing to hand over" in manager.text("/team/ana")


def test_a_hand_over_with_no_allocation_chosen_is_asked_for(
    manager: PageClient, api: ApiClient, world
):
    follow(
        manager,
        manager.post(
            "/team/ana", member_form(manager, "ana", "departure", departed_on=days_ago(-10))
        ),
    )
    sent = {**member_form(manager, "ana", "hand_over"), "provider": "ben", "reason": "Ana leaves"}
    answer = manager.post("/team/ana", sent)
    assert answer.status_code == 422
    html = answer.get_data(as_text=True)
    assert 'id="hand_over-allocation_ids-error">Choose allocations to hand over.<' in html
    assert api.get(f"/api/allocations/{world['allocation']['id']}").json["provider"] == "ana"


def test_an_fte_change_without_its_date_is_asked_for_by_label(manager: PageClient, api: ApiClient):
    before = team(api)["ben"]
    answer = manager.post("/team/ben", member_form(manager, "ben", "fte", fte="0.6"))
    assert answer.status_code == 422
    assert 'id="fte-effective_date-error">Fill in from.<' in answer.get_data(as_text=True)
    assert team(api)["ben"] == before


def test_an_unknown_member_is_not_found(manager: PageClient):
    assert manager.get("/team/nobody").status_code == 404


def test_a_member_may_not_open_the_team_pages(app: Flask, world, make_token):
    page = signed_in_page(app, make_token("member", member="ana"))
    assert page.get("/team").status_code == 403
    assert page.get("/team/new").status_code == 403


def test_a_manager_registers_a_members_email_changes_it_and_a_bad_one_is_refused(
    manager: PageClient, api: ApiClient
):
    follow(manager, manager.post("/team/new", register_form(manager, email="priya@example.org")))
    assert team(api)["priya"]["email"] == "priya@example.org"
    changed = manager.post(
        "/team/priya", member_form(manager, "priya", "email", email="p.raman@example.org")
    )
    assert "Notifications for Priya Raman go to p.raman@example.org." in follow(manager, changed)
    refused = manager.post("/team/priya", member_form(manager, "priya", "email", email="nope"))
    assert refused.status_code == 422
    assert 'id="email-email-error"' in refused.get_data(as_text=True)
    assert team(api)["priya"]["email"] == "p.raman@example.org"
