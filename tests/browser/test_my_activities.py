"""A member finds their own activities at `/my/activities` (docs/reference/pages.md) in a
real browser: by the date of the work, narrowed by a filter, downloaded as the CSV of
exactly what the filter finds (the JSON API's `GET /api/me/activities` is the yardstick);
My work lists the latest by work date and links there; an entry that overruns its
allocation is told in a warning banner, not a green one."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

from playwright.sync_api import Page, expect

from service.web.pages.wording import WARNING
from tests.support.browser_pages import (
    Member,
    check_axe,
    new_member,
    read,
    record_activity,
    screenshot,
    sign_in,
    unique,
)
from tests.support.servers import Client, Service, days_ago

DAYS = (3, 20, 1, 40, 8)
"""When the member's activities were done, in days before today, in the order they
are recorded (not the order of the work): 20 and 40 are late."""


def my_activities(member: Member, **query: Any) -> list[dict[str, Any]]:
    return read(member.api, "/api/me/activities", limit=500, **query)["items"]


def listed_ids(page: Page) -> list[str]:
    rows = page.get_by_role("region", name=re.compile(r"^Activities")).locator("tbody tr")
    return [row.get_attribute("data-activity-id") for row in rows.all()]


def recorded(member: Member) -> list[str]:
    """The member's activities on DAYS, each described by when it was done."""
    tag = unique("")
    return [
        record_activity(member, 2, f"Work {tag} done on {days_ago(days)}", days=days)["id"]
        for days in DAYS
    ]


def test_a_member_filters_their_activities_and_downloads_exactly_those(page: Page, member: Member):
    recorded(member)
    sign_in(page, member.token)
    page.goto("/my")
    latest = page.get_by_role("region", name="My latest activities").locator("tbody tr")
    expect(latest.first).to_contain_text(days_ago(1))
    with page.expect_navigation():
        page.get_by_role("link", name="All my activities").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("My activities")
    every = my_activities(member)
    assert [item["date_from"] for item in every] == [days_ago(d) for d in sorted(DAYS)]
    assert listed_ids(page) == [item["id"] for item in every]
    check_axe(page)
    screenshot(page, "my-activities")

    page.get_by_label("Late only").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Show").click()
    late = my_activities(member, late="true")
    assert [item["date_from"] for item in late] == [days_ago(20), days_ago(40)]
    assert listed_ids(page) == [item["id"] for item in late]
    expect(page.get_by_role("heading", name="Activities 1 to 2 of 2")).to_be_visible()

    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile(r"^Download all 2 activities as CSV")).click()
    text = open(download.value.path(), encoding="utf-8").read()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [row["id"] for row in rows] == [item["id"] for item in late]
    assert [row["units"] for row in rows] == ["2", "2"]
    assert {row["late"] for row in rows} == {"true"}


def test_an_entry_that_overruns_the_allocation_is_a_warning(
    page: Page, service: Service, admin: Client
):
    member = new_member(service, admin, units=4)
    sign_in(page, member.token)
    page.get_by_role("group", name="Units").get_by_label("5", exact=True).check()
    page.get_by_label("Description", exact=True).fill("A whole afternoon of support")
    with page.expect_navigation():
        page.get_by_role("button", name="Record", exact=True).click()
    with page.expect_navigation():
        page.get_by_role("button", name="Record anyway").click()

    banner = page.get_by_role("status").locator("p")
    expect(banner).to_have_class(re.compile(rf"\bflash-{WARNING}\b"))
    expect(banner).to_contain_text("Recorded 5 units on")
    expect(banner).to_contain_text("the allocation is now 1 unit over its grant")
    expect(banner).not_to_contain_text("remaining")
    colours = banner.evaluate(
        "element => [getComputedStyle(element).backgroundColor, "
        "getComputedStyle(element).borderLeftColor]"
    )
    assert colours == ["rgb(255, 244, 224)", "rgb(161, 92, 0)"], "not the warning's amber"
    assert read(member.api, f"/api/allocations/{member.allocation_id}")["units_remaining"] == -1
    check_axe(page)
