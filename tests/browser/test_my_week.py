"""A team member fills in a week on `/my/week` (docs/reference/pages.md) in a real
browser, from the keyboard alone: four rows of five days typed with the arrow keys and
saved with Enter, once. The ledger is read back through the API: exactly those
activities, the balances the page shows, nothing more written when the same form is
sent again, one retraction for one cleared cell. Last week's rows are copied; on a
375-px phone every action is on the screen; axe finds nothing serious."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from service.application import Clock
from service.domain.week import Week
from tests.support.browser_pages import (
    Member,
    check_axe,
    no_horizontal_scroll,
    read,
    screenshot,
    sign_in,
)
from tests.support.servers import Client

LAST_WEEK = Week.of(Clock().today() - timedelta(days=7))
"""Every day of it past, within the member's allocations, none late."""
WORKDAYS = LAST_WEEK.days[:5]
TYPED = ((1, 2, 3, 5, 8), (2, 3, 5, 8, 1), (3, 5, 8, 1, 2), (5, 8, 1, 2, 3))
"""Units typed, row by row, Monday to Friday: 19 a row."""
MAX_TABS = 40


def grant(admin: Client, member: Member, units: int, provider: str | None) -> str:
    """An allocation on a new project of the member's engagement, from 60 days ago to
    30 days ahead; its id."""
    project = admin.created(
        f"/api/engagements/{member.engagement_id}/projects",
        {"name": f"Project {units}-{provider}", "outcome": "done"},
    )
    body = {
        "start_date": (Clock().today() - timedelta(days=60)).isoformat(),
        "end_date": (Clock().today() + timedelta(days=30)).isoformat(),
        "units": units,
        "description": f"Work of {units}",
    }
    body |= {"provider": provider} if provider else {}
    return admin.created(f"/api/projects/{project['id']}/allocations", body)["id"]


@pytest.fixture
def rows(member: Member, admin: Client) -> list[str]:
    """Four allocations the member provides, in the order the grid lists them."""
    return [member.allocation_id, *(grant(admin, member, 30, member.handle) for _ in range(3))]


def ledger_cells(member: Member, allocation_ids: list[str]) -> set[tuple[str, date, int]]:
    """(allocation, day, units) of every activity that counts, as the API lists them."""
    found = set()
    for allocation_id in allocation_ids:
        listed = read(member.api, f"/api/allocations/{allocation_id}/activities")["items"]
        for item in listed:
            assert item["date_from"] == item["date_to"], item
            if not item["retracted"]:
                found.add((allocation_id, date.fromisoformat(item["date_from"]), item["units"]))
    return found


def events_on(admin: Client, allocation_ids: list[str]) -> list[dict[str, Any]]:
    """Every event of the allocations' streams."""
    return [
        event
        for allocation_id in allocation_ids
        for event in read(admin, f"/api/audit/streams/{allocation_id}")["events"]
    ]


def focused_cell(page: Page) -> str | None:
    return page.evaluate(
        "() => document.activeElement.matches('input.units') ? document.activeElement.name : null"
    )


def tab_into_the_grid(page: Page) -> None:
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        if focused_cell(page):
            return
    raise AssertionError(f"{MAX_TABS} presses of Tab never reached a cell of the grid")


def save_with_enter(page: Page) -> None:
    with page.expect_navigation():
        page.keyboard.press("Enter")


def open_week(page: Page, member: Member) -> None:
    sign_in(page, member.token)
    page.goto(f"/my/week?week={LAST_WEEK}")
    expect(page.get_by_role("heading", level=1)).to_contain_text(str(LAST_WEEK))


def fill_by_keyboard(page: Page, rows: list[str]) -> None:
    """Type TYPED into the grid: arrows right along a row, down and back to Monday."""
    tab_into_the_grid(page)
    for r, units in enumerate(TYPED):
        for d, value in enumerate(units):
            assert focused_cell(page) == f"u.{rows[r]}.{WORKDAYS[d].isoformat()}"
            page.keyboard.type(str(value))
            if d < len(units) - 1:
                page.keyboard.press("ArrowRight")
        if r < len(TYPED) - 1:
            page.keyboard.press("ArrowDown")
            for _ in units[1:]:
                page.keyboard.press("ArrowLeft")


