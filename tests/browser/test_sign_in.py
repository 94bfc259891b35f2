"""Signing in to the pages (docs/explanation/web-app.md) in a real browser: the token form, one-time
links, the session cookie, signing out and revoking (ended on the server, for every
gunicorn worker), CSRF, and the page's accessibility."""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.support.browser_pages import (
    Member,
    check_axe,
    no_horizontal_scroll,
    read,
    screenshot,
    sign_in,
    sign_in_link,
    sign_out,
)
from tests.support.servers import Service, days_ago, wait_until

HOME_OF_ROLE = {
    "member": "/my",
    "manager": "/review",
    "bd": "/plan",
    "auditor": "/audit",
    "viewer": "/engagements",
    "admin": "/engagements",
}


def path_of(page: Page) -> str:
    return urlsplit(page.url).path


def test_the_sign_in_form_asks_for_a_token(page: Page):
    response = page.goto("/sign-in")
    assert response.status == 200
    field = page.get_by_label("API token")
    expect(field).to_have_attribute("name", "token")
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    csrf = page.locator("form", has=field).locator("input[type=hidden][name=csrf_token]")
    expect(csrf).to_have_count(1)
    assert csrf.input_value()


@pytest.mark.parametrize("role", sorted(HOME_OF_ROLE))
def test_each_role_signs_in_to_its_home_page(
    role: str, page: Page, token_for: Callable[[str], str], request: pytest.FixtureRequest
):
    token = request.getfixturevalue("member").token if role == "member" else token_for(role)
    landed = sign_in(page, token)
    posted = landed.request.redirected_from
    assert posted is not None and posted.method == "POST", "the form post should redirect"
    assert posted.response().status == 303
    assert landed.status == 200, page.content()[:2000]
    assert path_of(page) == HOME_OF_ROLE[role]
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    page.goto("/")
    assert path_of(page) == HOME_OF_ROLE[role], "/ sends each role to its home page"


def test_a_wrong_token_is_refused_on_the_form(page: Page):
    page.goto("/sign-in")
    page.get_by_label("API token").fill("ces_not-a-real-token")
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name="Sign in").click()
    assert navigation.value.status == 401
    expect(page.get_by_text("not valid")).to_be_visible()
    expect(page.get_by_label("API token")).to_be_visible()
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)
    screenshot(page, "sign-in-refused")


def test_the_session_cookie_is_http_only_and_same_site_lax(
    page: Page, token_for: Callable[[str], str]
):
    sign_in(page, token_for("manager"))
    cookies = page.context.cookies()
    assert cookies, "signing in should set a session cookie"
    for cookie in cookies:
        assert cookie["httpOnly"], cookie["name"]
        assert cookie["sameSite"] == "Lax", cookie["name"]
        assert token_for("manager") not in cookie["value"], "the cookie must not hold the secret"


def test_signing_out_ends_the_session(page: Page, token_for: Callable[[str], str]):
    sign_in(page, token_for("manager"))
    page.goto("/my")
    assert path_of(page) == "/my"
    sign_out(page)
    page.goto("/my")
    assert path_of(page) == "/sign-in"
    expect(page.get_by_label("API token")).to_be_visible()


def test_a_cookie_copied_before_sign_out_opens_nothing_after_it(
    new_context: Callable[..., BrowserContext], token_for: Callable[[str], str]
):
    """Sessions live on the server: whichever gunicorn worker answers, the copy is refused."""
    mine = new_context().new_page()
    sign_in(mine, token_for("manager"))
    copy = new_context(storage_state=mine.context.storage_state()).new_page()
    copy.goto("/review")
    assert path_of(copy) == "/review"
    sign_out(mine)
    for _ in range(6):  # several requests, so several of the workers
        copy.goto("/review")
        assert path_of(copy) == "/sign-in"


def test_revoking_a_token_ends_its_session_at_the_next_request(
    page: Page, service: Service, member: Member
):
    sign_in(page, member.token)
    for _ in range(3):
        page.goto("/my")
        assert path_of(page) == "/my"
    service.flask("tokens", "revoke", member.token)
    for _ in range(6):  # within the API's 30 s token cache, on several workers
        page.goto("/my")
        assert path_of(page) == "/sign-in"


def test_a_sign_in_link_signs_in_once(service: Service, new_context: Callable[..., BrowserContext]):
    secret, link = sign_in_link(service, "bd")
    assert secret.startswith("ces_")
    assert link.startswith(f"{service.url}/sign-in/link/")
    first, second = (new_context().new_page() for _ in range(2))
    # Opening the link signs nobody in (a mail scanner following it spends nothing).
    for page in (first, second):
        assert page.goto(link).status == 200
        expect(page.get_by_role("button", name="Sign in")).to_be_visible()
        expect(page.get_by_role("button", name="Sign out")).to_have_count(0)
    check_axe(first)
    with first.expect_navigation():
        first.get_by_role("button", name="Sign in").click()
    assert path_of(first) == HOME_OF_ROLE["bd"]
    expect(first.get_by_role("button", name="Sign out")).to_be_visible()

    # Used, it signs nobody else in: a page opened before refuses on pressing, and
    # opening it again says so at once (410).
    with second.expect_navigation() as navigation:
        second.get_by_role("button", name="Sign in").click()
    assert navigation.value.status == 410
    third = new_context().new_page()
    assert third.goto(link).status == 410
    for page in (second, third):
        expect(page.get_by_text("already been used")).to_be_visible()
        page.goto("/plan")
        assert path_of(page) == "/sign-in"


def test_a_form_post_without_its_csrf_token_is_refused_and_records_nothing(
    page: Page, member: Member
):
    sign_in(page, member.token)
    page.goto("/my")
    fields = {
        "allocation_id": member.allocation_id,
        "units": "5",
        "description": "Posted from another site",
        "date_from": days_ago(0),
        "date_to": days_ago(0),
        "confirm": "yes",
    }
    refused = page.request.post("/my", form=fields, max_redirects=0)
    assert refused.status == 400, refused.text()[:2000]

    # The same form with the page's token and 3 units is taken: the refusal was the CSRF
    # check's. Once the balance shows the later post, it would show the refused one too.
    token = page.locator("form:has([name=allocation_id]) [name=csrf_token]").input_value()
    taken = {**fields, "units": "3", "description": "Reviewed the guide", "csrf_token": token}
    answer = page.request.post("/my", form=taken, max_redirects=0)
    assert answer.status in (200, 303), re.findall(r"field-error[^>]*>([^<]*)", answer.text())
    path = f"/api/allocations/{member.allocation_id}"
    used = wait_until(lambda: read(member.api, path)["units_used"], 10, "the taken post")
    assert used == 3
    items = read(member.api, f"{path}/activities")["items"]
    assert [item["description"] for item in items] == ["Reviewed the guide"]


def test_the_sign_in_page_is_accessible_and_fits_a_phone(page: Page, phone_page: Page):
    page.goto("/sign-in")
    check_axe(page)
    no_horizontal_scroll(page)
    screenshot(page, "sign-in")

    phone_page.goto("/sign-in")
    check_axe(phone_page)
    no_horizontal_scroll(phone_page)
    screenshot(phone_page, "sign-in-phone")
