"""Business development and admins do their work on engagements and allocations with
pages only (docs/reference/pages.md): a BD opens an engagement, changes its details,
defines a project, grants an allocation and closes the engagement; an admin on a phone
grants a series, amends an allocation, hands it to another provider and cancels it.
The API shows each write; bad input is refused with a message under its field and
nothing written; every form is axe-core clean and fits a 1280-px and a 375-px screen;
other roles get neither the links nor the pages."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, Locator, Page, expect

from tests.support.browser_pages import (
    Member,
    check_axe,
    new_member,
    no_horizontal_scroll,
    read,
    screenshot,
    sign_in,
    unique,
)
from tests.support.servers import Client, Service, days_ago


def click_to(page: Page, name: str) -> None:
    with page.expect_navigation():
        page.get_by_role("link", name=name, exact=True).click()


def submit(page: Page, button: str) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name=button).click()


def checked(page: Page) -> None:
    check_axe(page)
    no_horizontal_scroll(page)


def flash(page: Page) -> Locator:
    """The page a form led to, after a write: it says what was done."""
    return page.get_by_role("status")


def register(admin: Client, name: str) -> str:
    handle = unique(name.split()[0].lower())
    admin.created(
        "/api/team-members",
        {
            "handle": handle,
            "name": name,
            "fte": "0.5",
            "line_manager": "lee",
            "effective_date": days_ago(400),
        },
    )
    return handle


def test_bd_opens_an_engagement_and_grants_with_pages_only(
    page: Page, admin: Client, token_for: Callable[[str], str]
):
    name = unique("Civic Tech Days ")
    provider = register(admin, "Noor Vos")
    sign_in(page, token_for("bd"))
    click_to(page, "Engagements")
    click_to(page, "Open an engagement")
    expect(page.get_by_role("heading", level=1)).to_have_text("Open an engagement")
    checked(page)

    before = read(admin, "/api/engagements", limit=1)["total"]
    submit(page, "Open the engagement")
    expect(page.get_by_role("alert")).to_contain_text("Nothing was recorded")
    expect(page.locator("#name-error")).to_have_text("Name is required.")
    expect(page.get_by_label("Name")).to_have_attribute("aria-invalid", "true")
    checked(page)
    assert read(admin, "/api/engagements", limit=1)["total"] == before

    page.get_by_label("Name").fill(name)
    page.get_by_label("Community").fill("Civic Tech NL")
    page.get_by_label("Description").fill("Three days of hacking on open data")
    page.get_by_label("Start date").fill(days_ago(5))
    page.get_by_label("End date").fill(days_ago(-90))
    page.get_by_label("Contacts").fill("Ria Bos\nTom Smit")
    submit(page, "Open the engagement")
    expect(flash(page)).to_have_text(f"Opened the engagement “{name}”.")
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    engagement_id = page.url.rsplit("/", 1)[1]
    opened = read(admin, f"/api/engagements/{engagement_id}")
    assert (opened["community"], opened["contacts"]) == ("Civic Tech NL", ["Ria Bos", "Tom Smit"])
    checked(page)

    click_to(page, "Change the details")
    expect(page.get_by_label("Name")).to_have_value(name)
    page.get_by_label("Community").fill("Civic Tech BE")
    submit(page, "Save the changes")
    expect(flash(page)).to_have_text(f"Saved the details of “{name}”.")
    assert read(admin, f"/api/engagements/{engagement_id}")["community"] == "Civic Tech BE"

    click_to(page, "Define a project")
    page.get_by_label("Name").fill("Hackathon")
    page.get_by_label("Outcome").fill("Three working prototypes")
    submit(page, "Define the project")
    expect(flash(page)).to_have_text(f"Defined the project “Hackathon” of “{name}”.")

    click_to(page, "Grant an allocation to Hackathon")
    page.get_by_label("Start date").fill(days_ago(0))
    page.get_by_label("End date").fill(days_ago(-10))
    page.get_by_label("Units").fill("24")
    page.get_by_label("Description").fill("Mentoring the teams")
    page.get_by_label("Provider").select_option(provider)
    submit(page, "Grant")
    expect(flash(page)).to_contain_text("Granted “Mentoring the teams” to “Hackathon”")
    [project] = read(admin, f"/api/engagements/{engagement_id}")["projects"]
    [allocation] = project["allocations"]
    assert (allocation["units_granted"], allocation["provider"]) == (24, provider)
    assert (allocation["start_date"], allocation["end_date"]) == (days_ago(0), days_ago(-10))

    click_to(page, "Close the engagement")
    page.get_by_label("Reason for closing").fill("the event is over")
    submit(page, "Close the engagement")
    expect(flash(page)).to_have_text(f"Closed “{name}”.")
    assert read(admin, f"/api/engagements/{engagement_id}")["closed"] is True
    expect(page.get_by_role("link", name="Define a project")).to_have_count(0)


def test_an_admin_on_a_phone_grants_a_series_amends_reassigns_and_cancels(
    phone_page: Page, service: Service, admin: Client, token_for: Callable[[str], str]
):
    page = phone_page
    member = new_member(service, admin)
    other = register(admin, "Sam Berg")
    sign_in(page, token_for("admin"))
    page.goto(f"/engagements/{member.engagement_id}")
    checked(page)

    click_to(page, "Grant recurring units to Documentation")
    checked(page)
    page.get_by_label("Units each period").fill("8")
    page.get_by_label("Repeats every").select_option("month")
    page.get_by_label("First day of the first period").fill(days_ago(-31))
    # Two months from a month ahead: within the engagement, which ends 100 days ahead.
    page.get_by_label("How many periods").fill("2")
    page.get_by_label("Description").fill("Office hours")
    submit(page, "Grant the series")
    expect(flash(page)).to_contain_text("Granted 2 allocations of 8 units to “Documentation”")
    items = read(admin, "/api/allocations", engagement_id=member.engagement_id)["items"]
    series = [a for a in items if a["description"].startswith("Office hours")]
    assert [a["units_granted"] for a in series] == [8, 8]

    card = page.locator(f'[data-allocation-id="{member.allocation_id}"]')
    with page.expect_navigation():
        card.get_by_role("link", name="Amend Documentation hours").click()
    checked(page)
    expect(page.get_by_label("Units granted")).to_have_value("40")
    page.get_by_label("End date").fill(days_ago(90))
    page.get_by_label("Reason for the amendment").fill("ends earlier")
    submit(page, "Amend")
    expect(page.locator("#end_date-error")).to_have_text(
        re.compile(r"^End date \d{4}-\d\d-\d\d is before the start \d{4}-\d\d-\d\d\.$")
    )
    checked(page)
    assert read(admin, f"/api/allocations/{member.allocation_id}")["units_granted"] == 40

    page.get_by_label("End date").fill(days_ago(-30))
    page.get_by_label("Units granted").fill("48")
    submit(page, "Amend")
    expect(flash(page)).to_contain_text("Amended “Documentation hours”: 48 of 48 units")
    assert read(admin, f"/api/allocations/{member.allocation_id}")["units_granted"] == 48

    with page.expect_navigation():
        card.get_by_role("link", name="Change the provider of Documentation hours").click()
    checked(page)
    page.get_by_label("New provider").select_option(other)
    page.get_by_label("Reason for the change").fill("Ana moves to another team")
    submit(page, "Hand it over")
    expect(flash(page)).to_contain_text("provided by Sam Berg.")
    assert read(admin, f"/api/allocations/{member.allocation_id}")["provider"] == other

    with page.expect_navigation():
        card.get_by_role("link", name="Cancel Documentation hours").click()
    checked(page)
    page.get_by_label("Reason for cancelling").fill("the partner withdrew")
    submit(page, "Cancel the allocation")
    expect(flash(page)).to_have_text("Cancelled “Documentation hours”.")
    assert read(admin, f"/api/allocations/{member.allocation_id}")["status"] == "cancelled"
    expect(card.get_by_role("link", name="Amend Documentation hours")).to_have_count(0)
    checked(page)


@pytest.fixture(scope="module")
def places(service: Service, admin: Client) -> Member:
    return new_member(service, admin)


FORMS = {
    "open-engagement": lambda m: "/engagements/new",
    "edit-engagement": lambda m: f"/engagements/{m.engagement_id}/edit",
    "close-engagement": lambda m: f"/engagements/{m.engagement_id}/close",
    "define-project": lambda m: f"/engagements/{m.engagement_id}/projects/new",
    "grant-allocation": lambda m: (
        f"/engagements/{m.engagement_id}/projects/{m.project_id}/allocations/new"
    ),
    "grant-series": lambda m: (
        f"/engagements/{m.engagement_id}/projects/{m.project_id}/allocation-series/new"
    ),
    "amend-allocation": lambda m: f"/allocations/{m.allocation_id}/amend",
    "reassign-allocation": lambda m: f"/allocations/{m.allocation_id}/reassign",
    "cancel-allocation": lambda m: f"/allocations/{m.allocation_id}/cancel",
}


@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
def test_each_form_is_accessible_fits_the_screen_and_is_refused_to_a_manager(
    phone: bool,
    places: Member,
    new_context: Callable[..., BrowserContext],
    token_for: Callable[[str], str],
):
    page = new_context(phone=phone).new_page()
    sign_in(page, token_for("bd"))
    for name, path in FORMS.items():
        response = page.goto(path(places))
        assert response is not None and response.status == 200, name
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        checked(page)
        screenshot(page, f"{name}-phone" if phone else name)

    manager = new_context(phone=phone).new_page()
    sign_in(manager, token_for("manager"))
    manager.goto(f"/engagements/{places.engagement_id}")
    expect(manager.get_by_role("heading", level=1)).to_have_text("Open Data Week")
    for link in ("Change the details", "Define a project", "Cancel Documentation hours"):
        expect(manager.get_by_role("link", name=link)).to_have_count(0)
    for name, path in FORMS.items():
        response = manager.goto(path(places))
        assert response is not None and response.status == 403, name
        expect(manager.get_by_text("may not open this page")).to_be_visible()


def test_the_engagements_list_offers_opening_one_only_to_those_who_may(
    page: Page, token_for: Callable[[str], str]
):
    sign_in(page, token_for("viewer"))
    page.goto("/engagements")
    expect(page.get_by_role("heading", level=1)).to_have_text("Engagements")
    expect(page.get_by_role("link", name="Open an engagement")).to_have_count(0)
    assert re.search(r"/engagements$", page.url)
