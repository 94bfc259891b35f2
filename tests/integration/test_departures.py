"""Start dates and departures are enforced (issue 12, point 4): work is recorded only
for days a member was on the team, from the effective date they were registered with to
the day before their departure takes effect, whoever records it (422 naming the date);
and a departed member's token writes nothing more (403), on the API and the pages,
while it still reads. A manager still records and corrects their work dated before the
departure. Every refusal leaves the log as it was. Over HTTP, on both stores."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from tests.support.api import activity
from tests.support.dates import days_ago
from tests.support.pages import FORM_KEY_INPUT, signed_in_page

LEFT_ON = days_ago(5)


def ok(response, status: int = 201) -> dict[str, Any]:
    assert response.status_code == status, response.get_json()
    return response.get_json()


def depart(api, handle: str, day: str = LEFT_ON) -> None:
    ok(api.patch(f"/api/team-members/{handle}", {"departed_on": day}), 200)


@pytest.fixture
def tokens(make_token) -> dict[str, str]:
    """Made before anything is measured (issuing a token is an event too)."""
    return {
        "ana": make_token("member", member="ana"),
        "manager": make_token("manager", name="Lee"),
        "ana_manager": make_token("manager", member="ana"),
    }


def record(api, world, **overrides: Any):
    return api.post(
        f"/api/allocations/{world['allocation']['id']}/activities", activity(**overrides)
    )


# Work dated after a departure


@pytest.mark.parametrize("who", ["admin", "manager"])
def test_work_dated_from_the_departure_on_is_refused_naming_the_date(api, world, tokens, who):
    depart(api, "ana")
    client = api if who == "admin" else api.as_(tokens["manager"])
    before = api.log_size()
    for date_from, date_to in (
        (LEFT_ON, LEFT_ON),
        (days_ago(6), days_ago(3)),
        (days_ago(1), days_ago(1)),
    ):
        response = record(client, world, date_from=date_from, date_to=date_to)
        assert response.status_code == 422, response.json
        assert response.json["errors"] == {
            "date_to": [f"ana left on {LEFT_ON}; date_to {date_to} is not before that"]
        }
    project_route = client.post(
        f"/api/projects/{world['project']['id']}/activities",
        activity(date_from=days_ago(2), date_to=days_ago(2)),
    )
    assert project_route.status_code == 422 and "date_to" in project_route.json["errors"]
    assert api.log_size() == before


def test_a_manager_still_records_and_corrects_work_dated_before_the_departure(api, world, tokens):
    depart(api, "ana")
    manager = api.as_(tokens["manager"])
    recorded = ok(record(manager, world, date_from=days_ago(8), date_to=days_ago(6)))
    assert (recorded["team_member"], recorded["recorded_by"]) == ("ana", "Lee")
    corrected = ok(
        manager.post(
            f"/api/activities/{recorded['id']}/corrections",
            {"units": 5, "date_to": days_ago(7), "reason": "it ended earlier"},
        )
    )
    assert (corrected["units"], corrected["date_to"]) == (5, days_ago(7))
    ok(manager.post(f"/api/activities/{recorded['id']}/retraction", {"reason": "duplicate"}))


def test_a_correction_may_not_move_work_past_the_departure_nor_hand_it_to_a_leaver(
    api, world, tokens
):
    ana_work = ok(record(api, world, date_from=days_ago(8), date_to=days_ago(8)))
    ben_work = ok(record(api, world, team_member="ben", date_from=days_ago(2), date_to=days_ago(2)))
    depart(api, "ana")
    before = api.log_size()
    moved = api.post(
        f"/api/activities/{ana_work['id']}/corrections",
        {"date_to": days_ago(4), "reason": "it went on"},
    )
    assert moved.status_code == 422
    assert moved.json["errors"] == {
        "date_to": [f"ana left on {LEFT_ON}; date_to {days_ago(4)} is not before that"]
    }
    handed = api.post(
        f"/api/activities/{ben_work['id']}/corrections", {"team_member": "ana", "reason": "hers"}
    )
    assert handed.status_code == 422
    assert handed.json["errors"] == {
        "date_to": [f"ana left on {LEFT_ON}; date_to {days_ago(2)} is not before that"]
    }
    assert api.log_size() == before


def test_a_correction_of_units_alone_fixes_the_record_as_it_is(api, world):
    """Work recorded before the departure was known, dated after it, stays correctable
    in units and description (the record of what was done); its dates move only back."""
    late_work = ok(record(api, world, date_from=days_ago(3), date_to=days_ago(3)))
    depart(api, "ana")
    ok(api.post(f"/api/activities/{late_work['id']}/corrections", {"units": 2, "reason": "less"}))
    ok(
        api.post(
            f"/api/activities/{late_work['id']}/corrections",
            {"date_from": days_ago(6), "date_to": days_ago(6), "reason": "before she left"},
        )
    )


def test_a_departure_dated_ahead_lets_work_in_until_that_day(api, world, tokens):
    depart(api, "ana", days_ago(-10))
    ana = api.as_(tokens["ana"])
    recorded = ok(record(ana, world, date_from=days_ago(1), date_to=days_ago(1)))
    ok(ana.post(f"/api/activities/{recorded['id']}/corrections", {"units": 2, "reason": "r"}))


# Work dated before a member's start


def test_work_dated_before_the_start_is_refused_naming_the_start(api, world):
    ok(
        api.post(
            "/api/team-members",
            {
                "handle": "cat",
                "name": "Cat",
                "fte": "1",
                "line_manager": "lee",
                "effective_date": days_ago(10),
            },
        )
    )
    before = api.log_size()
    response = record(api, world, team_member="cat", date_from=days_ago(12), date_to=days_ago(9))
    assert response.status_code == 422
    assert response.json["errors"] == {
        "date_from": [f"cat started on {days_ago(10)}; date_from {days_ago(12)} is before that"]
    }
    assert api.log_size() == before
    on_the_day = ok(
        record(api, world, team_member="cat", date_from=days_ago(10), date_to=days_ago(9))
    )
    moved = api.post(
        f"/api/activities/{on_the_day['id']}/corrections",
        {"date_from": days_ago(11), "reason": "started early"},
    )
    assert moved.status_code == 422 and "date_from" in moved.json["errors"]
    ana_work = ok(record(api, world, date_from=days_ago(12), date_to=days_ago(12)))
    handed = api.post(
        f"/api/activities/{ana_work['id']}/corrections", {"team_member": "cat", "reason": "cat's"}
    )
    assert handed.status_code == 422
    assert handed.json["errors"]["date_from"][0].startswith(f"cat started on {days_ago(10)}")


# A departed member's token


def test_a_departed_members_token_can_no_longer_write(api, world, tokens):
    recorded = ok(record(api.as_(tokens["ana"]), world, date_from=days_ago(8), date_to=days_ago(8)))
    depart(api, "ana")
    ana = api.as_(tokens["ana"])
    message = (
        f"ana left on {LEFT_ON}: their token can no longer write (it still reads); "
        "a manager records or corrects their work dated before that"
    )
    before = api.log_size()
    for response in (
        record(ana, world, date_from=days_ago(8), date_to=days_ago(8)),
        ana.post(
            f"/api/projects/{world['project']['id']}/activities",
            activity(date_from=days_ago(8), date_to=days_ago(8)),
        ),
        ana.post(f"/api/activities/{recorded['id']}/corrections", {"units": 1, "reason": "r"}),
        ana.post(f"/api/activities/{recorded['id']}/retraction", {"reason": "r"}),
    ):
        assert response.status_code == 403, response.json
        assert response.json["detail"] == message
        assert api.log_size() == before
    # Reads go on.
    assert ana.get("/api/me").json["team_member"]["departed_on"] == LEFT_ON
    listed = ana.get(f"/api/allocations/{world['allocation']['id']}/activities")
    assert listed.status_code == 200 and [a["id"] for a in listed.json["items"]] == [recorded["id"]]


def test_a_manager_token_naming_a_departed_member_writes_nothing_either(api, world, tokens):
    depart(api, "ana")
    before = api.log_size()
    response = api.as_(tokens["ana_manager"]).post(
        "/api/team-members",
        {
            "handle": "dan",
            "name": "Dan",
            "fte": "1",
            "line_manager": "lee",
            "effective_date": days_ago(1),
        },
    )
    assert response.status_code == 403 and "ana left on" in response.json["detail"]
    assert api.log_size() == before
    assert api.as_(tokens["ana_manager"]).get("/api/team-members").status_code == 200


def test_a_departed_member_signed_in_to_the_pages_records_nothing(app: Flask, api, world, tokens):
    page = signed_in_page(app, tokens["ana"])
    form_key = FORM_KEY_INPUT.search(page.text("/my")).group(1)
    depart(api, "ana")
    before = api.log_size()
    form = {
        "allocation_id": world["allocation"]["id"],
        "units": "3",
        "description": "a last review",
        "date_from": days_ago(8),
        "date_to": "",
        "form_key": form_key,
    }
    response = page.post("/my", form)
    assert response.status_code == 403
    assert "can no longer write" in response.get_data(as_text=True)
    assert api.log_size() == before
    assert page.get("/my").status_code == 200, "the pages still read"
