"""Closed months over the API, on both stores (docs/explanation/statements.md): an admin closes
a month; afterwards a member's recording, correction or retraction dated in it is refused
(403 naming the month, nothing written), a manager's is accepted and flagged `after_close`
in the audit log; months still open are unaffected."""

from __future__ import annotations

from datetime import date

import pytest

from tests.support.api import activity
from tests.support.dates import TODAY, days_ago

# 40 days ago lies in an earlier month than today's, and inside the world's allocation
# (the last 60 days and the next 30).
CLOSED_DAY = days_ago(40)
CLOSED = CLOSED_DAY[:7]
OPEN_DAY = TODAY.isoformat()


@pytest.fixture
def member(api, make_token, world):
    return api.as_(make_token("member", member="ana"))


@pytest.fixture
def manager(api, make_token, world):
    return api.as_(make_token("manager", name="Lee Chen"))


def close(api, month: str = CLOSED, **body):
    return api.post(f"/api/periods/{month}/closure", body)


def last_event(api, stream_id: str) -> dict:
    response = api.get(f"/api/audit/streams/{stream_id}")
    assert response.status_code == 200, response.json
    return response.json["events"][-1]


def test_a_members_changes_dated_in_a_closed_month_are_refused(api, world, member):
    allocation_id = world["allocation"]["id"]
    recorded = member.post(
        f"/api/allocations/{allocation_id}/activities",
        activity(date_from=CLOSED_DAY, date_to=CLOSED_DAY),
    )
    in_open_month = member.post(
        f"/api/allocations/{allocation_id}/activities",
        activity(date_from=OPEN_DAY, date_to=OPEN_DAY),
    )
    assert recorded.status_code == 201 and in_open_month.status_code == 201
    assert close(api, reason="statement sent").status_code == 201
    before = api.log_size()

    attempts = [
        member.post(
            f"/api/allocations/{allocation_id}/activities",
            activity(date_from=CLOSED_DAY, date_to=CLOSED_DAY),
        ),
        member.post(
            f"/api/projects/{world['project']['id']}/activities",
            activity(date_from=CLOSED_DAY, date_to=CLOSED_DAY),
        ),
        member.post(
            f"/api/activities/{recorded.json['id']}/corrections", {"units": 1, "reason": "r"}
        ),
        member.post(f"/api/activities/{recorded.json['id']}/retraction", {"reason": "r"}),
        # Moving work of an open month into the closed one is a change dated in it.
        member.post(
            f"/api/activities/{in_open_month.json['id']}/corrections",
            {"date_from": CLOSED_DAY, "reason": "started earlier"},
        ),
    ]
    for response in attempts:
        assert response.status_code == 403, response.json
        assert response.mimetype == "application/problem+json"
        assert f"{CLOSED} is closed" in response.json["detail"]
        assert "manager or admin" in response.json["detail"]
    assert api.log_size() == before


def test_a_managers_changes_in_a_closed_month_are_accepted_and_flagged(api, world, manager):
    allocation_id = world["allocation"]["id"]
    before_close = manager.post(
        f"/api/allocations/{allocation_id}/activities",
        activity(date_from=CLOSED_DAY, date_to=CLOSED_DAY),
    )
    assert before_close.status_code == 201
    assert last_event(api, allocation_id)["fields"]["after_close"] is False
    assert close(api).status_code == 201

    late = manager.post(
        f"/api/allocations/{allocation_id}/activities",
        activity(team_member="ben", date_from=CLOSED_DAY, date_to=CLOSED_DAY),
    )
    assert late.status_code == 201, late.json
    event = last_event(api, allocation_id)
    assert (event["event_type"], event["actor"]) == ("ActivityRecorded", "Lee Chen")
    assert event["fields"]["after_close"] is True

    corrected = manager.post(
        f"/api/activities/{before_close.json['id']}/corrections", {"units": 1, "reason": "r"}
    )
    assert corrected.status_code == 201
    assert last_event(api, allocation_id)["fields"]["after_close"] is True
    retracted = api.post(f"/api/activities/{late.json['id']}/retraction", {"reason": "dup"})
    assert retracted.status_code == 201
    event = last_event(api, allocation_id)
    assert (event["event_type"], event["fields"]["after_close"]) == ("ActivityRetracted", True)


def test_work_in_open_months_is_unaffected(api, world, member):
    assert close(api).status_code == 201
    response = member.post(
        f"/api/allocations/{world['allocation']['id']}/activities",
        activity(date_from=OPEN_DAY, date_to=OPEN_DAY),
    )
    assert response.status_code == 201, response.json
    corrected = member.post(
        f"/api/activities/{response.json['id']}/corrections", {"units": 5, "reason": "r"}
    )
    assert corrected.status_code == 201
    assert last_event(api, world["allocation"]["id"])["fields"]["after_close"] is False


@pytest.mark.parametrize("role", ["bd", "manager", "member", "auditor", "viewer"])
def test_closing_a_month_needs_an_admin(api, make_token, world, role):
    token = make_token(role, member="ana" if role == "member" else None)
    before = api.log_size()
    response = api.as_(token).post(f"/api/periods/{CLOSED}/closure", {})
    assert response.status_code == 403
    assert role in response.json["detail"]
    assert api.log_size() == before


def test_a_month_is_closed_once(api, make_token):
    first = close(api, reason="October statement sent")
    assert first.status_code == 201, first.json
    assert first.json["month"] == CLOSED and first.json["closed_by"] == "Test Admin"
    assert first.json["reason"] == "October statement sent"
    assert first.json["position"] == int(first.headers["X-Event-Position"])
    before = api.log_size()
    again = close(api)
    assert again.status_code == 409
    assert f"{CLOSED} is already closed" in again.json["detail"]
    assert api.log_size() == before
    listed = api.as_(make_token("viewer")).get("/api/periods")
    assert listed.status_code == 200
    assert [item["month"] for item in listed.json["items"]] == [CLOSED]


def test_a_retried_closure_answers_the_first(api):
    first = api.post(f"/api/periods/{CLOSED}/closure", {}, key="close-once")
    again = api.post(f"/api/periods/{CLOSED}/closure", {}, key="close-once")
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json["position"] == first.json["position"]


@pytest.mark.boundary
@pytest.mark.parametrize(
    "month", ["2024-13", "2024-00", "2024-1", "24-01", "abcd-ef", "1969-12", "2200-01"]
)
def test_a_bad_month_is_422(api, month):
    before = api.log_size()
    response = close(api, month)
    assert response.status_code == 422, response.json
    assert "month" in response.json["errors"]
    assert api.log_size() == before


def test_no_month_is_closed_at_first_and_months_are_listed_in_order(api):
    assert api.get("/api/periods").json == {"items": []}
    earlier = date.fromisoformat(CLOSED_DAY).replace(day=1).replace(year=TODAY.year - 1)
    assert close(api).status_code == 201
    assert close(api, earlier.isoformat()[:7]).status_code == 201
    months = [item["month"] for item in api.get("/api/periods").json["items"]]
    assert months == [earlier.isoformat()[:7], CLOSED]
