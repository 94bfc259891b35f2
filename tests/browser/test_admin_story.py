"""Issue 21's story, in a browser and with pages only (docs/tutorial/web-app.md): an
admin starts from an EMPTY ledger (a service and a database of its own, on each store)
and creates an engagement, a project, two members and an allocation series; signs a
member in by a one-time link, in a browser of the member's own; the member records an
activity; the admin closes the month and issues its statement, whose PDF and JSON carry
the monthly report's figures.

Only the admin's first sign-in link comes from the command line (`tokens create admin
--link`): someone must hold the first key. Every new page on the way is checked at
1280 and at 375 px (axe-core, nothing scrolling sideways) and left as a screenshot."""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from pypdf import PdfReader

from service.application import Clock
from service.domain.calendar import Month
from tests.support.browser_pages import (
    DESKTOP,
    PHONE,
    check_axe,
    no_horizontal_scroll,
    screenshot,
    sign_in_link,
)
from tests.support.servers import Service, drop_database, new_database

PDF_WAIT_MS = 120_000
TIMEOUT_MS = 10_000


@pytest.fixture(scope="module", params=("postgresql", "sqlite"))
def empty_service(request: pytest.FixtureRequest, tmp_path_factory) -> Iterator[Service]:
    """gunicorn (and its worker process) on a new, empty database of the store."""
    database = None
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('story') / 'ledger.sqlite3'}"
    else:
        database = new_database()
        url = f"postgresql://postgres@127.0.0.1:5432/{database}"
    service = Service(env={"DATABASE_URL": url, "SECRET_KEY": secrets.token_urlsafe(32)})
    service.env["PUBLIC_URL"] = service.url
    service.start()
    yield service
    service.stop()
    if database:
        drop_database(database)


class Screens:
    """The browser contexts of the story, on the empty service: each person's at
    1280 px, and (`looks_right`) the same session at 375 px to check a page there."""

    def __init__(self, browser: Browser, service: Service):
        self.browser = browser
        self.service = service
        self.contexts: list[BrowserContext] = []

    def new(self, **options) -> BrowserContext:
        context = self.browser.new_context(
            **{"viewport": DESKTOP, "base_url": self.service.url, "locale": "en-GB", **options}
        )
        context.set_default_timeout(TIMEOUT_MS)
        self.contexts.append(context)
        return context

    def looks_right(self, page: Page, name: str) -> None:
        """`page` as it is, then its address in the same session on a phone: axe-clean,
        nothing scrolling sideways, a screenshot of each (`name`, `name`-phone)."""
        check_axe(page)
        no_horizontal_scroll(page)
        screenshot(page, f"story-{name}")
        phone = self.new(
            storage_state=page.context.storage_state(),
            viewport=PHONE,
            is_mobile=True,
            has_touch=True,
        ).new_page()
        phone.goto(page.url)
        check_axe(phone)
        no_horizontal_scroll(phone)
        screenshot(phone, f"story-{name}-phone")
        phone.context.close()

    def close(self) -> None:
        for context in self.contexts:
            context.close()


@pytest.fixture
def screens(browser: Browser, empty_service: Service) -> Iterator[Screens]:
    made = Screens(browser, empty_service)
    yield made
    made.close()


def signed_in_by_link(context: BrowserContext, link: str) -> Page:
    page = context.new_page()
    page.goto(link)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    return page


def pdf_text(path: Path) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(path).pages)


def go(page: Page, link: str) -> None:
    with page.expect_navigation():
        page.get_by_role("link", name=link, exact=True).click()


def submit(page: Page, button: str) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name=button, exact=True).click()


def figures(page: Page, scope: str = "") -> dict[str, str]:
    """The figures a report or preview page shows (`scope`: a CSS selector within it)."""
    cells = page.locator(f"{scope} [data-field]".strip())
    return {
        cells.nth(i).get_attribute("data-field"): cells.nth(i).inner_text()
        for i in range(cells.count())
    }