def test_a_member_fills_a_week_from_the_keyboard_and_saves_it_once(
    page: Page, member: Member, admin: Client, rows: list[str]
):
    open_week(page, member)
    grid = page.locator("table.week-grid")
    expect(grid.locator("tbody tr")).to_have_count(4)
    fill_by_keyboard(page, rows)
    expect(page.locator('[data-field="week_total"]')).to_have_text("76")
    with page.expect_request(lambda r: r.method == "POST") as sent:
        save_with_enter(page)
    form_sent = sent.value.post_data

    expect(page.get_by_role("status")).to_contain_text("Week saved: 20 recorded.")
    typed = {
        (rows[r], WORKDAYS[d], units) for r, row in enumerate(TYPED) for d, units in enumerate(row)
    }
    assert ledger_cells(member, rows) == typed
    for allocation_id in rows:
        shown = grid.locator(
            f'[data-allocation-id="{allocation_id}"] [data-field="units_remaining"]'
        )
        balance = read(member.api, f"/api/allocations/{allocation_id}")["units_remaining"]
        expect(shown).to_have_text(str(balance))
        assert balance == (40 if allocation_id == member.allocation_id else 30) - 19
    check_axe(page)
    screenshot(page, "my-week")

    before = events_on(admin, rows)
    again = page.request.post(
        "/my/week",
        data=form_sent,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert again.ok, again.status
    assert events_on(admin, rows) == before, "the same form sent again wrote events"

    cleared = page.locator(f'input[name="u.{rows[2]}.{WORKDAYS[3].isoformat()}"]')
    cleared.focus()
    page.keyboard.press("Backspace")
    save_with_enter(page)
    expect(page.get_by_role("status")).to_contain_text("Week saved: 1 cleared.")
    new_events = [event for event in events_on(admin, rows) if event not in before]
    assert [event["event_type"] for event in new_events] == ["ActivityRetracted"]
    assert ledger_cells(member, rows) == typed - {(rows[2], WORKDAYS[3], TYPED[2][3])}


def test_copy_last_weeks_rows_brings_the_rows_not_the_units(
    page: Page, member: Member, admin: Client
):
    elsewhere = grant(admin, member, 10, None)
    week_before = LAST_WEEK.before().days[0].isoformat()
    member.api.created(
        f"/api/allocations/{elsewhere}/activities",
        {
            "team_member": member.handle,
            "units": 3,
            "description": "helped out",
            "date_from": week_before,
            "date_to": week_before,
        },
    )
    open_week(page, member)
    row = page.locator(f'tr[data-allocation-id="{elsewhere}"]')
    expect(row).to_have_count(0)
    with page.expect_navigation():
        page.get_by_role("button", name="Copy last week’s rows").click()
    expect(row).to_have_count(1)
    expect(row.locator("input.units")).to_have_count(7)
    for cell in row.locator("input.units").all():
        expect(cell).to_have_value("")


def test_on_a_phone_one_day_shows_and_every_action_is_on_the_screen(
    phone_page: Page, member: Member
):
    page = phone_page
    open_week(page, member)
    page.get_by_text(WORKDAYS[1].strftime("%a %-d"), exact=True).click()
    tuesday = page.locator(f'input[name="u.{member.allocation_id}.{WORKDAYS[1].isoformat()}"]')
    expect(tuesday).to_be_visible()
    monday = page.locator(f'input[name="u.{member.allocation_id}.{WORKDAYS[0].isoformat()}"]')
    expect(monday).to_be_hidden()
    expect(page.locator('[data-field="week_total"]')).to_be_visible()
    width = page.viewport_size["width"]
    actions = page.locator("main").locator("a, button, input:not([type=hidden]), select, summary")
    outside = []
    for action in actions.all():
        if not action.is_visible():
            continue
        box = action.bounding_box()
        assert box is not None
        if box["x"] < 0 or box["x"] + box["width"] > width:
            outside.append((action.evaluate("e => e.outerHTML.slice(0, 80)"), box))
    assert not outside, f"actions beyond the {width}-px screen: {outside}"
    no_horizontal_scroll(page)
    check_axe(page)
    screenshot(page, "my-week-phone")


def test_days_that_are_not_open_say_why(page: Page, member: Member):
    sign_in(page, member.token)
    page.goto(f"/my/week?week={LAST_WEEK.after().after()}")
    expect(page.get_by_text(re.compile("Not open: in the future")).first).to_be_visible()
    check_axe(page)
