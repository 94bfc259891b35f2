"""Moving a mis-filed activity to another allocation (issue 12, point 1;
docs/how-to/move-activity.md), over HTTP on both stores: the same `ActivityMoved` on both
streams and the locator's `Relocated`, in one write; the activity keeps its `recorded_at`
(so its `late`), both balances, the activity lists, the monthly usage and the reports
follow, and reports as of a position before the move still show it where it was. Every
refusal changes nothing."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from service.application import Clock
from service.domain.calendar import Month
from tests.support.api import activity
from tests.support.dates import TODAY, days_ago
from tests.support.moves import balance, grant

CLOSED_DAY = days_ago(40)  # an earlier month than today's, inside both allocations


class LaterClock(Clock):
    """The real time, `ahead` later: the service's day and the events' timestamps, so a
    test can act weeks after it recorded."""

    def __init__(self) -> None:
        self.ahead = timedelta()

    def now(self) -> datetime:
        return datetime.now(UTC) + self.ahead

    def today(self) -> date:
        return self.now().date()

    def latest_today(self) -> date:
        return (self.now() + timedelta(hours=14)).date()


@pytest.fixture
def clock(monkeypatch) -> LaterClock:
    clock = LaterClock()
    monkeypatch.setattr("eventsourcing.domain.datetime_now_with_tzinfo", clock.now)
    return clock


def move(api, activity_id: str, allocation_id: str, key: str | None = None, reason="mis-filed"):
    return api.post(
        f"/api/activities/{activity_id}/move",
        {"allocation_id": allocation_id, "reason": reason},
        key,
    )


def listed(api, allocation_id: str, position: int) -> dict[str, dict[str, Any]]:
    response = api.get(f"/api/allocations/{allocation_id}/activities", min_position=position)
    assert response.status_code == 200, response.json
    return {item["id"]: item for item in response.json["items"]}


def monthly_allocations(api, month: str, **query: Any) -> dict[str, dict[str, Any]]:
    response = api.get("/api/reports/monthly", month=month, **query)
    assert response.status_code == 200, response.json
    return {
        allocation["id"]: allocation
        for engagement in response.json["engagements"]
        for project in engagement["projects"]
        for allocation in project["allocations"]
    }


def refused(response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.json
    assert response.mimetype == "application/problem+json"
    return response.json


def test_a_move_takes_the_activity_and_both_balances_follow(api, places):
    a, b, moved = places["a"], places["b"], places["activity"]
    stays = api.post(f"/api/allocations/{a}/activities", activity(units=2)).json

    response = move(api, moved["id"], b)
    assert response.status_code == 201, response.json
    body = response.json
    assert body["position"] == int(response.headers["X-Event-Position"])
    assert (body["id"], body["allocation_id"], body["units"]) == (moved["id"], b, 3)
    assert (body["recorded_at"], body["recorded_by"], body["late"]) == (
        moved["recorded_at"],
        moved["recorded_by"],
        False,
    )
    assert (body["units_remaining"], body["from_allocation_id"]) == (10 - 3, a)
    assert body["from_units_remaining"] == 20 - 2

    position = body["position"]
    assert balance(api, a, position) == (2, 18)
    assert balance(api, b, position) == (3, 7)
    assert list(listed(api, a, position)) == [stays["id"]]
    there = listed(api, b, position)[moved["id"]]
    assert (there["allocation_id"], there["recorded_at"], there["late"]) == (
        b,
        moved["recorded_at"],
        False,
    )
    assert (there["corrections"], there["retracted"], there["after_close"]) == (0, False, False)

    month = days_ago(2)[:7]
    report = monthly_allocations(api, month)
    assert (report[a]["units_used_month"], report[b]["units_used_month"]) == (2, 3)
    assert [item["id"] for item in report[b]["activities"]] == [moved["id"]]
    assert [item["id"] for item in report[a]["activities"]] == [stays["id"]]
    capacity = api.get("/api/reports/capacity", month=month).json
    assert {m["handle"]: m["units_used"] for m in capacity["members"]}["ana"] == 5

    for stream, side in ((a, "left"), (b, "joined")):
        event = api.get(f"/api/audit/streams/{stream}").json["events"][-1]
        assert event["event_type"] == "ActivityMoved", side
        assert (event["fields"]["from_allocation_id"], event["fields"]["to_allocation_id"]) == (
            a,
            b,
        )
        assert (event["fields"]["reason"], event["actor"]) == ("mis-filed", "Test Admin")
    relocated = api.get(f"/api/audit/streams/{moved['id']}").json["events"][-1]
    assert relocated["event_type"] == "Relocated"
    assert relocated["fields"]["owner_id"] == b


def test_reports_as_of_a_position_before_the_move_show_it_where_it_was(api, places):
    a, b, moved = places["a"], places["b"], places["activity"]
    month = days_ago(2)[:7]
    before = monthly_allocations(api, month, min_position=moved["position"])
    after = move(api, moved["id"], b).json["position"]
    corrected = api.post(
        f"/api/activities/{moved['id']}/corrections", {"units": 4, "reason": "longer"}
    )
    assert corrected.status_code == 201, corrected.json
    now = monthly_allocations(api, month, min_position=corrected.json["position"])
    assert (now[a]["units_used_month"], now[b]["units_used_month"]) == (0, 4)

    then = monthly_allocations(api, month, as_of_position=moved["position"])
    assert then == before
    assert (then[a]["units_used_month"], then[b]["units_used_month"]) == (3, 0)
    assert [item["id"] for item in then[a]["activities"]] == [moved["id"]]
    right_after = monthly_allocations(api, month, as_of_position=after)
    assert (right_after[a]["units_used_month"], right_after[b]["units_used_month"]) == (0, 3)
    assert [item["units"] for item in right_after[b]["activities"]] == [3]

    # The allocation as it stood before the move, rebuilt from its events.
    recorded_at = moved["recorded_at"]
    as_of = api.get(f"/api/allocations/{a}", as_of=recorded_at)
    assert as_of.status_code == 200, as_of.json
    assert as_of.json["units_used"] == 3


def test_a_move_weeks_later_keeps_the_recording_and_never_makes_it_late(api, places, clock):
    moved = places["activity"]
    clock.ahead = timedelta(days=30)
    response = move(api, moved["id"], places["b"])
    assert response.status_code == 201, response.json
    assert (response.json["recorded_at"], response.json["late"]) == (moved["recorded_at"], False)
    there = listed(api, places["b"], response.json["position"])[moved["id"]]
    assert (there["recorded_at"], there["late"]) == (moved["recorded_at"], False)
    # What a move spares: recording the same work again now would be late.
    again = api.post(f"/api/allocations/{places['b']}/activities", activity(units=3))
    assert again.status_code == 201 and again.json["late"] is True


def test_a_late_activity_stays_late_and_the_late_report_follows_it(api, places):
    a, b = places["a"], places["b"]
    late = api.post(
        f"/api/allocations/{a}/activities", activity(date_from=days_ago(20), date_to=days_ago(20))
    ).json
    assert late["late"] is True
    response = move(api, late["id"], b)
    assert response.status_code == 201, response.json
    assert (response.json["late"], response.json["recorded_at"]) == (True, late["recorded_at"])
    report = api.get(
        "/api/reports/late-activities",
        month=str(Month.of(TODAY)),
        min_position=response.json["position"],
    ).json
    assert [(e["activity_id"], e["allocation_id"]) for e in report["late"]] == [(late["id"], b)]


def test_a_retried_move_answers_the_first_and_changes_nothing(api, places):
    moved, b = places["activity"], places["b"]
    first = move(api, moved["id"], b, key="move-1")
    assert first.status_code == 201, first.json
    size = api.log_size()
    again = move(api, moved["id"], b, key="move-1")
    assert again.status_code == 201, again.json
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json == first.json
    assert api.log_size() == size

    other = refused(move(api, moved["id"], places["a"], key="move-1"), 422)
    assert "Idempotency-Key" in other["detail"]
    assert api.log_size() == size

    # Moved back since, by another request: a late retry of the first still finds it, and
    # does not move the activity again.
    back = move(api, moved["id"], places["a"], key="move-2")
    assert back.status_code == 201, back.json
    size = api.log_size()
    late_retry = move(api, moved["id"], b, key="move-1")
    assert late_retry.status_code == 201, late_retry.json
    assert late_retry.json["position"] == first.json["position"]
    assert api.log_size() == size
    assert balance(api, places["a"], back.json["position"]) == (3, 17)
    assert balance(api, b, back.json["position"]) == (0, 10)


def test_correction_and_retraction_after_a_move_happen_on_the_new_allocation(api, places):
    a, b, moved = places["a"], places["b"], places["activity"]
    assert move(api, moved["id"], b).status_code == 201
    corrected = api.post(
        f"/api/activities/{moved['id']}/corrections", {"units": 5, "reason": "longer"}
    )
    assert corrected.status_code == 201, corrected.json
    assert (corrected.json["allocation_id"], corrected.json["units_remaining"]) == (b, 5)
    assert (corrected.json["corrections"], corrected.json["recorded_at"]) == (
        1,
        moved["recorded_at"],
    )
    assert balance(api, a, corrected.json["position"]) == (0, 20)
    assert balance(api, b, corrected.json["position"]) == (5, 5)

    retracted = api.post(f"/api/activities/{moved['id']}/retraction", {"reason": "not done"})
    assert retracted.status_code == 201, retracted.json
    assert (retracted.json["allocation_id"], retracted.json["units_remaining"]) == (b, 10)
    assert balance(api, a, retracted.json["position"]) == (0, 20)
    assert balance(api, b, retracted.json["position"]) == (0, 10)
    assert listed(api, b, retracted.json["position"])[moved["id"]]["retracted"] is True


def test_a_correction_retried_after_the_activity_moved_on_is_answered_not_applied_again(
    api, places
):
    """The correction was made on the first allocation; its retry, after a move, finds it
    there through the activity's locator instead of applying it to the new allocation.
    (A retraction cannot be followed by a move: a retracted activity stays put.)"""
    a, b, moved = places["a"], places["b"], places["activity"]
    body = {"units": 5, "reason": "longer"}
    corrected = api.post(f"/api/activities/{moved['id']}/corrections", body, "fix-1")
    assert corrected.status_code == 201, corrected.json
    moved_on = move(api, moved["id"], b)
    assert moved_on.status_code == 201, moved_on.json
    size, position = api.log_size(), moved_on.json["position"]
    assert (balance(api, a, position), balance(api, b, position)) == ((0, 20), (5, 5))

    retried = api.post(f"/api/activities/{moved['id']}/corrections", body, "fix-1")
    assert retried.status_code == 201, retried.json
    assert retried.headers["Idempotent-Replayed"] == "true"
    assert retried.json["position"] == corrected.json["position"]
    assert api.log_size() == size
    assert (balance(api, a, position), balance(api, b, position)) == ((0, 20), (5, 5))


def test_an_activity_moves_back_and_carries_its_corrections(api, places):
    a, b, moved = places["a"], places["b"], places["activity"]
    assert move(api, moved["id"], b).status_code == 201
    assert (
        api.post(
            f"/api/activities/{moved['id']}/corrections", {"units": 4, "reason": "r"}
        ).status_code
        == 201
    )
    back = move(api, moved["id"], a, reason="it was right the first time")
    assert back.status_code == 201, back.json
    assert (back.json["allocation_id"], back.json["units"], back.json["corrections"]) == (a, 4, 1)
    assert (back.json["units_remaining"], back.json["from_units_remaining"]) == (16, 10)
    assert back.json["recorded_at"] == moved["recorded_at"]
    assert list(listed(api, a, back.json["position"])) == [moved["id"]]
    assert listed(api, b, back.json["position"]) == {}
    events = api.get(f"/api/audit/streams/{a}").json["events"]
    assert [e["event_type"] for e in events][-3:] == [
        "ActivityRecorded",
        "ActivityMoved",
        "ActivityMoved",
    ]


def test_a_move_from_a_cancelled_allocation_fixes_the_record(api, places):
    a, b, moved = places["a"], places["b"], places["activity"]
    cancelled = api.post(f"/api/allocations/{a}/cancellation", {"reason": "dropped"})
    assert cancelled.status_code == 201, cancelled.json
    response = move(api, moved["id"], b)
    assert response.status_code == 201, response.json
    assert response.json["from_units_remaining"] == 20
    shown = api.get(f"/api/allocations/{a}", min_position=response.json["position"]).json
    assert (shown["status"], shown["units_used"]) == ("cancelled", 0)
    assert balance(api, b, response.json["position"]) == (3, 7)


@pytest.fixture
def wrong(api, places) -> dict[str, Any]:
    """Beside the places: a retracted activity, and a cancelled allocation covering it."""
    retracted = api.post(f"/api/allocations/{places['a']}/activities", activity()).json
    assert api.post(f"/api/activities/{retracted['id']}/retraction", {"reason": "r"}).status_code
    cancelled = grant(api, places["engagement"]["id"], start=60, end=-30, units=4)["id"]
    assert api.post(f"/api/allocations/{cancelled}/cancellation", {"reason": "r"}).status_code
    path = f"/api/activities/{places['activity']['id']}/move"
    return {**places, "retracted": retracted["id"], "cancelled": cancelled, "path": path}


REFUSALS = {
    "unknown activity": (lambda api, w: move(api, str(uuid.uuid4()), w["b"]), 404, "no activity"),
    "activity id not a UUID": (lambda api, w: move(api, "not-a-uuid", w["b"]), 404, ""),
    "the same allocation": (
        lambda api, w: move(api, w["activity"]["id"], w["a"]),
        422,
        "is already on allocation",
    ),
    "unknown allocation": (
        lambda api, w: move(api, w["activity"]["id"], str(uuid.uuid4())),
        422,
        "no allocation",
    ),
    "allocation id not a UUID": (
        lambda api, w: move(api, w["activity"]["id"], "nope"),
        422,
        "allocation_id",
    ),
    "cancelled target": (
        lambda api, w: move(api, w["activity"]["id"], w["cancelled"]),
        409,
        "cannot move an activity to a cancelled allocation",
    ),
    "dates outside the target": (
        lambda api, w: move(api, w["activity"]["id"], w["recent"]),
        422,
        f"date_from {days_ago(2)} is outside the allocation's period",
    ),
    "retracted activity": (
        lambda api, w: move(api, w["retracted"], w["b"]),
        409,
        "has been retracted",
    ),
    "no reason": (lambda api, w: api.post(w["path"], {"allocation_id": w["b"]}), 422, "reason"),
    "blank reason": (
        lambda api, w: move(api, w["activity"]["id"], w["b"], reason="  "),
        422,
        "a reason is required",
    ),
    "unknown field": (
        lambda api, w: api.post(w["path"], {"allocation_id": w["b"], "reason": "r", "units": 2}),
        422,
        "units",
    ),
    "no body": (lambda api, w: api.post(w["path"]), 422, "allocation_id"),
}


@pytest.mark.parametrize("name", sorted(REFUSALS))
def test_a_refused_move_names_its_cause_and_changes_nothing(api, wrong, name):
    send, status, cause = REFUSALS[name]
    size = api.log_size()
    problem = refused(send(api, wrong), status)
    assert cause in f"{problem.get('detail', '')} {sorted(problem.get('errors', {}))}", problem
    assert api.log_size() == size
    assert balance(api, wrong["a"], size) == (3, 17)
    assert balance(api, wrong["b"], size) == (0, 10)


def test_a_closed_target_engagement_takes_no_moved_work(api, places):
    other = api.post(
        "/api/engagements",
        {
            "name": "Other",
            "community": "X",
            "description": "d",
            "start_date": days_ago(90),
            "end_date": days_ago(-90),
        },
    ).json
    target = grant(api, other["id"], start=60, end=-30, units=5)["id"]
    closed = api.post(f"/api/engagements/{other['id']}/closure", {"reason": "done"})
    assert closed.status_code == 201, closed.json
    size = api.log_size()
    problem = refused(move(api, places["activity"]["id"], target), 409)
    assert "closed" in problem["detail"]
    assert api.log_size() == size


def test_a_member_moves_only_its_own_work(api, make_token, places):
    ana, bd, manager = (
        api.as_(make_token(role, member="ana" if role == "member" else None))
        for role in ("member", "bd", "manager")
    )
    bens = api.post(f"/api/allocations/{places['a']}/activities", activity(team_member="ben")).json
    size = api.log_size()
    problem = refused(move(ana, bens["id"], places["b"]), 403)
    assert "may move only ana's activities" in problem["detail"]
    assert "bd" in refused(move(bd, bens["id"], places["b"]), 403)["detail"]
    assert api.log_size() == size
    mine = move(ana, places["activity"]["id"], places["b"])
    assert mine.status_code == 201, mine.json
    assert move(manager, bens["id"], places["b"]).status_code == 201


def test_work_dated_in_a_closed_month_moves_only_by_a_manager_and_is_flagged(
    api, make_token, places
):
    ana = api.as_(make_token("member", member="ana"))
    old = ana.post(
        f"/api/allocations/{places['a']}/activities",
        activity(date_from=CLOSED_DAY, date_to=CLOSED_DAY),
    ).json
    assert api.post(f"/api/periods/{CLOSED_DAY[:7]}/closure", {}).status_code == 201
    size = api.log_size()
    problem = refused(move(ana, old["id"], places["b"]), 403)
    assert f"{CLOSED_DAY[:7]} is closed" in problem["detail"]
    assert api.log_size() == size

    moved = move(api.as_(make_token("manager")), old["id"], places["b"])
    assert moved.status_code == 201, moved.json
    there = listed(api, places["b"], moved.json["position"])[old["id"]]
    assert (there["after_close"], there["late"]) == (True, old["late"])
    event = api.get(f"/api/audit/streams/{places['b']}").json["events"][-1]
    assert (event["event_type"], event["fields"]["after_close"]) == ("ActivityMoved", True)
