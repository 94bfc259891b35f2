"""A member's own activities, on both stores: `GET /api/me/activities` and the
`/my/activities` page (docs/reference/pages.md) list them by the date of the work,
newest first; each filter (allocation, month, late, corrected) keeps exactly the
activities it names; the pages of a list put together are the list; the CSV holds
every activity the filter finds, formula-safe; `/my` lists the latest by work date."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import pytest
from flask import Flask

from tests.support.api import ApiClient, activity, grant_on_own_project
from tests.support.dates import days_ago
from tests.support.pages import PageClient, signed_in_page

FORMULA = '=HYPERLINK("http://evil","x")'
ROW_ID = re.compile(r'data-activity-id="([^"]+)"')


@pytest.fixture
def mine(api: ApiClient, world, make_token) -> dict[str, Any]:
    """Ana's six activities on two allocations (two late, one corrected, one
    retracted, one whose description is a formula), recorded out of date order, and
    one of Ben's; her token's client."""
    a = world["allocation"]["id"]
    b = grant_on_own_project(
        api, world["engagement"]["id"], start=60, end=-30, provider="ana", description="B hours"
    )["id"]

    def record(allocation_id: str, days: int, units: int, description: str, **more) -> str:
        body = activity(units=units, description=description, **more)
        body |= {"date_from": days_ago(days), "date_to": days_ago(days)}
        response = api.post(f"/api/allocations/{allocation_id}/activities", body)
        assert response.status_code == 201, response.json
        return response.json["id"]

    record(a, 5, 1, FORMULA)
    record(a, 20, 2, "late review")
    record(b, 1, 5, "workshop")
    corrected = record(b, 40, 3, "old notes")
    retracted = record(a, 2, 8, "duplicate")
    record(a, 3, 2, "guide")
    record(a, 3, 1, "ben's work", team_member="ben")
    fixed = api.post(f"/api/activities/{corrected}/corrections", {"units": 2, "reason": "typo"})
    assert fixed.status_code == 201, fixed.json
    gone = api.post(f"/api/activities/{retracted}/retraction", {"reason": "twice"})
    assert gone.status_code == 201, gone.json
    return {"a": a, "b": b, "ana": api.as_(make_token("member", member="ana"))}


def listed(client: ApiClient, **query: Any) -> dict[str, Any]:
    response = client.get("/api/me/activities", **query)
    assert response.status_code == 200, response.json
    return response.json


def everything(client: ApiClient) -> list[dict[str, Any]]:
    return listed(client, limit=500)["items"]


def test_my_activities_are_mine_by_the_date_of_the_work(mine):
    page = listed(mine["ana"])
    items = page["items"]
    assert page["member"] == "ana" and page["total"] == len(items) == 6
    assert [item["description"] for item in items] == [
        "workshop", "duplicate", "guide", FORMULA, "late review", "old notes",
    ]  # fmt: skip
    assert {item["team_member"] for item in items} == {"ana"}
    assert [item["retracted"] for item in items] == [False, True, False, False, False, False]
    assert {item["allocation_label"] for item in items} == {
        f"Open Data Week · Docs · Q hours, {days_ago(60)} to {days_ago(-30)}",
        next(i["allocation_label"] for i in items if i["allocation_id"] == mine["b"]),
    }


@pytest.mark.parametrize(
    ("query", "keep"),
    [
        ({"late": "true"}, lambda item: item["late"]),
        ({"late": "false"}, lambda item: not item["late"]),
        ({"corrected": "true"}, lambda item: item["corrections"] > 0),
        ({"corrected": "false"}, lambda item: item["corrections"] == 0),
        ({"month": days_ago(40)[:7]}, lambda item: item["date_to"][:7] == days_ago(40)[:7]),
    ],
)
def test_each_filter_keeps_exactly_what_it_names(mine, query, keep):
    every = everything(mine["ana"])
    wanted = [item for item in every if keep(item)]
    assert 0 < len(wanted) < len(every), "the filter must choose some, not all"
    page = listed(mine["ana"], **query)
    assert page["items"] == wanted and page["total"] == len(wanted)


def test_filters_combine_and_an_allocation_keeps_its_own(mine):
    every = everything(mine["ana"])
    on_b = listed(mine["ana"], allocation_id=mine["b"])["items"]
    assert on_b == [item for item in every if item["allocation_id"] == mine["b"]]
    assert len(on_b) == 2
    late_on_a = listed(mine["ana"], allocation_id=mine["a"], late="true")["items"]
    assert [item["description"] for item in late_on_a] == ["late review"]


def test_the_pages_put_together_are_the_list(mine):
    every = everything(mine["ana"])
    pages = [listed(mine["ana"], limit=4, offset=offset) for offset in (0, 4, 8)]
    assert [page["total"] for page in pages] == [6, 6, 6]
    assert [len(page["items"]) for page in pages] == [4, 2, 0]
    assert [item for page in pages for item in page["items"]] == every


def test_the_csv_holds_every_filtered_activity_formula_safe(mine):
    response = mine["ana"].client.get(
        "/api/me/activities",
        query_string={"allocation_id": mine["a"], "limit": 1},
        headers={**mine["ana"].headers(), "Accept": "text/csv"},
    )
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    wanted = listed(mine["ana"], allocation_id=mine["a"])["items"]
    assert [row["id"] for row in rows] == [item["id"] for item in wanted]
    assert len(rows) == 4, "the CSV is every match, not the JSON page's limit"
    formula = next(row for row in rows if "HYPERLINK" in row["description"])
    assert formula["description"] == "'" + FORMULA


def test_a_token_without_a_member_has_no_activities(api: ApiClient, make_token, mine):
    page = listed(api.as_(make_token("manager")))
    assert (page["member"], page["items"], page["total"]) == (None, [], 0)


def test_a_month_that_is_no_month_is_refused(mine):
    response = mine["ana"].get("/api/me/activities", month="2026-13")
    assert response.status_code == 422, response.json
    assert "month" in str(response.json["errors"])


# The page


@pytest.fixture
def ana_page(app: Flask, mine, make_token) -> PageClient:
    return signed_in_page(app, make_token("member", member="ana"))


def test_the_page_lists_what_the_api_lists_for_the_same_filter(ana_page: PageClient, mine):
    html = ana_page.text("/my/activities", late="true")
    wanted = listed(mine["ana"], late="true")["items"]
    assert ROW_ID.findall(html) == [item["id"] for item in wanted]
    assert f"of {len(wanted)}" in html
    assert 'id="late" name="late" value="true" checked' in html


def test_the_page_goes_back_and_forth_25_at_a_time(ana_page: PageClient, mine, api: ApiClient):
    for day in range(30):
        body = activity(units=1, description=f"day {day}")
        body |= {"date_from": days_ago(day % 10), "date_to": days_ago(day % 10)}
        assert api.post(f"/api/allocations/{mine['a']}/activities", body).status_code == 201
    every = [item["id"] for item in everything(mine["ana"])]
    first = ana_page.text("/my/activities")
    assert ROW_ID.findall(first) == every[:25]
    assert "Activities 1 to 25 of 36" in first
    older = re.search(r'href="([^"]+)" rel="next"', first)
    assert older and 'rel="prev"' not in first
    second = ana_page.text(older.group(1).replace("&amp;", "&"))
    assert ROW_ID.findall(second) == every[25:]
    assert 'rel="prev"' in second and 'rel="next"' not in second


def test_the_export_link_downloads_exactly_the_filtered_activities(ana_page: PageClient, mine):
    html = ana_page.text("/my/activities", allocation_id=mine["b"], offset="0")
    link = re.search(r'href="([^"]+)" download', html)
    assert link, "no export link on the page"
    response = ana_page.get(link.group(1).replace("&amp;", "&"))
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    wanted = listed(mine["ana"], allocation_id=mine["b"])["items"]
    assert [row["id"] for row in rows] == [item["id"] for item in wanted]


def test_a_month_that_is_no_month_says_so_under_the_field(ana_page: PageClient, mine):
    response = ana_page.get("/my/activities", month="2026-13")
    assert response.status_code == 422
    assert 'id="month-error"' in response.text and 'aria-invalid="true"' in response.text
    assert ROW_ID.findall(response.text) == []


def test_my_latest_activities_are_by_the_date_of_the_work(ana_page: PageClient, mine):
    html = ana_page.text("/my")
    assert ROW_ID.findall(html) == [item["id"] for item in everything(mine["ana"])]
    assert 'href="/my/activities"' in html


def test_an_older_activity_of_mine_can_be_corrected(ana_page: PageClient, mine, api):
    old = everything(mine["ana"])[-1]
    assert ana_page.get(f"/my/activities/{old['id']}/correction").status_code == 200
    bens = api.get(f"/api/allocations/{mine['a']}/activities").json["items"]
    ben = next(item for item in bens if item["team_member"] == "ben")
    assert ana_page.get(f"/my/activities/{ben['id']}/correction").status_code == 404
