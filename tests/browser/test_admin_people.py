"""An admin runs the team and people's access with pages only (docs/reference/pages.md):
registers two members, changes one's FTE and line manager, gives a member a one-time
sign-in link that signs them in in a fresh browser, records a departure and hands the
leaver's allocations to another member, revokes a token so its person is refused; bad
input is refused under its field with nothing written. Each page is axe-core clean and
fits the screen at 1280 and 375 px."""

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
    unique,
)
from tests.support.servers import Client, days_ago


def checked(page: Page, name: str) -> None:
    """The page as it is: accessible, not wider than the screen, and screenshot."""
    check_axe(page)
    no_horizontal_scroll(page)
    screenshot(page, name)


def register(page: Page, name: str, handle: str, fte: str, line_manager: str) -> None:
    page.get_by_role("link", name="Team", exact=True).click()
    page.get_by_role("link", name="Register a member").click()
    page.get_by_label("Name").fill(name)
    page.get_by_label("Handle").fill(handle)
    page.get_by_label("FTE").fill(fte)
    page.get_by_label("Line manager").fill(line_manager)
    page.get_by_label("Start date").fill(days_ago(30))
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_role("status")).to_contain_text(f"Registered {name} ({handle})")


@pytest.fixture
def admin_page(page: Page, token_for: Callable[[str], str]) -> Page:
    sign_in(page, token_for("admin"))
    return page


def test_an_admin_registers_members_changes_fte_and_signs_a_member_in_by_link(
    admin_page: Page, new_context: Callable[..., BrowserContext]
):
    page = admin_page
    first, second = unique("pri"), unique("sam")
    register(page, "Priya Raman", first, "0.8", "lee")
    checked(page, "team-member-registered")
    register(page, "Sam Okafor", second, "0.5", first)
    expect(page.locator('[data-field="line_manager"]')).to_have_text("Priya Raman")

    page.get_by_role("link", name="Back to the team").click()
    expect(page.locator(f'tr[data-member="{second}"]')).to_contain_text("Sam Okafor")
    checked(page, "team-list")
    page.get_by_role("link", name="Priya Raman").click()
    page.get_by_label("New FTE").fill("0.6")
    page.get_by_label("From").fill(days_ago(1))
    page.get_by_role("button", name="Change FTE").click()
    expect(page.get_by_role("status")).to_contain_text(
        f"Priya Raman works 0.6 FTE from {days_ago(1)}"
    )
    expect(page.locator('[data-field="fte"]')).to_have_text("0.6")
    page.get_by_label("New line manager").fill(second)
    page.get_by_role("button", name="Change line manager").click()
    expect(page.get_by_role("status")).to_contain_text(
        f"The line manager of Priya Raman is now {second}"
    )
    expect(page.locator('[data-field="line_manager"]')).to_have_text("Sam Okafor")

    page.get_by_role("link", name="Access", exact=True).click()
    page.get_by_label("Role").select_option("member")
    page.get_by_label("Team member").select_option(first)
    page.get_by_label("a one-time sign-in link").check()
    page.get_by_role("button", name="Give access").click()
    link = page.locator('[data-field="link"]').inner_text().strip()
    checked(page, "access-given")

    member = new_context().new_page()
    member.goto(urlsplit(link).path)
    member.get_by_role("button", name="Sign in").click()
    expect(member).to_have_url(f"{urlsplit(link).scheme}://{urlsplit(link).netloc}/my")
    expect(member.locator(".who")).to_contain_text("Priya Raman")

    page.get_by_role("link", name="Back to people's access").click()
    expect(page.get_by_role("row", name=f"Priya Raman ({first})")).to_contain_text(
        "1 issued, 1 used"
    )
    checked(page, "access")


