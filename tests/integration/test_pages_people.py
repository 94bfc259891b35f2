"""The people page (`/access/people`), as an admin uses it: a person given a role by
email is listed and removed; bad input is refused under its field with nothing
written; nobody but an admin opens it."""

from __future__ import annotations

import pytest
from flask import Flask

from tests.support.pages import PageClient, form_values, signed_in_page


@pytest.fixture
def admin_page(app: Flask, world, make_token) -> PageClient:
    return signed_in_page(app, make_token("admin", name="Ada Admin"))


def add(page: PageClient, **fields: str):
    hidden = form_values(page.text("/access/people"), "add-form")
    return page.post("/access/people", {**hidden, **fields})


def test_a_person_given_a_role_is_listed_then_removed(admin_page: PageClient, ledger):
    assert 'href="/access/people"' in admin_page.text("/access")
    answer = add(admin_page, email="Pat@Example.org", role="member", member="ana")
    assert answer.status_code == 303, answer.get_data(as_text=True)
    html = admin_page.text("/access/people")
    assert "pat@example.org may sign in as member." in html
    assert "Ana (ana)" in html and "not yet" in html
    (person,) = ledger.people()
    assert (person.role, person.member, person.name) == ("member", "ana", "Ana")
    removed = admin_page.post(f"/access/people/{person.id}/removal", {})
    assert removed.status_code == 303
    assert "their sessions end at their next page" in admin_page.text("/access/people")
    assert ledger.people()[0].removed


@pytest.mark.parametrize(
    ("fields", "field_id", "words"),
    [
        ({"email": "not-an-email", "role": "bd", "name": "B"}, "add-email-error", "email"),
        (
            {"email": "v@example.org", "role": "viewer", "name": "V"},
            "add-engagement_id-error",
            "engagement they may see",
        ),
        ({"email": "m@example.org", "role": "member"}, "add-member-error", "team member"),
        ({"email": "", "role": "bd", "name": "B"}, "add-email-error", "Fill in email"),
    ],
)
def test_bad_input_is_refused_under_its_field_and_writes_nothing(
    admin_page: PageClient, ledger, fields, field_id, words
):
    head = ledger.recorder.max_notification_id()
    answer = add(admin_page, **fields)
    html = answer.get_data(as_text=True)
    assert answer.status_code in (400, 422), html
    error = html.split(f'id="{field_id}"', 1)
    assert len(error) == 2 and words in error[1].split("</p>", 1)[0], html
    assert ledger.recorder.max_notification_id() == head


@pytest.mark.parametrize("role", ["bd", "manager", "auditor"])
def test_only_an_admin_opens_the_people_page(app: Flask, world, make_token, role):
    page = signed_in_page(app, make_token(role))
    assert page.get("/access/people").status_code == 403
