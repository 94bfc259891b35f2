"""A cancelled allocation takes no new work, but what was recorded on it before can be
corrected and retracted, on both stores; its balance follows, and every other rule
(dates within the period, closed months, a member only their own) holds as before."""

from __future__ import annotations

import pytest

from tests.support.api import activity
from tests.support.dates import days_ago

CLOSED_DAY = days_ago(40)  # an earlier month than today's, inside the world's allocation


@pytest.fixture
def cancelled(api, world):
    """Two activities recorded on the world's allocation (3 and 4 units), then cancelled."""
    allocation_id = world["allocation"]["id"]
    first = api.post(f"/api/allocations/{allocation_id}/activities", activity(units=3))
    second = api.post(f"/api/allocations/{allocation_id}/activities", activity(units=4))
    assert first.status_code == second.status_code == 201
    response = api.post(f"/api/allocations/{allocation_id}/cancellation", {"reason": "dropped"})
    assert response.status_code == 201, response.json
    return {"id": allocation_id, "first": first.json, "second": second.json}


def balance(api, allocation_id: str, position: int) -> dict:
    response = api.get(f"/api/allocations/{allocation_id}", min_position=position)
    assert response.status_code == 200, response.json
    return response.json


def test_corrections_and_retractions_go_on_and_the_balance_follows(api, cancelled):
    allocation_id = cancelled["id"]
    corrected = api.post(
        f"/api/activities/{cancelled['first']['id']}/corrections",
        {"units": 5, "reason": "it took longer"},
    )
    assert corrected.status_code == 201, corrected.json
    assert (corrected.json["units"], corrected.json["corrections"]) == (5, 1)
    assert corrected.json["units_remaining"] == 20 - 5 - 4
    shown = balance(api, allocation_id, corrected.json["position"])
    assert (shown["status"], shown["units_used"], shown["units_remaining"]) == ("cancelled", 9, 11)

    retracted = api.post(
        f"/api/activities/{cancelled['second']['id']}/retraction", {"reason": "not done"}
    )
    assert retracted.status_code == 201, retracted.json
    assert retracted.json["retracted"] is True
    assert retracted.json["units_remaining"] == 15
    shown = balance(api, allocation_id, retracted.json["position"])
    assert (shown["status"], shown["units_used"], shown["units_remaining"]) == ("cancelled", 5, 15)

    listed = api.get(
        f"/api/allocations/{allocation_id}/activities", min_position=retracted.json["position"]
    ).json["items"]
    assert [(a["units"], a["retracted"]) for a in listed] == [(5, False), (4, True)]
    events = api.get(f"/api/audit/streams/{allocation_id}").json["events"]
    assert [e["event_type"] for e in events][-3:] == [
        "AllocationCancelled",
        "ActivityCorrected",
        "ActivityRetracted",
    ]


def test_a_correction_may_move_the_dates_within_the_period(api, cancelled):
    moved = api.post(
        f"/api/activities/{cancelled['first']['id']}/corrections",
        {"date_from": days_ago(5), "date_to": days_ago(4), "reason": "it was last week"},
    )
    assert moved.status_code == 201, moved.json
    assert (moved.json["date_from"], moved.json["date_to"]) == (days_ago(5), days_ago(4))
    before = api.log_size()
    outside = api.post(
        f"/api/activities/{cancelled['first']['id']}/corrections",
        {"date_from": days_ago(70), "reason": "earlier"},
    )
    assert outside.status_code == 422, outside.json
    assert "outside the allocation's period" in outside.json["detail"]
    assert api.log_size() == before


def test_new_work_is_refused_naming_the_cancellation(api, world, cancelled):
    before = api.log_size()
    refused = api.post(f"/api/allocations/{cancelled['id']}/activities", activity())
    assert refused.status_code == 409, refused.json
    assert refused.mimetype == "application/problem+json"
    assert "cancelled allocation" in refused.json["detail"]
    # Cancelling released the period from the project's schedule: nothing covers it now.
    by_project = api.post(f"/api/projects/{world['project']['id']}/activities", activity())
    assert by_project.status_code == 422, by_project.json
    assert "no allocation of this project covers" in by_project.json["detail"]
    amended = api.patch(f"/api/allocations/{cancelled['id']}", {"units": 30, "reason": "more"})
    assert amended.status_code == 409, amended.json
    again = api.post(f"/api/allocations/{cancelled['id']}/cancellation", {"reason": "again"})
    assert again.status_code == 409, again.json
    assert api.log_size() == before
    shown = balance(api, cancelled["id"], before)
    assert (shown["units_granted"], shown["units_used"]) == (20, 7)


def test_the_other_rules_still_hold_on_a_cancelled_allocation(api, make_token, world):
    allocation_id = world["allocation"]["id"]
    ana = api.as_(make_token("member", member="ana"))
    in_closed = ana.post(
        f"/api/allocations/{allocation_id}/activities",
        activity(date_from=CLOSED_DAY, date_to=CLOSED_DAY),
    )
    bens = api.post(f"/api/allocations/{allocation_id}/activities", activity(team_member="ben"))
    assert in_closed.status_code == bens.status_code == 201
    assert (
        api.post(f"/api/allocations/{allocation_id}/cancellation", {"reason": "x"}).status_code
        == 201
    )
    assert api.post(f"/api/periods/{CLOSED_DAY[:7]}/closure", {}).status_code == 201
    before = api.log_size()
    closed_month = ana.post(
        f"/api/activities/{in_closed.json['id']}/corrections", {"units": 1, "reason": "r"}
    )
    assert closed_month.status_code == 403, closed_month.json
    assert f"{CLOSED_DAY[:7]} is closed" in closed_month.json["detail"]
    not_hers = ana.post(f"/api/activities/{bens.json['id']}/retraction", {"reason": "r"})
    assert not_hers.status_code == 403, not_hers.json
    assert api.log_size() == before

    manager = api.as_(make_token("manager"))
    flagged = manager.post(
        f"/api/activities/{in_closed.json['id']}/corrections", {"units": 1, "reason": "r"}
    )
    assert flagged.status_code == 201, flagged.json
    assert flagged.json["units_remaining"] == 20 - 1 - 3
