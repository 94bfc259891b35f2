"""An engagement's details can be updated and it can be closed; a closed engagement
takes no new work, but corrections and reports go on. Its totals are the monthly
report's, cancelled allocations included."""

from __future__ import annotations

from tests.support.api import activity
from tests.support.dates import TODAY, days_ago


def test_bd_updates_the_details_and_reads_them_back(api, world):
    engagement_id = world["engagement"]["id"]
    response = api.patch(
        f"/api/engagements/{engagement_id}",
        {"name": "Open Data Weeks", "contacts": ["jo@example.org"]},
    )
    assert response.status_code == 200, response.json
    shown = api.get(f"/api/engagements/{engagement_id}", min_position=response.json["position"])
    assert (shown.json["name"], shown.json["contacts"]) == ("Open Data Weeks", ["jo@example.org"])
    stream = api.get(f"/api/audit/streams/{engagement_id}").json["events"]
    assert stream[-1]["event_type"] == "EngagementDetailsUpdated"


def test_an_empty_or_misordered_update_is_refused_and_changes_nothing(api, world):
    engagement_id = world["engagement"]["id"]
    before = api.log_size()
    assert api.patch(f"/api/engagements/{engagement_id}", {}).status_code == 422
    misordered = api.patch(f"/api/engagements/{engagement_id}", {"end_date": "2000-01-01"})
    assert misordered.status_code == 422
    assert "end_date" in misordered.json["errors"]
    assert api.log_size() == before


def test_a_closed_engagement_takes_no_new_work_but_corrections_go_on(api, world):
    engagement_id = world["engagement"]["id"]
    allocation_id = world["allocation"]["id"]
    recorded = api.post(f"/api/allocations/{allocation_id}/activities", activity()).json
    closed = api.post(f"/api/engagements/{engagement_id}/closure", {"reason": "contract ended"})
    assert closed.status_code == 201, closed.json
    assert closed.json["closed"] is True

    before = api.log_size()
    refused = [
        api.post(f"/api/engagements/{engagement_id}/projects", {"name": "More", "outcome": "x"}),
        api.post(
            f"/api/projects/{world['project']['id']}/allocations",
            {
                "start_date": days_ago(-40),
                "end_date": days_ago(-50),
                "units": 5,
                "description": "x",
            },
        ),
        api.post(f"/api/allocations/{allocation_id}/activities", activity()),
        api.post(f"/api/engagements/{engagement_id}/closure", {"reason": "again"}),
    ]
    for response in refused:
        assert response.status_code in (409, 422), response.json
    assert [r.status_code for r in refused[::2]] == [409, 409]
    assert "closed" in refused[2].json["detail"]
    assert api.log_size() == before

    corrected = api.post(
        f"/api/activities/{recorded['id']}/corrections", {"units": 2, "reason": "shorter"}
    )
    assert corrected.status_code == 201, corrected.json
    report = api.get("/api/reports/monthly", month=TODAY.strftime("%Y-%m"))
    assert report.status_code == 200
    shown = api.get(f"/api/engagements/{engagement_id}").json
    assert shown["closed"] is True and shown["totals"]["units_used"] == 2


def test_closing_needs_a_reason_and_a_bd_token(api, world, make_token):
    engagement_id = world["engagement"]["id"]
    assert api.post(f"/api/engagements/{engagement_id}/closure", {}).status_code == 422
    manager = api.as_(make_token("manager"))
    assert (
        manager.post(f"/api/engagements/{engagement_id}/closure", {"reason": "x"}).status_code
        == 403
    )


def test_engagement_totals_equal_the_monthly_reports_to_date_totals_with_a_cancelled_allocation(
    api, world
):
    """Work done on an allocation before it was cancelled counts in both."""
    engagement_id = world["engagement"]["id"]
    second = api.post(
        f"/api/engagements/{engagement_id}/projects", {"name": "Events", "outcome": "a meetup"}
    ).json
    cancelled = api.post(
        f"/api/projects/{second['id']}/allocations",
        {"start_date": days_ago(60), "end_date": days_ago(-30), "units": 30, "description": "x"},
    ).json
    today = TODAY.isoformat()
    for allocation, units in ((world["allocation"], 5), (cancelled, 8)):
        recorded = api.post(
            f"/api/allocations/{allocation['id']}/activities",
            activity(units=units, date_from=today, date_to=today),
        )
        assert recorded.status_code == 201, recorded.json
    written = api.post(f"/api/allocations/{cancelled['id']}/cancellation", {"reason": "moved"})
    assert written.status_code == 201

    position = written.json["position"]
    engagement = api.get(f"/api/engagements/{engagement_id}", min_position=position).json
    report = api.get(
        "/api/reports/monthly", month=today[:7], engagement_id=engagement_id, min_position=position
    ).json
    assert engagement["totals"]["units_used"] == 13 == report["totals"]["units_used_to_date"]
    assert engagement["totals"]["units_granted"] == 20 == report["totals"]["units_granted"]
    assert engagement["totals"]["units_remaining"] == 20 - 13
