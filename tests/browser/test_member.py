"""A team member at work on `/my` (docs/reference/pages.md) in a real browser: recording on the unit
scale, a late entry confirmed with "Record anyway", recording by keyboard alone,
correcting and retracting, a form sent without units, and a day the ledger refuses,
refused at once in the form's words. Every figure the page shows
is held against what the JSON API answers."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Locator, Page, expect

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
from tests.support.servers import days_ago

MAX_TABS = 40


def allocation(member: Member) -> dict[str, Any]:
    return read(member.api, f"/api/allocations/{member.allocation_id}")


def activities(member: Member) -> list[dict[str, Any]]:
    return read(member.api, f"/api/allocations/{member.allocation_id}/activities")["items"]


def remaining(page: Page, member: Member) -> Locator:
    return page.locator(
        f'[data-allocation-id="{member.allocation_id}"] [data-field="units_remaining"]'
    )


def units_choice(page: Page, units: int) -> Locator:
    return page.get_by_role("group", name="Units").get_by_label(str(units), exact=True)


def latest_row(page: Page, description: str) -> Locator:
    table = page.get_by_role("region", name="My latest activities")
    return table.get_by_role("row").filter(has_text=description)


def press(page: Page, key: str) -> None:
    """Press `key` and wait for the page it submits to have loaded."""
    with page.expect_navigation():
        page.keyboard.press(key)


def tab_to(page: Page, target: Locator) -> None:
    """Press Tab until `target` has the focus (a person moving through the page)."""
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        if target.evaluate("element => element === document.activeElement"):
            return
    raise AssertionError(f"{MAX_TABS} presses of Tab never reached {target}")


def test_a_member_records_three_units_and_sees_what_is_left(page: Page, member: Member):
    sign_in(page, member.token)
    expect(page).to_have_url(re.compile(r"/my$"))
    before = int(remaining(page, member).inner_text())
    assert before == allocation(member)["units_remaining"] == 40

    units_choice(page, 3).check()
    page.get_by_label("Description", exact=True).fill("Wrote the quick-start guide")
    expect(page.get_by_label("Date", exact=True)).to_have_value(days_ago(0))
    with page.expect_navigation():
        page.get_by_role("button", name="Record", exact=True).click()

    expect(page).to_have_url(re.compile(r"/my\?after=[0-9]+$"))
    expect(page.get_by_role("status")).to_contain_text("Recorded 3 units on")
    expect(page.get_by_role("status")).to_contain_text(f"{before - 3} units remaining")
    expect(remaining(page, member)).to_have_text(str(before - 3))
    expect(latest_row(page, "Wrote the quick-start guide")).to_contain_text(days_ago(0))
    api = allocation(member)
    assert (api["units_used"], api["units_remaining"]) == (3, before - 3)
    [recorded] = activities(member)
    assert (recorded["units"], recorded["date_from"], recorded["late"]) == (3, days_ago(0), False)


def test_a_late_entry_is_saved_only_once_the_member_says_so(page: Page, member: Member):
    description = unique("Minutes of the kick-off ")
    sign_in(page, member.token)
    units_choice(page, 2).check()
    page.get_by_label("Description", exact=True).fill(description)
    page.get_by_label("Date", exact=True).fill(days_ago(20))
    with page.expect_navigation() as asked:
        page.get_by_role("button", name="Record", exact=True).click()

    assert asked.value.status == 200
    warning = page.get_by_role("alert").filter(has_text="Before you save")
    expect(warning).to_contain_text("will be marked late")
    expect(warning).to_contain_text(days_ago(20))
    confirm = page.get_by_role("button", name="Record anyway")
    expect(confirm).to_be_visible()
    expect(page.get_by_role("button", name="Record", exact=True)).to_have_count(0)
    # What was typed is kept for the second press, and nothing is recorded yet.
    expect(units_choice(page, 2)).to_be_checked()
    expect(page.get_by_label("Description", exact=True)).to_have_value(description)
    expect(page.get_by_label("Date", exact=True)).to_have_value(days_ago(20))
    check_axe(page)
    screenshot(page, "my-work-late-warning")
    assert activities(member) == []
    assert allocation(member)["units_used"] == 0

    with page.expect_navigation():
        confirm.click()
    expect(page.get_by_role("status")).to_contain_text("Recorded 2 units")
    row = latest_row(page, description)
    expect(row).to_contain_text(days_ago(20))
    expect(row.locator(".tag-late")).to_have_text("late")
    [recorded] = activities(member)
    assert (recorded["description"], recorded["late"]) == (description, True)
    assert allocation(member)["units_used"] == 2


def test_recording_with_the_keyboard_alone(page: Page, member: Member):
    sign_in(page, member.token)
    page.goto("/my")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()

    first = units_choice(page, 1)
    tab_to(page, first)
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    expect(units_choice(page, 3)).to_be_focused()
    expect(units_choice(page, 3)).to_be_checked()
    expect(first).not_to_be_checked()

    page.keyboard.press("Tab")
    expect(page.get_by_label("Description", exact=True)).to_be_focused()
    page.keyboard.type("Answered questions on the forum")
    tab_to(page, page.get_by_role("button", name="Record", exact=True))
    press(page, "Enter")

    expect(page.get_by_role("status")).to_contain_text("Recorded 3 units")
    expect(remaining(page, member)).to_have_text("37")
    [recorded] = activities(member)
    assert (recorded["units"], recorded["description"]) == (3, "Answered questions on the forum")
    assert recorded["date_from"] == days_ago(0)


def test_correcting_then_retracting_an_activity(page: Page, member: Member):
    description = unique("Reviewed pull request ")
    record_activity(member, 3, description)
    sign_in(page, member.token)
    expect(remaining(page, member)).to_have_text("37")

    with page.expect_navigation():
        page.get_by_role("link", name=f"Correct {description}").click()
    expect(page).to_have_url(re.compile(r"/my/activities/[0-9a-f-]+/correction$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Correct an activity")
    expect(units_choice(page, 3)).to_be_checked()
    units_choice(page, 5).check()
    page.get_by_label("Reason for the correction").fill("It took half a day")
    with page.expect_navigation():
        page.get_by_role("button", name="Save the correction").click()

    expect(page).to_have_url(re.compile(r"/my\?after=[0-9]+$"))
    expect(page.get_by_role("status")).to_contain_text("Corrected: ")
    expect(remaining(page, member)).to_have_text("35")
    row = latest_row(page, description)
    expect(row.get_by_role("cell").nth(1)).to_have_text("5")
    expect(row).to_contain_text("corrected")
    [corrected] = activities(member)
    assert (corrected["units"], corrected["corrections"]) == (5, 1)
    assert allocation(member)["units_remaining"] == 35

    with page.expect_navigation():
        page.get_by_role("link", name=f"Correct {description}").click()
    page.get_by_label("Reason for retracting").fill("Counted twice")
    with page.expect_navigation():
        page.get_by_role("button", name="Retract").click()

    expect(page.get_by_role("status")).to_contain_text("Retracted")
    expect(remaining(page, member)).to_have_text("40")
    row = latest_row(page, description)
    expect(row).to_contain_text("retracted")
    expect(row.get_by_role("link")).to_have_count(0)
    [retracted] = activities(member)
    assert retracted["retracted"] is True
    assert allocation(member)["units_used"] == 0


def test_a_form_without_units_records_nothing_and_says_why(page: Page, member: Member):
    sign_in(page, member.token)
    page.get_by_label("Description", exact=True).fill("Forgot the units")
    with page.expect_navigation() as sent:
        page.get_by_role("button", name="Record", exact=True).click()

    assert sent.value.status == 422
    summary = page.get_by_role("alert").filter(has_text="Nothing was recorded")
    expect(summary).to_be_visible()
    expect(summary.get_by_role("listitem")).to_have_count(1)
    expect(summary.get_by_role("listitem")).to_have_text("Units is required.")
    expect(page.get_by_label("Description", exact=True)).to_have_value("Forgot the units")
    expect(page.get_by_role("status")).to_have_count(0)
    expect(remaining(page, member)).to_have_text("40")
    check_axe(page)
    screenshot(page, "my-work-form-error")
    assert activities(member) == []
    assert allocation(member)["units_used"] == 0


def test_the_error_summary_link_leads_to_the_units(page: Page, member: Member):
    sign_in(page, member.token)
    page.get_by_label("Description", exact=True).fill("Forgot the units")
    with page.expect_navigation():
        page.get_by_role("button", name="Record", exact=True).click()
    link = page.get_by_role("alert").get_by_role("link", name="Units is required.")
    assert link.get_attribute("href") == "#units"
    link.click()
    expect(page.get_by_role("group", name="Units")).to_be_focused()


def test_a_retraction_without_a_reason_points_at_its_own_field(page: Page, member: Member):
    description = unique("Kept ")
    record_activity(member, 3, description)
    sign_in(page, member.token)
    with page.expect_navigation():
        page.get_by_role("link", name=f"Correct {description}").click()
    with page.expect_navigation() as sent:
        page.get_by_role("button", name="Retract").click()
    assert sent.value.status == 422
    assert activities(member)[0]["retracted"] is False
    expect(page.get_by_label("Reason for the correction")).not_to_have_attribute(
        "aria-invalid", "true", timeout=1000
    )
    expect(page.get_by_label("Reason for retracting")).to_have_attribute(
        "aria-invalid", "true", timeout=1000
    )


@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
def test_a_day_before_the_allocation_is_refused_at_once_in_plain_words(
    phone: bool, member: Member, new_context: Callable[..., BrowserContext]
):
    """Required fields say so; a day the ledger refuses is refused on the first press,
    under Date, naming it as the form does: never a late warning first ("Record
    anyway") that only leads to the refusal, never the API's "date_to"."""
    page = new_context(phone=phone).new_page()
    sign_in(page, member.token)
    form = page.locator("#record-form")
    for label in ("Allocation", "Description", "Date"):
        marked = form.locator(".field-label").filter(has=page.get_by_text(label, exact=True))
        expect(marked).to_contain_text(f"{label} (required)")
    expect(page.get_by_label("Description", exact=True)).to_have_attribute("aria-required", "true")
    expect(page.get_by_role("group", name="Units (required)")).to_be_visible()
    expect(form.get_by_text("Until (for a range of days)")).not_to_contain_text("required")

    units_choice(page, 2).check()
    page.get_by_label("Description", exact=True).fill("Before it began")
    page.get_by_label("Date", exact=True).fill(days_ago(200))
    with page.expect_navigation() as sent:
        page.get_by_role("button", name="Record", exact=True).click()

    assert sent.value.status == 422
    message = f"Date {days_ago(200)} is outside the allocation's period"
    summary = page.get_by_role("alert").filter(has_text="Nothing was recorded")
    expect(summary.get_by_role("link")).to_contain_text(message)
    expect(page.locator("#date_from-error")).to_contain_text(message)
    expect(page.get_by_label("Date", exact=True)).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_role("button", name="Record anyway")).to_have_count(0)
    expect(page.get_by_text("will be marked late")).to_have_count(0)
    check_axe(page)
    no_horizontal_scroll(page)
    screenshot(page, "my-work-refused-phone" if phone else "my-work-refused")
    assert activities(member) == []
