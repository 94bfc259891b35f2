"""My week, as a member uses it without a script: the grid of their allocations and
days, one save for the whole week, a form sent again writes nothing, the warnings
before a late entry, bad cells shown under the cell with nothing saved, last week's
rows copied."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import Flask

from service.domain.week import Week
from tests.support.api import ApiClient, activity, grant_on_own_project
from tests.support.dates import TODAY, days_ago
from tests.support.pages import PageClient, form_values, signed_in_page

LAST_WEEK = Week.of(TODAY - timedelta(days=7))


@pytest.fixture
def ana(app: Flask, world, make_token) -> PageClient:
    return signed_in_page(app, make_token("member", member="ana"))


def cell(allocation_id: str, week: Week, day: int) -> str:
    return f"u.{allocation_id}.{week.days[day].isoformat()}"


def week_form(page: PageClient, week: Week, **cells: str) -> dict[str, str]:
    html = page.text("/my/week", week=str(week))
    return {**form_values(html, "week-form"), **cells}


def live_units(api: ApiClient, allocation_id: str, position: int | None = None) -> list[tuple]:
    query = {"min_position": position} if position else {}
    items = api.get(f"/api/allocations/{allocation_id}/activities", **query).json["items"]
    return sorted((i["date_from"], i["units"]) for i in items if not i["retracted"])


def test_the_grid_has_my_allocation_and_the_week_with_weekends_shaded(ana: PageClient, world):
    html = ana.text("/my/week", week=str(LAST_WEEK))
    allocation = world["allocation"]["id"]
    assert f'data-allocation-id="{allocation}"' in html
    assert "Open Data Week · Docs · Q hours" in html
    assert all(f'name="{cell(allocation, LAST_WEEK, day)}"' in html for day in range(7))
    assert len(re.findall(r'<th scope="col" class="day day-\d weekend"', html)) == 2


def test_days_ahead_are_not_open_and_say_why(ana: PageClient, world):
    next_week = Week.of(TODAY + timedelta(days=7))
    html = ana.text("/my/week", week=str(next_week))
    assert f'name="{cell(world["allocation"]["id"], next_week, 0)}"' not in html
    assert html.count("Not open: in the future.") == 7


def test_one_save_records_the_week_and_a_resend_writes_nothing(
    ana: PageClient, world, api: ApiClient
):
    a = world["allocation"]["id"]
    form = week_form(ana, LAST_WEEK, **{cell(a, LAST_WEEK, 0): "3", cell(a, LAST_WEEK, 2): "5"})
    form[f"r.{a}"] = "docs review"
    response = ana.post("/my/week", form)
    assert response.status_code == 303, response.text
    page = ana.text(response.headers["Location"])
    assert "Week saved: 2 recorded." in page
    assert re.search(r'data-field="units_remaining">12<', page)
    assert live_units(api, a) == [
        (LAST_WEEK.days[0].isoformat(), 3),
        (LAST_WEEK.days[2].isoformat(), 5),
    ]
    size = api.log_size()
    again = ana.post("/my/week", form)
    assert again.status_code == 303
    assert api.log_size() == size, "the same form sent again writes nothing"


def test_clearing_a_cell_retracts_it(ana: PageClient, world, api: ApiClient):
    a = world["allocation"]["id"]
    ana.post("/my/week", week_form(ana, LAST_WEEK, **{cell(a, LAST_WEEK, 1): "2"}))
    form = week_form(ana, LAST_WEEK)
    assert form.get(cell(a, LAST_WEEK, 1)) is None, "units are no hidden input"
    response = ana.post("/my/week", {**form, cell(a, LAST_WEEK, 1): ""})
    assert "Week saved: 1 cleared." in ana.text(response.headers["Location"])
    assert live_units(api, a) == []


def test_a_bad_cell_is_shown_under_it_and_nothing_is_saved(ana: PageClient, world, api: ApiClient):
    a = world["allocation"]["id"]
    size = api.log_size()
    form = week_form(ana, LAST_WEEK, **{cell(a, LAST_WEEK, 0): "3", cell(a, LAST_WEEK, 1): "0"})
    response = ana.post("/my/week", form)
    assert response.status_code == 422
    assert "Nothing was saved" in response.text
    assert f'id="{cell(a, LAST_WEEK, 1)}-message">Units must be a whole number' in response.text
    assert api.log_size() == size


def test_a_refused_cell_saves_none_of_the_week_and_says_why_under_it(
    ana: PageClient, world, api: ApiClient
):
    a = world["allocation"]["id"]
    other = api.post(
        "/api/engagements",
        {
            "name": "Closed Week",
            "community": "c",
            "description": "d",
            "start_date": days_ago(90),
            "end_date": days_ago(-90),
        },
    ).json
    closed = grant_on_own_project(api, other["id"], start=60, end=-30, provider="ana")["id"]
    form = week_form(
        ana, LAST_WEEK, **{cell(a, LAST_WEEK, 0): "3", cell(closed, LAST_WEEK, 1): "2"}
    )
    assert (
        api.post(f"/api/engagements/{other['id']}/closure", {"reason": "done"}).status_code == 201
    )
    size = api.log_size()
    response = ana.post("/my/week", form)
    assert response.status_code == 422
    assert "Nothing was saved" in response.text
    assert re.search(
        rf'id="{re.escape(cell(closed, LAST_WEEK, 1))}-message">[^<]*was closed', response.text
    )
    assert f'id="{cell(a, LAST_WEEK, 0)}-message"' not in response.text
    assert api.log_size() == size, "one refused cell leaves the whole week unwritten"


def test_a_late_cell_is_warned_about_before_it_is_saved(ana: PageClient, world, api: ApiClient):
    a = world["allocation"]["id"]
    three_weeks_ago = Week.of(TODAY - timedelta(days=21))
    form = week_form(ana, three_weeks_ago, **{cell(a, three_weeks_ago, 0): "8"})
    size = api.log_size()
    response = ana.post("/my/week", form)
    assert response.status_code == 200
    assert "will be marked late" in response.text and "Save anyway" in response.text
    assert api.log_size() == size, "a warning saves nothing"
    assert ana.post("/my/week", {**form, "confirm": "yes"}).status_code == 303
    items = api.get(f"/api/allocations/{a}/activities").json["items"]
    assert [item["late"] for item in items] == [True]


def test_an_overrun_is_warned_about_on_the_cell_that_makes_it(ana: PageClient, world):
    a = world["allocation"]["id"]
    cells = {cell(a, LAST_WEEK, day): "8" for day in range(3)}
    response = ana.post("/my/week", week_form(ana, LAST_WEEK, **cells))
    assert response.status_code == 200
    assert f'id="{cell(a, LAST_WEEK, 2)}-message">This takes the allocation past' in response.text
    assert f'id="{cell(a, LAST_WEEK, 1)}-message"' not in response.text


def test_copy_last_week_brings_its_rows_not_its_units(ana: PageClient, world, api: ApiClient):
    bens = grant_on_own_project(api, world["engagement"]["id"], start=60, end=-30, provider="ben")[
        "id"
    ]
    before = LAST_WEEK.before()
    recorded = api.post(
        f"/api/allocations/{bens}/activities",
        activity(date_from=before.days[0].isoformat(), date_to=before.days[0].isoformat()),
    )
    assert recorded.status_code == 201, recorded.json
    assert f'data-allocation-id="{bens}"' not in ana.text("/my/week", week=str(LAST_WEEK))
    copied = ana.text("/my/week", week=str(LAST_WEEK), copy="true")
    assert f'data-allocation-id="{bens}"' in copied
    assert f'name="{cell(bens, LAST_WEEK, 0)}" value=""' in copied


@pytest.mark.parametrize("week", ["2026-W60", "2026-49", "0001-W01", "9999-W52"])
def test_a_week_not_of_the_calendar_or_the_supported_dates_is_a_400(ana: PageClient, week):
    assert ana.get("/my/week", week=week).status_code == 400
    assert ana.post("/my/week", {"week": week}).status_code == 400
