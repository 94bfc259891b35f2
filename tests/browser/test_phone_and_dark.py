"""The member's pages on a 375-px phone, and the pages in the dark
(`prefers-color-scheme: dark`), in a real browser (docs/reference/pages.md): on `/my`,
`/my/activities` and `/my/week` every link, button and field is on the screen (their
bounding boxes), nothing scrolls sideways, a table's rows are cards, and axe-core finds
nothing serious in the light or the dark; the other roles' pages pass axe in the dark;
chart text is never under 11 px on the phone; a date never breaks in two at 1280 px; a
printed page leaves out the navigation and the controls.
Screenshots for the docs are left in var/screenshots/."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, expect

from tests.support.browser_pages import (
    Member,
    check_axe,
    every_action_on_screen,
    no_horizontal_scroll,
    record_activity,
    screenshot,
    sign_in,
)

MEMBER_PAGES = ("/my", "/my/activities", "/my/week")
SCHEMES = ("light", "dark")
SMALLEST_TEXT_PX = 11

# The smallest text a chart draws, in CSS pixels on the screen: its font size (in the
# drawing's units) times the drawing's scale.
_SMALLEST_CHART_TEXT = """() => Math.min(...[...document.querySelectorAll("svg.chart text")]
    .map(text => parseFloat(getComputedStyle(text).fontSize) * text.getScreenCTM().a))"""


@pytest.fixture
def busy_member(member: Member) -> Member:
    """The member with a few activities to list: one late, one with a long description."""
    record_activity(member, 3, "Wrote the quick-start guide")
    record_activity(member, 2, "Minutes of the kick-off meeting", days=20)
    record_activity(
        member, 5, "Reviewed every page of the contributor guide and the code of conduct", days=2
    )
    return member


@pytest.mark.parametrize("scheme", SCHEMES)
def test_every_action_of_the_member_is_on_the_phones_screen(
    busy_member: Member, new_context: Callable[..., BrowserContext], scheme: str
):
    page = new_context(phone=True, color_scheme=scheme).new_page()
    sign_in(page, busy_member.token)
    for path in MEMBER_PAGES:
        page.goto(path)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        every_action_on_screen(page)
        no_horizontal_scroll(page)
        check_axe(page)
        if path == "/my/activities":
            screenshot(page, f"my-activities-phone-{scheme}")


def test_on_the_phone_an_activity_is_a_card_with_every_part_shown(
    busy_member: Member, new_context: Callable[..., BrowserContext]
):
    page = new_context(phone=True).new_page()
    sign_in(page, busy_member.token)
    page.goto("/my/activities")
    card = page.locator("tbody tr").filter(has_text="Wrote the quick-start guide")
    assert card.evaluate("row => getComputedStyle(row).display") == "block"
    for label in ("Date", "Units", "Allocation", "Change"):
        cell = card.locator(f'[data-label="{label}"]')
        expect(cell).to_be_visible()
        assert cell.evaluate("cell => getComputedStyle(cell, '::before').content") == f'"{label}"'
    correct = card.get_by_role("link", name="Correct")
    correct.scroll_into_view_if_needed()
    expect(correct).to_be_in_viewport(ratio=1)


def test_the_other_pages_pass_axe_in_the_dark(
    member: Member,
    new_context: Callable[..., BrowserContext],
    token_for: Callable[[str], str],
):
    record_activity(member, 2, "Minutes of the kick-off meeting", days=20)
    pages = {
        "manager": ("/review", "/team"),
        "bd": ("/plan", "/engagements", f"/engagements/{member.engagement_id}"),
        "auditor": ("/audit", f"/audit/streams/{member.allocation_id}"),
    }
    for role, paths in pages.items():
        page = new_context(color_scheme="dark").new_page()
        sign_in(page, token_for(role))
        for path in paths:
            page.goto(path)
            expect(page.get_by_role("heading", level=1)).to_be_visible()
            check_axe(page)
    screenshot(page, "audit-dark")


def test_chart_text_is_never_under_11_px_on_the_phone(
    member: Member, new_context: Callable[..., BrowserContext], token_for: Callable[[str], str]
):
    record_activity(member, 3, "Wrote the quick-start guide")
    page = new_context(phone=True).new_page()
    sign_in(page, token_for("bd"))
    page.goto(f"/engagements/{member.engagement_id}")
    expect(page.locator("svg.chart text").first).to_be_attached()
    smallest = page.evaluate(_SMALLEST_CHART_TEXT)
    assert smallest >= SMALLEST_TEXT_PX, f"chart text of {smallest:.1f} px"
    no_horizontal_scroll(page)
    check_axe(page)


def test_a_date_is_never_broken_in_two_at_1280_px(
    busy_member: Member, new_context: Callable[..., BrowserContext]
):
    page = new_context().new_page()
    sign_in(page, busy_member.token)
    for path in ("/my", "/my/activities"):
        page.goto(path)
        dates = page.locator("td .nowrap")
        expect(dates.first).to_be_visible()
        lines = dates.evaluate_all("spans => spans.map(span => span.getClientRects().length)")
        assert set(lines) == {1}, f"{path}: a date broken over lines: {lines}"
        heights = dates.evaluate_all(
            "spans => spans.map(s => s.getBoundingClientRect().height"
            " / parseFloat(getComputedStyle(s).lineHeight))"
        )
        assert max(heights) < 1.5, f"{path}: a date taller than a line: {heights}"
    screenshot(page, "my-activities-desktop")
    dark = new_context(color_scheme="dark").new_page()
    sign_in(dark, busy_member.token)
    dark.goto("/my")
    check_axe(dark)
    screenshot(dark, "my-work-dark")


def test_a_printed_page_leaves_out_the_navigation_and_the_controls(
    busy_member: Member, new_context: Callable[..., BrowserContext]
):
    page = new_context().new_page()
    sign_in(page, busy_member.token)
    page.goto("/my/activities")
    page.emulate_media(media="print")
    for hidden in ("nav[aria-label=Main]", "form.filters", ".site-footer", "main button"):
        expect(page.locator(hidden).first).to_be_hidden()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(page.locator("tbody tr")).to_have_count(3)
    colours = page.evaluate(
        "() => [getComputedStyle(document.documentElement).color, "
        "getComputedStyle(document.documentElement).backgroundColor]"
    )
    assert colours == ["rgb(0, 0, 0)", "rgb(255, 255, 255)"]