def test_an_admin_starts_from_an_empty_ledger_and_issues_a_statement(
    empty_service: Service, screens: Screens
):
    today = Clock().today()
    month = Month.of(today)
    first_day, this_month = month.first_day.isoformat(), str(month)
    _, admin_link = sign_in_link(empty_service, "admin", "--name", "Ada Admin")
    admin = signed_in_by_link(screens.new(), admin_link)

    # An engagement and its project.
    go(admin, "Engagements")
    go(admin, "Open an engagement")
    screens.looks_right(admin, "open-engagement")
    admin.get_by_label("Name").fill("Open Data Week")
    admin.get_by_label("Community").fill("Open Data NL")
    admin.get_by_label("Description").fill("Help the community run its first data week")
    admin.get_by_label("Start date").fill(first_day)
    admin.get_by_label("End date").fill(f"{month.year + 1}-{month.month:02d}-01")
    submit(admin, "Open the engagement")
    expect(admin.get_by_role("status")).to_have_text("Opened the engagement “Open Data Week”.")
    engagement_url = admin.url
    go(admin, "Define a project")
    screens.looks_right(admin, "define-project")
    admin.get_by_label("Name").fill("Documentation")
    admin.get_by_label("Outcome").fill("Newcomers can publish a data set alone")
    submit(admin, "Define the project")
    expect(admin.get_by_role("status")).to_contain_text("Defined the project “Documentation”")

    # Two members.
    for name, handle in (("Priya Raman", "priya"), ("Jonas Becker", "jonas")):
        admin.goto("/team/new")
        if handle == "priya":
            screens.looks_right(admin, "register-member")
        admin.get_by_label("Name").fill(name)
        admin.get_by_label("Handle").fill(handle)
        admin.get_by_label("FTE").fill("0.8")
        admin.get_by_label("Line manager").fill("Ada Admin")
        admin.get_by_label("Start date").fill(first_day)
        submit(admin, "Register")
        expect(admin.get_by_role("status")).to_contain_text(name)

    # A series of monthly allocations Priya provides, from the first of this month.
    admin.goto(engagement_url)
    go(admin, "Grant recurring units to Documentation")
    screens.looks_right(admin, "grant-series")
    admin.get_by_label("Units each period").fill("24")
    admin.get_by_label("Repeats every").select_option("month")
    admin.get_by_label("First day of the first period").fill(first_day)
    admin.get_by_label("How many periods").fill("3")
    admin.get_by_label("Description").fill("Mentoring")
    admin.get_by_label("Provider of every period").select_option("priya")
    submit(admin, "Grant the series")
    expect(admin.get_by_role("status")).to_contain_text("Granted 3 allocations of 24 units")
    screens.looks_right(admin, "engagement")

    # Priya signs in by a one-time link, in a browser of her own, and records her work.
    go(admin, "Access")
    screens.looks_right(admin, "access")
    admin.get_by_label("Role").select_option("member")
    admin.get_by_label("Team member").select_option("priya")
    admin.get_by_label("a one-time sign-in link").check()
    submit(admin, "Give access")
    member_link = admin.locator('[data-field="link"]').inner_text().strip()
    check_axe(admin)  # shown once: not opened again on a phone
    no_horizontal_scroll(admin)
    assert member_link.startswith(f"{empty_service.url}/sign-in/link/"), member_link
    member = signed_in_by_link(screens.new(), member_link)
    expect(member.locator(".who")).to_contain_text("Priya Raman")
    expect(member).to_have_url(re.compile(r"/my$"))
    # Only this month's allocation of the series has begun: the one to record on.
    options = member.get_by_label("Allocation", exact=True).locator("option")
    expect(options).to_have_count(1)
    expect(options).to_contain_text(re.compile(f"Mentoring.*{this_month}"))
    member.get_by_role("group", name="Units").get_by_label("5", exact=True).check()
    member.get_by_label("Description", exact=True).fill("Ran the newcomers' session")
    submit(member, "Record")
    expect(member.get_by_role("status")).to_contain_text("Recorded 5 units")

    # The admin closes the month, after its confirm page.
    go(admin, "Months")
    screens.looks_right(admin, "months")
    go(admin, f"Close {this_month}")
    screens.looks_right(admin, "close-month")
    admin.get_by_label("Reason (optional)").fill("Books are final")
    submit(admin, f"Close {this_month}")
    expect(admin.get_by_role("status")).to_contain_text(f"Closed {this_month}")

    # The month's report, then its statement: previewed, issued, downloaded.
    admin.goto(engagement_url)
    go(admin, f"Report {this_month}")
    report = figures(admin, ".report-allocation")
    assert report == {
        "units_granted": "24", "units_used_month": "5", "units_used_to_date": "5",
        "units_remaining": "19",
    }, report  # fmt: skip
    admin.goto(engagement_url)
    go(admin, "Statements of Open Data Week: download as PDF, CSV or JSON; issue one")
    screens.looks_right(admin, "statements")
    admin.get_by_label("Month", exact=True).fill(this_month)
    submit(admin, "Preview the figures")
    assert figures(admin, ".report-allocation") == report
    screens.looks_right(admin, "statement-preview")
    submit(admin, f"Issue the statement for {this_month}")
    expect(admin.get_by_role("status")).to_contain_text(
        f"Issued the statement for {this_month}: 5 units used"
    )
    screens.looks_right(admin, "statements-issued")

    row = admin.locator(f'tr[data-month="{this_month}"]')
    with admin.expect_download() as download:
        row.get_by_role("link", name=f"JSON of the statement for {this_month}").click()
    statement = json.loads(Path(download.value.path()).read_text())
    [project] = statement["figures"]["projects"]
    [allocation] = project["allocations"]
    stated = {name: str(allocation[name]) for name in report}
    assert stated == report, stated
    assert statement["figures"]["totals"] == {
        "units_granted": 24, "units_used_month": 5, "units_used_to_date": 5,
    }  # fmt: skip
    with admin.expect_download(timeout=PDF_WAIT_MS) as download:
        row.get_by_role("link", name=f"PDF of the statement for {this_month}").click()
    text = pdf_text(Path(download.value.path()))
    assert re.search(r"\b24\s+5\s+5\s+19\b", text), text
    assert "Ran the newcomers' session" in text
    assert statement["id"] in re.sub(r"\s", "", text)  # a long line may wrap anywhere
