"""The story the README and docs/tutorial/first-allocation.md tell, through every write
route, on each store."""

from tests.support.api import activity
from tests.support.dates import days_ago


def test_recording_an_activity_reduces_the_balance(api, world):
    allocation_id = world["allocation"]["id"]
    recorded = api.post(f"/api/allocations/{allocation_id}/activities", activity(units=5))
    assert recorded.status_code == 201, recorded.json
    assert recorded.json["position"] == int(recorded.headers["X-Event-Position"])
    balance = api.get(f"/api/allocations/{allocation_id}").json
    assert (balance["units_granted"], balance["units_used"], balance["units_remaining"]) == (
        20,
        5,
        15,
    )
    assert balance["status"] == "active"
    assert balance["overrun"] is False


def test_an_overrun_is_accepted_and_shown(api, world):
    allocation_id = world["allocation"]["id"]
    assert (
        api.post(
            f"/api/allocations/{allocation_id}/activities",
            activity(units=25, date_from=days_ago(3)),  # two days: at most 24 units a day
        ).status_code
        == 201
    )
    balance = api.get(f"/api/allocations/{allocation_id}").json
    assert balance["units_remaining"] == -5
    assert balance["overrun"] is True
    assert balance["status"] == "exhausted"


def test_correction_and_retraction_change_the_balance_and_keep_history(api, world):
    allocation_id = world["allocation"]["id"]
    first = api.post(f"/api/allocations/{allocation_id}/activities", activity(units=3)).json
    second = api.post(f"/api/allocations/{allocation_id}/activities", activity(units=8)).json
    corrected = api.post(
        f"/api/activities/{first['id']}/corrections", {"units": 2, "reason": "typo"}
    )
    assert corrected.status_code == 201, corrected.json
    assert corrected.json["units"] == 2 and corrected.json["corrections"] == 1
    retracted = api.post(
        f"/api/activities/{second['id']}/retraction", {"reason": "wrong allocation"}
    )
    assert retracted.status_code == 201 and retracted.json["retracted"] is True
    assert api.get(f"/api/allocations/{allocation_id}").json["units_used"] == 2
    listed = api.get(f"/api/allocations/{allocation_id}/activities").json["items"]
    assert [(a["units"], a["retracted"]) for a in listed] == [(2, False), (8, True)]
    history = api.get(f"/api/audit/streams/{allocation_id}").json["events"]
    assert [e["event_type"] for e in history] == [
        "AllocationGranted",
        "ActivityRecorded",
        "ActivityRecorded",
        "ActivityCorrected",
        "ActivityRetracted",
    ]


def test_an_activity_recorded_more_than_14_days_late_is_flagged(api, world):
    allocation_id = world["allocation"]["id"]
    late = api.post(
        f"/api/allocations/{allocation_id}/activities",
        activity(date_from=days_ago(20), date_to=days_ago(15)),
    ).json
    on_time = api.post(
        f"/api/allocations/{allocation_id}/activities",
        activity(date_to=days_ago(14), date_from=days_ago(14)),
    ).json
    assert (late["late"], on_time["late"]) == (True, False)


def test_a_project_activity_lands_on_the_allocation_covering_its_date(api, world):
    project_id = world["project"]["id"]
    recorded = api.post(f"/api/projects/{project_id}/activities", activity())
    assert recorded.status_code == 201, recorded.json
    assert recorded.json["allocation_id"] == world["allocation"]["id"]


def test_amend_and_cancel_an_allocation(api, world):
    allocation_id = world["allocation"]["id"]
    amended = api.patch(
        f"/api/allocations/{allocation_id}", {"units": 40, "reason": "extra budget"}
    )
    assert amended.status_code == 200 and amended.json["units_granted"] == 40
    cancelled = api.post(
        f"/api/allocations/{allocation_id}/cancellation", {"reason": "community paused"}
    )
    assert cancelled.status_code == 201 and cancelled.json["status"] == "cancelled"
    refused = api.post(f"/api/allocations/{allocation_id}/activities", activity())
    assert refused.status_code == 409
    assert "cancelled" in refused.json["detail"]


def test_a_cancelled_allocation_frees_its_period_for_another(api, world):
    allocation_id = world["allocation"]["id"]
    api.post(f"/api/allocations/{allocation_id}/cancellation", {"reason": "redo"})
    again = api.post(
        f"/api/projects/{world['project']['id']}/allocations",
        {"start_date": days_ago(60), "end_date": days_ago(-30), "units": 10, "description": "redo"},
    )
    assert again.status_code == 201, again.json


def test_engagement_shows_projects_allocations_and_totals(api, world):
    api.post(f"/api/allocations/{world['allocation']['id']}/activities", activity(units=4))
    engagement = api.get(f"/api/engagements/{world['engagement']['id']}").json
    assert engagement["projects"][0]["name"] == "Docs"
    assert engagement["projects"][0]["allocations"][0]["units_used"] == 4
    assert engagement["totals"] == {"units_granted": 20, "units_used": 4, "units_remaining": 16}
    listed = api.get("/api/engagements").json
    assert [e["id"] for e in listed["items"]] == [world["engagement"]["id"]]


def test_balance_as_of_a_past_moment_is_rebuilt_from_events(api, world):
    allocation_id = world["allocation"]["id"]
    first = api.post(f"/api/allocations/{allocation_id}/activities", activity(units=3)).json
    api.post(f"/api/allocations/{allocation_id}/activities", activity(units=5))
    then = api.get(f"/api/allocations/{allocation_id}", as_of=first["recorded_at"]).json
    assert then["units_used"] == 3
    assert api.get(f"/api/allocations/{allocation_id}").json["units_used"] == 8
    before = api.get(f"/api/allocations/{allocation_id}", as_of="2000-01-01T00:00:00+00:00")
    assert before.status_code == 404


def test_team_members_and_capacity_changes(api, world):
    changed = api.patch("/api/team-members/ana", {"fte": "0.8", "effective_date": days_ago(10)})
    assert changed.status_code == 200, changed.json
    assert [c["fte"] for c in changed.json["capacity_history"]] == ["0.5", "0.8"]
    members = api.get("/api/team-members").json["items"]
    assert [m["handle"] for m in members] == ["ana", "ben"]


def test_dates_and_decimals_round_trip_through_the_store(ledger, world):
    allocation = ledger.allocation(__import__("uuid").UUID(world["allocation"]["id"]))
    assert allocation.start_date.isoformat() == days_ago(60)
    member = ledger.team_member("ana")
    assert str(member.fte) == "0.5"
    assert type(member.fte).__name__ == "Decimal"


def test_openapi_documents_every_route_with_problem_responses(api):
    spec = api.client.get("/api/openapi.json").json
    paths = spec["paths"]
    for path in (
        "/api/engagements",
        "/api/allocations/{allocation_id}/activities",
        "/api/activities/{activity_id}/corrections",
        "/api/team-members/{handle}",
        "/api/audit/streams/{stream_id}",
    ):
        assert path in paths, path
    record = paths["/api/allocations/{allocation_id}/activities"]["post"]
    assert {"201", "401", "403", "404", "409", "413", "422", "503"} <= set(record["responses"])
    assert "requestBody" in record


def test_healthz_is_open(api):
    assert api.client.get("/healthz").status_code == 200