def test_an_admin_records_a_departure_and_hands_over_the_allocations(
    admin_page: Page, member: Member, admin: Client
):
    page = admin_page
    successor = unique("noor")
    register(page, "Noor Haddad", successor, "1", "lee")
    page.goto(f"/team/{member.handle}")
    page.get_by_label("Departure date").fill(days_ago(-5))
    page.get_by_role("button", name="Record the departure").click()
    expect(page.get_by_role("status")).to_contain_text(f"leaves the team on {days_ago(-5)}")
    expect(
        page.get_by_label("Open Data Week · Documentation · Documentation hours")
    ).to_be_checked()
    page.get_by_label("Hand over to").select_option(successor)
    checked(page, "team-member-hand-over")
    page.get_by_role("button", name="Hand over").click()
    expect(page.get_by_role("status")).to_contain_text(f"Handed 1 allocation to {successor}")
    expect(page.get_by_text("Nothing to hand over")).to_be_visible()
    assert read(admin, f"/api/allocations/{member.allocation_id}")["provider"] == successor


def test_a_revoked_token_is_refused_at_sign_in(
    admin_page: Page, new_context: Callable[..., BrowserContext]
):
    page = admin_page
    name = f"Vera {unique('v')}"
    page.goto("/access")
    page.get_by_label("Role").select_option("viewer")
    page.get_by_label("Name").fill(name)
    page.get_by_label("a token, for the API").check()
    page.get_by_role("button", name="Give access").click()
    secret = page.locator('[data-field="token"]').inner_text().strip()

    viewer = new_context().new_page()
    assert sign_in(viewer, secret).ok, "the token works before it is revoked"

    page.goto("/access")
    page.get_by_role("button", name=f"Revoke the access of {name}").click()
    expect(page.get_by_role("status")).to_contain_text(f"Revoked the viewer access of {name}")
    expect(page.get_by_role("row", name=name)).to_contain_text("revoked")

    viewer.goto("/engagements")
    expect(viewer).to_have_url(re.compile(r"/sign-in"))
    refused = new_context().new_page()
    sign_in(refused, secret)
    expect(refused.get_by_text("That token is not valid")).to_be_visible()


def test_bad_input_is_refused_under_its_field_and_nothing_is_written(admin_page: Page):
    page = admin_page
    handle = unique("bad")
    page.goto("/team/new")
    page.get_by_label("Name").fill("Bad Input")
    page.get_by_label("Handle").fill(handle)
    page.get_by_label("FTE").fill("1.5")
    page.get_by_label("Line manager").fill("lee")
    page.get_by_role("button", name="Register").click()
    expect(page.locator("#register-fte-error")).to_have_text(
        "FTE must be more than 0 and at most 1."
    )
    expect(page.locator("#register-effective_date-error")).to_have_text("Fill in start date.")
    expect(page.get_by_role("alert")).to_contain_text("Start date")
    checked(page, "team-new-refused")
    page.goto("/team")
    expect(page.locator(f'tr[data-member="{handle}"]')).to_have_count(0)

    page.goto("/access")
    page.get_by_label("Role").select_option("member")
    page.get_by_label("Name").fill("Someone")
    page.get_by_role("button", name="Give access").click()
    expect(page.locator("#give-member-error")).to_have_text("A member token names its team member.")
    expect(page.get_by_role("row", name="Someone")).to_have_count(0)


@pytest.mark.parametrize("path", ["/team", "/team/new", "/access"])
def test_the_admin_pages_fit_a_phone(
    path: str, new_context: Callable[..., BrowserContext], token_for: Callable[[str], str]
):
    phone = new_context(phone=True).new_page()
    sign_in(phone, token_for("admin"))
    phone.goto(path)
    expect(phone.get_by_role("heading", level=1)).to_be_visible()
    checked(phone, f"admin{path.replace('/', '-')}-phone")


def test_a_manager_sees_the_team_but_not_people_s_access(
    page: Page, token_for: Callable[[str], str]
):
    sign_in(page, token_for("manager"))
    expect(page.get_by_role("link", name="Team", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Access", exact=True)).to_have_count(0)
    response = page.goto("/access")
    assert response is not None and response.status == 403
    checked(page, "access-forbidden")
