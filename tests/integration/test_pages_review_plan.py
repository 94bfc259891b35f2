"""Review (managers) and Plan (business development), as people use them: the figures
are the API's reports', the line-manager filter hides other teams, bad months are
answered with the form and a message, and the Plan forms grant and amend through the
API's rules, recording nothing when refused."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

import pytest
from flask import Flask

from service.domain.calendar import Month
from tests.support.api import ApiClient, activity
from tests.support.dates import TODAY, days_ago
from tests.support.pages import FORM_KEY_INPUT, PageClient, follow, form_values, signed_in_page

THIS_MONTH = str(Month.of(TODAY))


def section(html: str, heading_id: str) -> str:
    """The text of the `<section>` labelled by `heading_id`."""
    match = re.search(rf'<section aria-labelledby="{heading_id}">(.*?)</section>', html, re.S)
    assert match, f"no section {heading_id}"
    return match[1]


def row(html: str, attribute: str, value: str) -> str:
    match = re.search(rf'<tr[^>]*{attribute}="{re.escape(value)}"[^>]*>(.*?)</tr>', html, re.S)
    assert match, f"no row {attribute}={value}"
    return match[1]


def field(row_html: str, name: str) -> str:
    match = re.search(rf'data-field="{name}">([^<]*)<', row_html)
    assert match, f"no {name} in {row_html}"
    return match[1].strip()


def month_table(html: str, month: str) -> str:
    match = re.search(
        rf'<table class="plan-members" data-month="{month}">(.*?)</table>', html, re.S
    )
    assert match, f"no table for {month}"
    return match[1]


def register(api: ApiClient, handle: str, line_manager: str, fte: str = "0.5") -> None:
    body = {
        "handle": handle,
        "name": handle.title(),
        "fte": fte,
        "line_manager": line_manager,
        "effective_date": days_ago(365),
    }
    assert api.post("/api/team-members", body).status_code == 201


def new_project(api: ApiClient, world: dict[str, Any], name: str) -> str:
    engagement_id = world["engagement"]["id"]
    body = {"name": name, "outcome": "o"}
    response = api.post(f"/api/engagements/{engagement_id}/projects", body)
    assert response.status_code == 201, response.json
    return response.json["id"]


def grant(api: ApiClient, project_id: str, start: date, end: date, units: int, provider=None):
    body = {
        "start_date": start.isoformat(),
        "end_date": end.isoformat(),
        "units": units,
        "description": f"{units} units",
        "provider": provider,
    }
    response = api.post(f"/api/projects/{project_id}/allocations", body)
    assert response.status_code == 201, response.json
    return response.json


@pytest.fixture
def manager(app: Flask, world, make_token) -> PageClient:
    return signed_in_page(app, make_token("manager"))


@pytest.fixture
def bd(app: Flask, world, make_token) -> PageClient:
    return signed_in_page(app, make_token("bd"))


# Review


def test_a_manager_sees_a_20_day_old_entry_with_its_days_late(
    manager: PageClient, world, api: ApiClient
):
    allocation_id = world["allocation"]["id"]
    recorded = api.post(
        f"/api/allocations/{allocation_id}/activities",
        activity(
            units=5, description="wrote the FAQ", date_from=days_ago(20), date_to=days_ago(20)
        ),
    )
    assert recorded.status_code == 201
    reported = api.get("/api/reports/late-activities", month=THIS_MONTH).json["late"]
    assert [entry["days_late"] for entry in reported] == [6]

    late = section(manager.text("/review"), "late-heading")
    entry = row(late, "data-activity-id", recorded.json["id"])
    assert '<a href="/team/ana">Ana</a>' in entry and "lee" in entry and "(ana)" not in entry
    assert days_ago(20) in entry and "wrote the FAQ" in entry and ">5<" in entry
    assert field(entry, "days_late") == "6"
    engagement_id = world["engagement"]["id"]
    assert f'href="/engagements/{engagement_id}#alloc-{allocation_id}"' in entry
    report = f"/engagements/{engagement_id}/reports/{days_ago(20)[:7]}"
    assert f'href="{report}#activity-{recorded.json["id"]}"' in entry
    assert f'href="/review/activities/{recorded.json["id"]}"' in entry, "no link to its history"
    assert f'id="activity-{recorded.json["id"]}"' in manager.text(report)
    assert "/audit/streams/" not in entry, "a manager may not open the audit"


def test_an_admin_may_follow_a_late_entry_to_its_allocations_history(
    app: Flask, world, make_token, api: ApiClient
):
    allocation_id = world["allocation"]["id"]
    late = activity(date_from=days_ago(20), date_to=days_ago(20))
    assert api.post(f"/api/allocations/{allocation_id}/activities", late).status_code == 201
    html = section(signed_in_page(app, make_token("admin")).text("/review"), "late-heading")
    assert f'href="/audit/streams/{allocation_id}"' in html


def test_the_line_manager_filter_hides_other_teams(manager: PageClient, world, api: ApiClient):
    register(api, "cara", "mo")
    for member in ("ana", "cara"):
        response = api.post(
            f"/api/allocations/{world['allocation']['id']}/activities",
            activity(
                team_member=member,
                description=f"late work of {member}",
                date_from=days_ago(20),
                date_to=days_ago(20),
            ),
        )
        assert response.status_code == 201
    project_id = new_project(api, world, "Talks")
    grant(api, project_id, TODAY - timedelta(5), TODAY + timedelta(40), 10, provider="cara")

    everyone = manager.text("/review")
    assert "late work of ana" in everyone and "late work of cara" in everyone

    html = manager.text("/review", line_manager="mo")
    assert "late work of cara" in html and "late work of ana" not in html
    assert '<a href="/team/cara">Cara</a>' in section(html, "silent-heading")
    assert "/team/ana" not in section(html, "silent-heading")
    capacity = section(html, "capacity-heading")
    assert 'data-member="cara"' in capacity and 'data-member="ana"' not in capacity
    assert "Team of mo" in capacity

    html = manager.text("/review", line_manager="lee")
    assert "late work of ana" in html and "late work of cara" not in html
    assert "/team/cara" not in section(html, "silent-heading")


def test_a_silent_provider_is_listed(manager: PageClient, world, api: ApiClient):
    silent = api.get("/api/reports/late-activities", month=THIS_MONTH).json["silent_members"]
    assert [s["handle"] for s in silent] == ["ana"]
    html = section(manager.text("/review", month=THIS_MONTH), "silent-heading")
    provider = row(html, "data-allocation-id", world["allocation"]["id"])
    assert (
        '<a href="/team/ana">Ana</a>' in provider and "Open Data Week · Docs · Q hours" in provider
    )


def test_review_capacity_figures_are_the_capacity_reports(
    manager: PageClient, world, api: ApiClient
):
    api.post(
        f"/api/allocations/{world['allocation']['id']}/activities",
        activity(date_from=days_ago(0), date_to=days_ago(0), units=8),
    )
    report = api.get("/api/reports/capacity", month=THIS_MONTH).json
    html = section(manager.text("/review"), "capacity-heading")
    for member in report["members"]:
        shown = row(html, "data-member", member["handle"])
        assert float(field(shown, "capacity_units")) == member["capacity_units"]
        assert int(field(shown, "units_used")) == member["units_used"]
    team = row(html, "data-total", "team")
    assert float(field(team, "units_committed")) == report["totals"]["units_committed"]
    assert float(field(team, "capacity_units")) == report["totals"]["capacity_units"]


@pytest.mark.boundary
@pytest.mark.parametrize("month", ["2026-13", "x", "0000-01", "２０２４-03"])
def test_a_bad_month_shows_the_form_with_its_message(manager: PageClient, month: str):
    response = manager.get("/review", month=month, unknown="ignored")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="month-error"' in html
    assert '<input type="month" id="month" name="month"' in html
    assert "late-heading" not in html


def test_an_unknown_line_manager_is_refused_with_a_message(manager: PageClient):
    response = manager.get("/review", line_manager="nobody")
    assert response.status_code == 422
    assert "nobody is not the line manager of anyone" in response.get_data(as_text=True)


@pytest.mark.boundary
@pytest.mark.parametrize(
    ("role", "path"),
    [("member", "/review"), ("member", "/plan"), ("viewer", "/review"), ("viewer", "/plan"),
     ("bd", "/review"), ("manager", "/plan"), ("auditor", "/plan")],
)  # fmt: skip
def test_other_roles_may_not_open_review_or_plan(app: Flask, world, make_token, role, path):
    page = signed_in_page(app, make_token(role, member="ana" if role == "member" else None))
    assert page.get(path).status_code == 403


def test_nobody_signed_in_is_sent_to_sign_in(app: Flask):
    response = app.test_client().get("/plan")
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]


# Plan: the figures


def test_plan_committed_figures_per_member_are_those_computed_by_hand(
    bd: PageClient, world, api: ApiClient
):
    first = Month.of(TODAY)
    for _ in range(3):
        first = first.next()
    second = first.next()
    days_1 = (first.last_day - first.first_day).days + 1
    days_2 = (second.last_day - second.first_day).days + 1
    grant(api, new_project(api, world, "Long"), first.first_day, second.last_day, 30, "ben")
    grant(
        api,
        new_project(api, world, "Short"),
        first.first_day + timedelta(9),
        first.first_day + timedelta(18),
        8,
    )

    def hand(value: Decimal) -> str:
        return str(float(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN)))

    weekdays_1 = sum(1 for d in range(days_1) if (first.first_day + timedelta(d)).weekday() < 5)
    weekdays_2 = sum(1 for d in range(days_2) if (second.first_day + timedelta(d)).weekday() < 5)
    # Spread over the allocation's working days, as capacity is counted (issue 12 changed
    # the rule from its calendar days: 30 × days_1 / (days_1 + days_2)).
    ben_1 = Decimal(30) * weekdays_1 / (weekdays_1 + weekdays_2)
    ben_2 = Decimal(30) * weekdays_2 / (weekdays_1 + weekdays_2)

    html = bd.text("/plan", **{"from": str(first), "to": str(second)})
    table_1, table_2 = month_table(html, str(first)), month_table(html, str(second))
    assert field(row(table_1, "data-member", "ben"), "units_committed") == hand(ben_1)
    assert field(row(table_2, "data-member", "ben"), "units_committed") == hand(ben_2)
    assert field(row(table_1, "data-member", ""), "units_committed") == "8.0"
    assert float(field(row(table_1, "data-member", "ben"), "capacity_units")) == 4 * weekdays_1
    assert 'data-member="ana"' in table_1, "a member with capacity and no commitment is listed"
    assert field(row(table_1, "data-member", "ana"), "units_committed") == "0.0"

    team = section(html, "team-heading")
    for month, expected in ((first, ben_1 + 8), (second, ben_2)):
        report = api.get("/api/reports/capacity", month=str(month)).json["totals"]
        assert (
            float(field(row(team, "data-month", str(month)), "units_committed"))
            == (report["units_committed"])
        )
        assert report["units_committed"] == float(hand(expected))


def test_plan_defaults_to_this_month_and_two_more(bd: PageClient):
    html = bd.text("/plan")
    months = re.findall(r'<table class="plan-members" data-month="([^"]+)">', html)
    start = Month.of(TODAY)
    assert months == [str(start), str(start.next()), str(start.next().next())]


def test_plan_says_committed_units_are_shared_by_working_days_as_computed(bd: PageClient):
    """The figures spread an allocation's units over the working days of its period
    (calendar.committed_units); the page said "calendar days" (issue 21)."""
    hint = re.sub(r"\s+", " ", section(bd.text("/plan"), "team-heading"))
    assert "working days (Monday to Friday) of its period" in hint
    assert "calendar days" not in hint


@pytest.mark.boundary
@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"from": "2026-01", "to": "2028-01"}, "at most 24 months at a time"),
        ({"from": "2026-05", "to": "2026-04"}, "must not be before the first month"),
        ({"from": "2026-13"}, "give the month as YYYY-MM"),
        ({"to": "soon"}, "give the month as YYYY-MM"),
    ],
)
def test_plan_refuses_a_bad_range_with_a_message(bd: PageClient, query, message):
    response = bd.get("/plan", **query)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)


def test_plan_shows_24_months(bd: PageClient):
    html = bd.text("/plan", **{"from": "2026-01", "to": "2027-12"})
    assert len(re.findall(r'<table class="plan-members"', html)) == 24


# Plan: the forms


def grant_form(page: PageClient, project_id: str, **overrides: str) -> dict[str, str]:
    html = page.text("/plan")
    form = {
        **form_values(html, "grant-form"),
        "project_id": project_id,
        "start_date": days_ago(-31),
        "end_date": days_ago(-90),
        "units": "16",
        "description": "Spring sprint",
        "provider": "ben",
    }
    return {**form, **overrides}


def test_a_bd_grants_an_allocation_and_the_api_shows_it(bd: PageClient, world, api: ApiClient):
    response = bd.post("/plan?from=2026-01&to=2026-02", grant_form(bd, world["project"]["id"]))
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/plan?from=2026-01&to=2026-02")
    page = follow(bd, response)
    assert "Granted allocation “Spring sprint” to Open Data Week · Docs" in page
    assert "balance 16 of 16 units remaining" in page

    items = api.get("/api/allocations").json["items"]
    granted = [item for item in items if item["description"] == "Spring sprint"]
    assert len(granted) == 1
    assert granted[0]["units_granted"] == 16 and granted[0]["units_remaining"] == 16
    assert granted[0]["start_date"] == days_ago(-31) and granted[0]["end_date"] == days_ago(-90)
    assert granted[0]["provider"] == "ben"
    assert granted[0]["project_id"] == world["project"]["id"]


def test_the_grant_form_sent_twice_grants_once(bd: PageClient, world, api: ApiClient):
    form = grant_form(bd, world["project"]["id"])
    assert bd.post("/plan", form).status_code == 303
    size = api.log_size()
    assert bd.post("/plan", form).status_code == 303
    assert api.log_size() == size
    assert len(api.get("/api/allocations").json["items"]) == 2


def test_an_overlapping_grant_re_renders_with_the_message(bd: PageClient, world, api: ApiClient):
    form = grant_form(bd, world["project"]["id"], start_date=days_ago(10))
    size = api.log_size()
    response = bd.post("/plan", form)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    other = world["allocation"]
    assert (
        'id="grant-start_date-error">The period overlaps the allocation of Docs (Open Data '
        f"Week) from {other['start_date']} to {other['end_date']}: allocations of one project "
        "never overlap." in html
    ), "the other allocation is named by its project, engagement and dates, not its id"
    assert ">Spring sprint</textarea>" in html, "the form keeps what was typed"
    assert api.log_size() == size
    corrected = bd.post("/plan", {**form, "start_date": days_ago(-31)})
    assert corrected.status_code == 303, "the same form, corrected, is a new request"


def test_a_grant_past_the_engagements_end_re_renders_naming_its_dates(
    bd: PageClient, world, api: ApiClient
):
    """Issue 21: a grant past its engagement's end was granted."""
    end = world["engagement"]["end_date"]
    after = (date.fromisoformat(end) + timedelta(days=1)).isoformat()
    form = grant_form(bd, world["project"]["id"], end_date=after)
    size = api.log_size()
    response = bd.post("/plan", form)
    assert response.status_code == 422
    message = re.search(r'id="grant-end_date-error">([^<]*)<', response.get_data(as_text=True))
    assert message, "no message under the end date"
    assert f"runs {world['engagement']['start_date']} to {end}" in message[1]
    assert api.log_size() == size


