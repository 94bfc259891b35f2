"""People's access (`/access`), as an admin uses it: a token or a one-time sign-in link
given for a person and role is shown once and works; the list shows every token with no
secret; revoking one refuses it at once; bad input is refused in the labels' words with
nothing issued; nobody but an admin opens the page."""

from __future__ import annotations

import re

import pytest
from flask import Flask

from tests.support.api import ApiClient
from tests.support.pages import PageClient, form_values, signed_in_page

SECRET = re.compile(r'data-field="token"><code>(ces_[^<]+)</code>')
LINK = re.compile(r'data-field="link"><code>([^<]+)</code>')


@pytest.fixture
def admin_page(app: Flask, world, make_token) -> PageClient:
    return signed_in_page(app, make_token("admin", name="Ada Admin"))


def give(page: PageClient, **fields: str):
    hidden = form_values(page.text("/access"), "give-form")
    return page.post("/access", {**hidden, "delivery": "link", **fields})


def grant_rows(page: PageClient) -> dict[str, str]:
    """token id -> what its row says (without its forms, whose CSRF tokens change)."""
    html = page.text("/access")
    rows = re.findall(r'<tr data-token-id="([^"]+)">(.*?)</tr>', html, re.S)
    return {token_id: re.sub(r"<form.*?</form>", "", row, flags=re.S) for token_id, row in rows}


def test_a_token_given_is_shown_once_and_works_on_the_api(
    admin_page: PageClient, app: Flask, api: ApiClient
):
    answer = give(admin_page, role="bd", name="Bea Dev", delivery="token")
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200, html[:1000]
    assert answer.headers["Cache-Control"] == "no-store"
    secret = SECRET.search(html)[1]
    me = api.as_(secret).get("/api/me")
    assert me.status_code == 200 and me.json["name"] == "Bea Dev" and me.json["role"] == "bd"
    assert secret not in admin_page.text("/access"), "the list shows no secret"


def test_a_sign_in_link_for_a_member_signs_them_in_once(admin_page: PageClient, app: Flask):
    html = give(admin_page, role="member", member="ana").get_data(as_text=True)
    link = LINK.search(html)[1]
    assert link.startswith("http://localhost/sign-in/link/"), "the request's address"
    path = link.removeprefix("http://localhost")
    browser = PageClient(app.test_client())
    opened = browser.get(path)
    assert opened.status_code == 200
    signed = browser.post(path, {})
    assert signed.status_code == 303 and signed.headers["Location"] == "/my"
    assert PageClient(app.test_client()).get(path).status_code == 410, "used once"
    row = next(r for r in grant_rows(admin_page).values() if "(ana)" in r)
    assert "1 issued, 1 used" in row and "member" in row


@pytest.mark.parametrize("app_env", [{"PUBLIC_URL": "https://ces.example.org"}])
def test_links_point_at_public_url_when_it_is_set(admin_page: PageClient):
    html = give(admin_page, role="viewer", name="Vera").get_data(as_text=True)
    assert LINK.search(html)[1].startswith("https://ces.example.org/sign-in/link/")


def test_revoking_a_token_refuses_it_at_once(admin_page: PageClient, api: ApiClient):
    html = give(admin_page, role="auditor", name="Aud Itor", delivery="token").get_data(
        as_text=True
    )
    secret = SECRET.search(html)[1]
    token_id = next(t for t, row in grant_rows(admin_page).items() if "Aud Itor" in row)
    revoked = admin_page.post(f"/access/{token_id}/revocation", {})
    assert revoked.status_code == 303
    assert "Revoked the auditor access of Aud Itor" in admin_page.text("/access")
    assert api.as_(secret).get("/api/me").status_code == 401
    assert "revoked" in grant_rows(admin_page)[token_id]
    again = admin_page.post(f"/access/{token_id}/revocation", {})
    assert again.status_code == 303, "a revocation sent twice changes nothing more"


def test_a_new_link_for_a_listed_token_signs_its_person_in(admin_page: PageClient, app: Flask):
    give(admin_page, role="manager", name="Lee Chen", delivery="token")
    token_id = next(t for t, row in grant_rows(admin_page).items() if "Lee Chen" in row)
    html = admin_page.post(f"/access/{token_id}/link", {}).get_data(as_text=True)
    path = LINK.search(html)[1].removeprefix("http://localhost")
    browser = PageClient(app.test_client())
    assert browser.get(path).status_code == 200
    assert browser.post(path, {}).headers["Location"] == "/review"


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"role": ""}, "role", "Fill in role."),
        ({"role": "member", "name": "Nobody"}, "member", "A member token names its team member."),
        ({"role": "viewer"}, "name", "A token names the person who holds it"),
        ({"role": "bd", "name": "X", "member": "zed"}, "member", "Zed is not a registered"),
    ],
)
def test_bad_access_is_refused_under_the_field_and_issues_nothing(
    admin_page: PageClient, fields, field, message
):
    before = grant_rows(admin_page)
    answer = give(admin_page, **fields)
    html = answer.get_data(as_text=True)
    assert answer.status_code == 422, html[:1000]
    error = re.search(rf'id="give-{field}-error">([^<]*)<', html)
    assert error and message in error[1], html[:3000]
    assert grant_rows(admin_page) == before


def test_a_revocation_without_the_csrf_token_is_refused(admin_page: PageClient):
    token_id = next(iter(grant_rows(admin_page)))
    answer = admin_page.post(f"/access/{token_id}/revocation", {}, with_csrf=False)
    assert answer.status_code == 400
    assert "revoked" not in grant_rows(admin_page)[token_id]


@pytest.mark.parametrize("role", ["bd", "manager", "auditor", "viewer"])
def test_only_an_admin_opens_the_access_page(app: Flask, world, make_token, role):
    page = signed_in_page(app, make_token(role))
    assert page.get("/access").status_code == 403
    assert 'href="/access"' not in page.text("/engagements")
