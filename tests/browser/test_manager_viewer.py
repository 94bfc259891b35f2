"""The people who read (docs/reference/pages.md) in a real browser: a manager finds a late entry on
`/review`; a viewer limited to one engagement reads it, its burn charts and its monthly
report, downloads the PDF, and cannot open another engagement; each role is refused
the pages that are not for it."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page, expect
from pypdf import PdfReader

from service.application import Clock
from tests.support.browser_pages import Member, read, record_activity, sign_in, unique
from tests.support.servers import Client, Service, days_ago

PDF_WAIT_MS = 120_000


def pdf_text(path: Path) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(path).pages)


def test_a_manager_sees_a_late_entry_on_the_review(
    page: Page, member: Member, token_for: Callable[[str], str]
):
    description = unique("Translated the guide ")
    late = record_activity(member, 5, description, days=20)
    assert late["late"] is True

    sign_in(page, token_for("manager"))
    expect(page).to_have_url(re.compile(r"/review$"))
    month = Clock().today().strftime("%Y-%m")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Review: {month}")
    row = page.locator(f'tr[data-activity-id="{late["id"]}"]')
    person = row.get_by_role("link", name=member.name, exact=True)
    expect(person).to_have_attribute("href", f"/team/{member.handle}")
    expect(row).not_to_contain_text(f"({member.handle})")
    expect(row).to_contain_text(description)
    expect(row).to_contain_text(days_ago(20))
    expect(row.get_by_role("cell").nth(3)).to_have_text("5")
    # 20 days after the work, 6 past the 14-day window.
    expect(row.locator('[data-field="days_late"]')).to_have_text("6")
    with page.expect_navigation():
        row.get_by_role("link", name=re.compile(r"^In its report")).click()
    expect(page.locator(f'[id="activity-{late["id"]}"]')).to_contain_text(description)


def test_a_viewer_reads_its_engagement_and_downloads_the_report(
    page: Page, member: Member, service: Service, admin: Client
):
    record_activity(member, 5, "Ran the newcomers' session")
    record_activity(member, 2, "Planned the data week")
    api = read(member.api, f"/api/allocations/{member.allocation_id}")
    assert (api["units_granted"], api["units_used"], api["units_remaining"]) == (40, 7, 33)
    viewer = service.token("viewer", "--name", "Vera Viewer", "--engagement", member.engagement_id)
    month = Clock().today().strftime("%Y-%m")

    sign_in(page, viewer)
    expect(page).to_have_url(re.compile(r"/engagements$"))
    rows = page.get_by_role("table").locator("tbody tr")
    expect(rows).to_have_count(1)
    with page.expect_navigation():
        rows.get_by_role("link", name="Open Data Week").click()
    expect(page).to_have_url(re.compile(f"/engagements/{member.engagement_id}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Open Data Week")
    card = page.locator(f'[data-allocation-id="{member.allocation_id}"]')
    expect(card.locator('[data-field="units_used"]')).to_have_text("7")
    expect(card.locator('[data-field="units_remaining"]')).to_have_text("33")
    chart = card.get_by_role("img", name=re.compile("^Units used: Documentation hours"))
    expect(chart).to_be_visible()
    expect(chart.locator("title")).to_have_text("Units used: Documentation hours")
    expect(page.get_by_role("img", name=re.compile("^Units used per month"))).to_be_visible()

    with page.expect_navigation():
        page.get_by_role("link", name=f"Report {month}", exact=True).click()
    expect(page).to_have_url(re.compile(f"/engagements/{member.engagement_id}/reports/{month}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Open Data Week: {month}")
    figures = page.locator(f'[data-allocation-id="{member.allocation_id}"] table.report-figures')
    expect(figures.locator("td")).to_have_text(["40", "7", "7", "33"])
    expect(page.get_by_role("cell", name="Ran the newcomers' session")).to_be_visible()

    # The worker prepares the PDF: a page says so and reloads itself until it is there.
    with page.expect_download(timeout=PDF_WAIT_MS) as download:
        page.get_by_role("link", name="Download PDF").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Your PDF is being prepared")
    assert download.value.suggested_filename == f"report-{month}-Open-Data-Week.pdf"
    text = pdf_text(Path(download.value.path()))
    assert "Open Data Week" in text
    assert "Documentation hours" in text
    assert "Ran the newcomers' session" in text and member.name in text
    # The allocation's row: granted, used in the month, used to date, remaining.
    assert re.search(r"\b40\s+7\s+7\s+33\b", text), text
    assert "ces_" not in text
    assert viewer not in text

    other = admin.created(
        "/api/engagements",
        {
            "name": unique("Not Yours "),
            "community": "Elsewhere",
            "description": "Work of another community",
            "start_date": days_ago(10),
            "end_date": days_ago(-10),
        },
    )
    for path in (
        f"/engagements/{other['id']}",
        f"/engagements/{other['id']}/reports/{month}",
        f"/engagements/{other['id']}/reports/{month}.pdf",
    ):
        response = page.goto(path)
        assert response.status == 404, path
        expect(page.get_by_text(other["name"])).to_have_count(0)
    page.goto("/engagements")
    expect(rows).to_have_count(1)
    expect(page.get_by_role("link", name=other["name"])).to_have_count(0)


def test_a_member_may_not_open_the_pages_of_other_roles(page: Page, member: Member):
    sign_in(page, member.token)
    for path in ("/review", "/plan", "/audit"):
        response = page.goto(path)
        assert response.status == 403, path
        expect(page.get_by_text("may not open this page")).to_be_visible()
        nav = page.get_by_role("navigation", name="Main").get_by_role("link")
        expect(nav).to_have_text(["My work", "My week", "Notifications"])


def test_a_viewer_may_not_open_my_work(page: Page, token_for: Callable[[str], str]):
    sign_in(page, token_for("viewer"))
    response = page.goto("/my")
    assert response.status == 403
    expect(page.get_by_text("may not open this page")).to_be_visible()
    expect(page.get_by_role("button", name="Record")).to_have_count(0)
