"""The pages BD and admins work in instead of the API (docs/reference/pages.md), in a
real browser at 1280 and 375 px: closing a month after its confirm page; previewing,
issuing and downloading a statement; checking a CSV file, then importing it. Each
page is axe-clean, scrolls only vertically, and its refusals are shown in words and
change nothing."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from service.application import Clock
from service.domain.calendar import Month, add_months
from tests.support.browser_pages import (
    Member,
    check_axe,
    no_horizontal_scroll,
    read,
    record_activity,
    screenshot,
    sign_in,
    unique,
)
from tests.support.csv_imports import ACTIVITY_COLUMNS, csv_text
from tests.support.csv_imports import row as activity_row
from tests.support.servers import Client

WIDTHS = pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
# Long past, so that closing them does not stop the other tests' members recording:
# one for each screen width (a month is closed once).
MONTH_CLOSED_ON = {False: "2023-01", True: "2023-02"}
MONTH_CLOSED_MEANWHILE = {False: "2023-03", True: "2023-04"}
PDF_WAIT_MS = 120_000


def admin_page(new_context: Callable[..., BrowserContext], token: str, phone: bool) -> Page:
    page = new_context(phone=phone).new_page()
    sign_in(page, token)
    return page


def looks_right(page: Page, name: str, phone: bool) -> None:
    check_axe(page)
    no_horizontal_scroll(page)
    screenshot(page, f"{name}-phone" if phone else name)


@WIDTHS
def test_an_admin_closes_a_month_after_confirming(
    phone: bool,
    new_context: Callable[..., BrowserContext],
    token_for: Callable[[str], str],
    admin: Client,
):
    month = MONTH_CLOSED_ON[phone]
    page = admin_page(new_context, token_for("admin"), phone)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Months").click()
    expect(page).to_have_url(re.compile(r"/months$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Months")
    looks_right(page, "months", phone)

    page.goto(f"/months/{month}/close")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Close {month}")
    looks_right(page, "close-month", phone)
    page.get_by_label("Reason (optional)").fill("Books are final")
    page.get_by_role("button", name=f"Close {month}").click()
    expect(page).to_have_url(re.compile(r"/months$"))
    expect(page.get_by_role("status")).to_contain_text(f"Closed {month}")
    row = page.locator(f'tr[data-month="{month}"]')
    expect(row.locator('[data-field="state"]')).to_have_text("closed")
    expect(row).to_contain_text("Books are final")
    closed = read(admin, "/api/periods")["items"]
    assert [c["reason"] for c in closed if c["month"] == month] == ["Books are final"]

    # A month closed since its confirm page was opened: refused in words, nothing written.
    other = MONTH_CLOSED_MEANWHILE[phone]
    page.goto(f"/months/{other}/close")
    assert admin.post(f"/api/periods/{other}/closure", {}).status_code == 201
    page.get_by_role("button", name=f"Close {other}").click()
    expect(page.get_by_role("alert")).to_contain_text(f"{other} is already closed")
    expect(page.get_by_text(f"{other} was closed on")).to_be_visible()
    closures = [c for c in read(admin, "/api/periods")["items"] if c["month"] == other]
    assert [c["reason"] for c in closures] == [None]


@WIDTHS
def test_bd_previews_issues_and_downloads_a_statement(
    phone: bool,
    member: Member,
    new_context: Callable[..., BrowserContext],
    token_for: Callable[[str], str],
    admin: Client,
):
    this_month = Month.of(Clock().today())
    month, next_month = str(this_month), str(add_months(this_month, 1))
    record_activity(member, 5, "Ran the newcomers' session")
    page = admin_page(new_context, token_for("bd"), phone)
    page.goto(f"/engagements/{member.engagement_id}")
    page.get_by_role("link", name=re.compile("^Statements of Open Data Week")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Statements: Open Data Week")
    expect(page.get_by_text("No statement issued yet.")).to_be_visible()
    looks_right(page, "statements", phone)

    # A month not begun: refused under the field, nothing issued.
    page.get_by_label("Month", exact=True).fill(next_month)
    page.get_by_role("button", name="Preview the figures").click()
    expect(page.locator("#month-error")).to_have_text(
        f"{next_month} has not begun; a statement is of a month under way or past"
    )
    expect(page.get_by_label("Month", exact=True)).to_have_attribute("aria-invalid", "true")
    assert read(admin, f"/api/engagements/{member.engagement_id}/statements")["items"] == []

    page.get_by_label("Month", exact=True).fill(month)
    page.get_by_role("button", name="Preview the figures").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Statement {month}: Open Data Week")
    figures = page.locator(f'[data-allocation-id="{member.allocation_id}"] table.report-figures')
    expect(figures.locator("td")).to_have_text(["40", "5", "5", "35"])
    looks_right(page, "statement-preview", phone)
    page.get_by_role("button", name=f"Issue the statement for {month}").click()
    expect(page.get_by_role("status")).to_contain_text(
        f"Issued the statement for {month}: 5 units used"
    )
    [issued] = read(admin, f"/api/engagements/{member.engagement_id}/statements")["items"]
    row = page.locator(f'tr[data-statement-id="{issued["id"]}"]')
    expect(row.locator('[data-field="units_used_month"]')).to_have_text("5")

    with page.expect_download() as download:
        row.get_by_role("link", name=f"JSON of the statement for {month}").click()
    saved = json.loads(Path(download.value.path()).read_text())
    assert saved == read(admin, f"/api/statements/{issued['id']}")
    if not phone:  # the worker prints it once: one wait is enough
        with page.expect_download(timeout=PDF_WAIT_MS) as download:
            row.get_by_role("link", name=f"PDF of the statement for {month}").click()
        assert Path(download.value.path()).read_bytes().startswith(b"%PDF")


def upload(page: Page, text: str) -> None:
    page.get_by_label("Activities: work done on allocations").check()
    page.get_by_label("CSV file (required)").set_input_files(
        files=[{"name": "sheet.csv", "mimeType": "text/csv", "buffer": text.encode()}]
    )
    page.get_by_role("button", name="Check the file").click()


@WIDTHS
def test_an_admin_checks_a_file_then_imports_it(
    phone: bool,
    member: Member,
    new_context: Callable[..., BrowserContext],
    token_for: Callable[[str], str],
    admin: Client,
):
    first, second = unique("sheet-"), unique("sheet-")
    rows = [
        activity_row(member.allocation_id, first, team_member=member.handle),
        activity_row(member.allocation_id, second, team_member=member.handle, units=0),
    ]
    page = admin_page(new_context, token_for("admin"), phone)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Import").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Import history")
    looks_right(page, "imports", phone)

    # A refused row: shown with its reason, nothing can be imported.
    upload(page, csv_text(ACTIVITY_COLUMNS, rows))
    expect(page.get_by_role("alert")).to_contain_text(
        "Line 3, units: units must be a whole number from 1 to 100000"
    )
    expect(page.locator('tr[data-line="3"]')).to_have_attribute("data-result", "refused")
    expect(page.get_by_role("button", name=re.compile("^Import"))).to_have_count(0)
    looks_right(page, "import-refused", phone)

    rows[1]["units"] = 3
    page.get_by_role("link", name="Check another file").first.click()
    upload(page, csv_text(ACTIVITY_COLUMNS, rows))
    expect(page.get_by_role("heading", level=1)).to_have_text("Checked: sheet.csv")
    for line in (2, 3):
        expect(page.locator(f'tr[data-line="{line}"]')).to_have_attribute("data-result", "new")
    looks_right(page, "import-checked", phone)
    activities = f"/api/allocations/{member.allocation_id}/activities"
    assert read(admin, activities)["items"] == []

    page.get_by_role("button", name="Import 2 activities").click()
    expect(page.get_by_role("status")).to_have_text("Imported 2 activities from sheet.csv.")
    units = sorted(item["units"] for item in read(admin, activities)["items"])
    assert units == [2, 3]
