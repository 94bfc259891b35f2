"""BD hands an allocation to another provider (`PATCH /api/allocations/{id}` with
`provider`, recorded in `AllocationAmended`), never to someone who leaves before its end;
an allocation whose provider has left shows `provider_departed: true` wherever its JSON
is read, and is listed in the late-activities report (JSON and CSV), after a rebuild of
the views too. Over HTTP, on both stores."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from typing import Any

import pytest

from service.domain.calendar import Month
from tests.support.api import activity
from tests.support.dates import TODAY, days_ago
from tests.support.pages import signed_in_page

MONTH = str(Month.of(TODAY))


def ok(response, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.get_json()
    return response.get_json()


def refused(api, response, status: int, field: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.get_json()
    if field is not None:
        assert field in response.json["errors"], response.json
    return response.json


def depart(api, handle: str, day: str) -> int:
    return ok(api.patch(f"/api/team-members/{handle}", {"departed_on": day}))["position"]


def allocation(api, allocation_id: str, position: int | None = None) -> dict[str, Any]:
    return ok(api.get(f"/api/allocations/{allocation_id}", min_position=position))


def late_report(api, **query: str) -> dict[str, Any]:
    return ok(api.get("/api/reports/late-activities", month=MONTH, **query))


# Reassigning


def test_bd_hands_an_allocation_to_another_member(api, world, make_token):
    allocation_id = world["allocation"]["id"]
    bd = api.as_(make_token("bd"))
    answer = ok(bd.patch(f"/api/allocations/{allocation_id}", {"provider": "ben", "reason": "r"}))
    assert (answer["provider"], answer["provider_departed"]) == ("ben", False)
    assert answer["units_granted"] == 20, "nothing else changed"
    shown = allocation(api, allocation_id, answer["position"])
    assert (shown["provider"], shown["provider_departed"]) == ("ben", False)
    listed = ok(api.get("/api/allocations", min_position=answer["position"]))["items"]
    assert [a["provider"] for a in listed] == ["ben"]

    events = ok(api.get(f"/api/audit/streams/{allocation_id}"))["events"]
    assert events[-1]["event_type"] == "AllocationAmended"
    assert events[-1]["fields"]["provider"] == "ben"
    assert events[-1]["fields"]["reason"] == "r"
    assert events[-1]["actor"] == "Test Bd"


def test_a_new_provider_and_new_terms_are_one_amendment(api, world):
    allocation_id = world["allocation"]["id"]
    before = api.log_size()
    answer = ok(
        api.patch(
            f"/api/allocations/{allocation_id}",
            {"provider": "ben", "units": 30, "reason": "ben takes it, with more hours"},
        )
    )
    assert api.log_size() == before + 1
    assert (answer["provider"], answer["units_granted"]) == ("ben", 30)
    fields = ok(api.get(f"/api/audit/streams/{allocation_id}"))["events"][-1]["fields"]
    assert (fields["provider"], fields["units"], fields["end_date"]) == ("ben", 30, None)


def test_earlier_amendments_changed_no_provider(api, world):
    allocation_id = world["allocation"]["id"]
    ok(api.patch(f"/api/allocations/{allocation_id}", {"units": 25, "reason": "more"}))
    assert allocation(api, allocation_id)["provider"] == "ana"
    fields = ok(api.get(f"/api/audit/streams/{allocation_id}"))["events"][-1]["fields"]
    assert fields["provider"] is None


@pytest.mark.parametrize(
    "body, field, message",
    [
        ({"provider": "zed", "reason": "r"}, "provider", "zed is not a registered team member"),
        ({"provider": None, "reason": "r"}, "provider", "may not be null"),
        ({"provider": "", "reason": "r"}, "provider", "Length must be between 1 and 200"),
        ({"provider": "ben"}, "reason", "Missing data"),
        ({"reason": "r"}, None, "give at least one of units, end_date, description, provider"),
    ],
)
def test_a_bad_provider_change_is_refused_and_changes_nothing(api, world, body, field, message):
    allocation_id = world["allocation"]["id"]
    before = api.log_size()
    answer = refused(api, api.patch(f"/api/allocations/{allocation_id}", body), 422, field)
    assert message in str(answer), answer
    assert api.log_size() == before
    assert allocation(api, allocation_id)["provider"] == "ana"


def test_a_provider_leaving_before_the_allocation_ends_is_refused(api, world):
    """The world's allocation ends in 30 days: ben, who left yesterday, and ben, who is
    recorded to leave in 10 days, cannot take it; cat, leaving after its end, can."""
    allocation_id, end = world["allocation"]["id"], world["allocation"]["end_date"]
    depart(api, "ben", days_ago(1))
    before = api.log_size()
    answer = refused(
        api,
        api.patch(f"/api/allocations/{allocation_id}", {"provider": "ben", "reason": "r"}),
        422,
        "provider",
    )
    assert answer["errors"]["provider"] == [
        f"ben is recorded as leaving on {days_ago(1)}, on or before the allocation's end "
        f"({end}): choose another provider"
    ]
    assert api.log_size() == before

    for handle, leaves, accepted in (("cat", -10, False), ("dan", -31, True)):
        ok(
            api.post(
                "/api/team-members",
                {
                    "handle": handle,
                    "name": handle.title(),
                    "fte": "1",
                    "line_manager": "lee",
                    "effective_date": days_ago(100),
                },
            ),
            201,
        )
        depart(api, handle, days_ago(leaves))
        response = api.patch(
            f"/api/allocations/{allocation_id}", {"provider": handle, "reason": "r"}
        )
        assert response.status_code == (200 if accepted else 422), response.json


def test_a_shorter_period_lets_a_leaving_member_take_it(api, world):
    """The end checked is the amended one, when the same amendment moves it."""
    allocation_id = world["allocation"]["id"]
    depart(api, "ben", days_ago(-10))
    answer = ok(
        api.patch(
            f"/api/allocations/{allocation_id}",
            {"provider": "ben", "end_date": days_ago(-9), "reason": "ben until he leaves"},
        )
    )
    assert (answer["provider"], answer["end_date"]) == ("ben", days_ago(-9))


def test_a_cancelled_allocation_keeps_its_provider(api, world):
    allocation_id = world["allocation"]["id"]
    ok(api.post(f"/api/allocations/{allocation_id}/cancellation", {"reason": "dropped"}), 201)
    before = api.log_size()
    refused(
        api, api.patch(f"/api/allocations/{allocation_id}", {"provider": "ben", "reason": "r"}), 409
    )
    assert api.log_size() == before


def test_a_grant_to_someone_leaving_before_its_end_is_refused(api, world):
    depart(api, "ben", days_ago(1))
    before = api.log_size()
    answer = refused(
        api,
        api.post(
            f"/api/projects/{world['project']['id']}/allocations",
            {
                "start_date": days_ago(-31),
                "end_date": days_ago(-60),
                "units": 5,
                "description": "next",
                "provider": "ben",
            },
        ),
        422,
        "provider",
    )
    assert days_ago(1) in answer["errors"]["provider"][0]
    assert api.log_size() == before


ROLES_REFUSED = (("manager", None), ("member", "ana"), ("viewer", None), ("auditor", None))


def test_only_bd_and_admin_hand_allocations_over(api, world, make_token):
    allocation_id = world["allocation"]["id"]
    tokens = {role: make_token(role, member=member) for role, member in ROLES_REFUSED}
    before = api.log_size()
    for role, token in tokens.items():
        response = api.as_(token).patch(
            f"/api/allocations/{allocation_id}", {"provider": "ben", "reason": "r"}
        )
        assert response.status_code == 403, (role, response.json)
    assert api.log_size() == before


# Flagging an allocation whose provider has left


def test_a_departure_after_the_grant_flags_the_allocation_everywhere(api, world, make_token):
    allocation_id = world["allocation"]["id"]
    assert allocation(api, allocation_id)["provider_departed"] is False
    recorded = ok(api.post(f"/api/allocations/{allocation_id}/activities", activity()), 201)
    position = depart(api, "ana", days_ago(1))

    assert allocation(api, allocation_id, position)["provider_departed"] is True
    listed = ok(api.get("/api/allocations", min_position=position))["items"]
    assert [a["provider_departed"] for a in listed] == [True]
    engagement = ok(api.get(f"/api/engagements/{world['engagement']['id']}"))
    shown = engagement["projects"][0]["allocations"][0]
    assert (shown["id"], shown["provider_departed"]) == (allocation_id, True)
    # Ana's own token still reads, her allocations included.
    mine = ok(api.as_(make_token("member", member="ana")).get("/api/me/allocations"))["items"]
    assert [(a["id"], a["provider_departed"]) for a in mine] == [(allocation_id, True)]

    # As it stood before the departure, and a write's answer now.
    moment = recorded["recorded_at"]
    assert (
        ok(api.get(f"/api/allocations/{allocation_id}", as_of=moment))["provider_departed"] is False
    )
    amended = ok(api.patch(f"/api/allocations/{allocation_id}", {"units": 21, "reason": "r"}))
    assert amended["provider_departed"] is True

    handed = ok(api.patch(f"/api/allocations/{allocation_id}", {"provider": "ben", "reason": "r"}))
    assert handed["provider_departed"] is False
    assert allocation(api, allocation_id, handed["position"])["provider_departed"] is False


def test_a_departure_dated_ahead_flags_nothing_yet(api, world):
    allocation_id = world["allocation"]["id"]
    position = depart(api, "ana", days_ago(-40))  # after the allocation's end
    assert allocation(api, allocation_id, position)["provider_departed"] is False
    assert late_report(api)["provider_departed"] == []


def test_the_flag_survives_a_rebuild_of_the_views(api, world, app):
    allocation_id = world["allocation"]["id"]
    depart(api, "ana", days_ago(1))
    later = ok(
        api.post(
            f"/api/projects/{world['project']['id']}/allocations",
            {
                "start_date": days_ago(-31),
                "end_date": days_ago(-60),
                "units": 5,
                "description": "next",
                "provider": "ben",
            },
        ),
        201,
    )
    before = {a["id"]: a["provider_departed"] for a in ok(api.get("/api/allocations"))["items"]}
    assert before == {allocation_id: True, later["id"]: False}
    result = app.test_cli_runner().invoke(args=["projections", "rebuild", "balances"])
    assert result.exit_code == 0, result.output
    after = {a["id"]: a["provider_departed"] for a in ok(api.get("/api/allocations"))["items"]}
    assert after == before


# The late-activities report


def test_the_late_report_lists_allocations_whose_provider_has_left(api, world):
    allocation_id = world["allocation"]["id"]
    ok(api.post(f"/api/allocations/{allocation_id}/activities", activity(units=3)), 201)
    assert late_report(api)["provider_departed"] == []
    departed = depart(api, "ana", days_ago(1))

    report = late_report(api, min_position=str(departed))
    assert report["provider_departed"] == [
        {
            "allocation_id": allocation_id,
            "engagement_id": world["engagement"]["id"],
            "project_id": world["project"]["id"],
            "provider": "ana",
            "line_manager": "lee",
            "departed_on": days_ago(1),
            "units_remaining": 17,
        }
    ]
    # As of the position before the departure, nobody had left.
    before = late_report(api, as_of_position=str(departed - 1))
    assert before["provider_departed"] == []

    handed = ok(api.patch(f"/api/allocations/{allocation_id}", {"provider": "ben", "reason": "r"}))
    assert late_report(api, min_position=str(handed["position"]))["provider_departed"] == []
    again = late_report(api, as_of_position=str(handed["position"] - 1))
    assert [entry["provider"] for entry in again["provider_departed"]] == ["ana"]


def test_the_report_filters_narrow_departed_providers_too(api, world):
    depart(api, "ana", days_ago(1))
    for query, shown in (
        ({}, ["ana"]),
        ({"line_manager": "lee"}, ["ana"]),
        ({"line_manager": "kim"}, []),
        ({"member": "ana"}, ["ana"]),
        ({"member": "ben"}, []),
        ({"member": "ana", "line_manager": "kim"}, []),
    ):
        report = late_report(api, **query)
        assert [entry["provider"] for entry in report["provider_departed"]] == shown, query


def test_an_allocation_that_ended_before_its_provider_left_is_not_listed(api, world):
    """Ended while its provider was still there: nobody needs to take it over."""
    project = ok(
        api.post(
            f"/api/engagements/{world['engagement']['id']}/projects",
            {"name": "Talks", "outcome": "o"},
        ),
        201,
    )
    ok(
        api.post(
            f"/api/projects/{project['id']}/allocations",
            {
                "start_date": days_ago(80),
                "end_date": days_ago(70),
                "units": 5,
                "description": "done",
                "provider": "ben",
            },
        ),
        201,
    )
    depart(api, "ben", days_ago(65))
    for day in (TODAY - timedelta(days=70), TODAY):
        report = ok(api.get("/api/reports/late-activities", month=str(Month.of(day))))
        assert report["provider_departed"] == [], day


def test_the_late_csv_has_a_row_per_allocation_whose_provider_has_left(api, world):
    depart(api, "ana", days_ago(1))
    response = api.client.get(
        "/api/reports/late-activities",
        query_string={"month": MONTH},
        headers={**api.headers(), "Accept": "text/csv"},
    )
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    departed = [row for row in rows if row["kind"] == "provider_departed"]
    assert [
        (row["allocation_id"], row["team_member"], row["departed_on"], row["units_remaining"])
        for row in departed
    ] == [(world["allocation"]["id"], "ana", days_ago(1), "20")]


def test_the_review_page_lists_them_for_managers(app, api, world, make_token):
    depart(api, "ana", days_ago(1))
    manager = signed_in_page(app, make_token("manager", name="Lee"))
    html = manager.text("/review")
    section = re.search(r'<section aria-labelledby="departed-heading">(.*?)</section>', html, re.S)
    assert section, "no section of departed providers"
    row = re.search(
        rf'<tr data-allocation-id="{world["allocation"]["id"]}">(.*?)</tr>', section[1], re.S
    )
    # The provider by name, linked to their page (/review names people, not handles).
    assert row and '<a href="/team/ana">Ana</a>' in row[1] and days_ago(1) in row[1]
    assert "Open Data Week · Docs · Q hours" in row[1]
    assert re.search(r'data-field="units_remaining">20<', row[1])
    ok(
        api.post(
            "/api/team-members",
            {
                "handle": "cara",
                "name": "Cara",
                "fte": "1",
                "line_manager": "mo",
                "effective_date": days_ago(10),
            },
        ),
        201,
    )
    assert "No provider has left" in manager.text("/review", line_manager="mo")