def test_bad_grant_input_re_renders_with_each_fields_message(bd: PageClient, world, api):
    form = grant_form(bd, "not-a-project", units="0", end_date="31/12/2026", description="")
    size = api.log_size()
    response = bd.post("/plan", form)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    for name in ("project_id", "units", "end_date", "description"):
        assert f'id="grant-{name}-error"' in html, name
    assert api.log_size() == size


def test_a_form_without_its_csrf_token_is_refused_and_records_nothing(
    bd: PageClient, world, api: ApiClient
):
    form = grant_form(bd, world["project"]["id"])
    form.pop("csrf_token", None)
    size = api.log_size()
    response = bd.post("/plan", form, with_csrf=False)
    assert response.status_code == 400
    assert api.log_size() == size


def test_a_bd_amends_an_allocation(bd: PageClient, world, api: ApiClient):
    allocation_id = world["allocation"]["id"]
    html = bd.text("/plan")
    form = {
        **form_values(html, "amend-form"),
        "allocation_id": allocation_id,
        "units": "26",
        "end_date": "",
        "description": "",
        "reason": "six more units agreed",
    }
    response = bd.post("/plan", form)
    assert response.status_code == 303
    page = follow(bd, response)
    assert "Amended allocation “Q hours”" in page and "balance 26 of 26 units remaining" in page
    assert api.get(f"/api/allocations/{allocation_id}").json["units_granted"] == 26


def test_an_amendment_refused_by_the_domain_records_nothing(bd: PageClient, world, api: ApiClient):
    allocation_id = world["allocation"]["id"]
    api.post(
        f"/api/allocations/{allocation_id}/activities",
        activity(date_from=days_ago(2), date_to=days_ago(2)),
    )
    html = bd.text("/plan")
    form = {
        **form_values(html, "amend-form"),
        "allocation_id": allocation_id,
        "end_date": days_ago(5),
        "reason": "shorter",
    }
    size = api.log_size()
    response = bd.post("/plan", form)
    assert response.status_code == 422
    assert re.search(r'id="amend-end_date-error">The new period would leave', response.text)
    assert api.log_size() == size
    missing_reason = bd.post("/plan", {**form, "reason": "", "end_date": days_ago(-40)})
    assert missing_reason.status_code == 422
    assert 'id="amend-reason-error"' in missing_reason.text
    assert api.log_size() == size


def test_the_form_key_of_each_form_differs(bd: PageClient):
    keys = FORM_KEY_INPUT.findall(bd.text("/plan"))
    assert len(keys) == 2 and keys[0] != keys[1]
