"""Every wrong request of docs/reference/input-policy.md gets a 4xx problem+json and changes
nothing."""

import json

import pytest

from tests.support.api import activity
from tests.support.dates import days_ago

# Fixed, not random: test ids name it, and pytest-xdist workers must collect alike.
UNKNOWN = "3a3f1c52-9b7e-4d0a-8c61-5f2e7d9a0b14"


def assert_refused(api, response, status: int, field: str | None = None) -> None:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.json
    assert body["status"] == status and body["title"] and body["detail"]
    if field is not None:
        assert field in body.get("errors", {}), body


ACTIVITY_CASES = {
    "malformed JSON": ('{"team_member": "ana",', 400, "body"),
    "a list, not an object": ("[]", 422, "body"),
    "zero units": (json.dumps(activity(units=0)), 422, "units"),
    "negative units": (json.dumps(activity(units=-3)), 422, "units"),
    "fractional units": (json.dumps(activity(units=1.5)), 422, "units"),
    "units as text": (json.dumps(activity(units="3")), 422, "units"),
    "boolean units": (json.dumps(activity(units=True)), 422, "units"),
    "unknown field": (json.dumps({**activity(), "hours": 3}), 422, "hours"),
    "missing field": (
        json.dumps({k: v for k, v in activity().items() if k != "date_to"}),
        422,
        "date_to",
    ),
    "not a date": (json.dumps(activity(date_from="yesterday")), 422, "date_from"),
    "end before start": (
        json.dumps(activity(date_from=days_ago(1), date_to=days_ago(3))),
        422,
        "date_to",
    ),
    "date in the future": (
        json.dumps(activity(date_from=days_ago(-5), date_to=days_ago(-5))),
        422,
        "date_to",
    ),
    "date before the allocation": (
        json.dumps(activity(date_from=days_ago(70), date_to=days_ago(70))),
        422,
        "date_from",
    ),
    "unregistered team member": (json.dumps(activity(team_member="nobody")), 422, "team_member"),
    "null team member": (json.dumps(activity(team_member=None)), 422, "team_member"),
}


@pytest.mark.parametrize("case", ACTIVITY_CASES)
def test_a_bad_activity_is_refused_and_records_nothing(api, world, case):
    body, status, field = ACTIVITY_CASES[case]
    before = api.log_size()
    response = api.post_raw(f"/api/allocations/{world['allocation']['id']}/activities", body)
    assert_refused(api, response, status, field)
    assert api.log_size() == before


@pytest.mark.boundary
def test_a_body_over_one_mebibyte_is_refused_with_413(api, world):
    before = api.log_size()
    huge = json.dumps(activity(description="x" * (1024 * 1024 + 10)))
    response = api.post_raw(f"/api/allocations/{world['allocation']['id']}/activities", huge)
    assert_refused(api, response, 413)
    assert api.log_size() == before


@pytest.mark.boundary
def test_a_non_json_content_type_is_refused(api, world):
    before = api.log_size()
    response = api.post_raw(
        f"/api/allocations/{world['allocation']['id']}/activities", "units=3", "text/plain"
    )
    assert 400 <= response.status_code < 500 and response.mimetype == "application/problem+json"
    assert api.log_size() == before


@pytest.mark.parametrize(
    "path",
    [
        f"/api/allocations/{UNKNOWN}/activities",
        f"/api/projects/{UNKNOWN}/activities",
        f"/api/activities/{UNKNOWN}/corrections",
        f"/api/activities/{UNKNOWN}/retraction",
        f"/api/allocations/{UNKNOWN}/cancellation",
        f"/api/engagements/{UNKNOWN}/projects",
        f"/api/projects/{UNKNOWN}/allocations",
        "/api/allocations/not-a-uuid/activities",
    ],
)
def test_unknown_ids_are_404(api, world, path):
    before = api.log_size()
    bodies = {
        "activities": activity(),
        "corrections": {"units": 1, "reason": "r"},
        "retraction": {"reason": "r"},
        "cancellation": {"reason": "r"},
        "projects": {"name": "n", "outcome": "o"},
        "allocations": {
            "start_date": days_ago(1),
            "end_date": days_ago(0),
            "units": 1,
            "description": "d",
        },
    }
    response = api.post(path, bodies[path.rsplit("/", 1)[1]])
    assert_refused(api, response, 404)
    assert api.log_size() == before


@pytest.mark.parametrize(
    "path",
    [f"/api/allocations/{UNKNOWN}", f"/api/engagements/{UNKNOWN}", f"/api/audit/streams/{UNKNOWN}"],
)
def test_reading_an_unknown_id_is_404(api, path):
    assert_refused(api, api.get(path), 404)


def test_an_overlapping_allocation_is_refused(api, world):
    before = api.log_size()
    response = api.post(
        f"/api/projects/{world['project']['id']}/allocations",
        {"start_date": days_ago(0), "end_date": days_ago(-60), "units": 8, "description": "next"},
    )
    assert_refused(api, response, 422, "start_date")
    assert "overlaps" in response.json["detail"]
    assert api.log_size() == before


@pytest.mark.parametrize(
    "body, field",
    [
        (
            {"start_date": days_ago(1), "end_date": days_ago(3), "units": 8, "description": "d"},
            "end_date",
        ),
        (
            {"start_date": days_ago(1), "end_date": days_ago(0), "units": 0, "description": "d"},
            "units",
        ),
        (
            {
                "start_date": days_ago(1),
                "end_date": days_ago(0),
                "units": 8,
                "description": "d",
                "provider": "ghost",
            },
            "provider",
        ),
    ],
)
def test_a_bad_allocation_is_refused(api, body, field):
    engagement = api.post(
        "/api/engagements",
        {
            "name": "E",
            "community": "C",
            "description": "d",
            "start_date": days_ago(5),
            "end_date": days_ago(-5),
        },
    ).json
    project = api.post(
        f"/api/engagements/{engagement['id']}/projects", {"name": "P", "outcome": "o"}
    ).json
    before = api.log_size()
    assert_refused(api, api.post(f"/api/projects/{project['id']}/allocations", body), 422, field)
    assert api.log_size() == before


@pytest.mark.boundary
def test_an_engagement_ending_before_it_starts_is_refused(api):
    before = api.log_size()
    response = api.post(
        "/api/engagements",
        {
            "name": "E",
            "community": "C",
            "description": "d",
            "start_date": days_ago(1),
            "end_date": days_ago(5),
        },
    )
    assert_refused(api, response, 422, "end_date")
    assert api.log_size() == before


def test_shrinking_an_allocation_past_its_activities_is_refused(api, world):
    allocation_id = world["allocation"]["id"]
    api.post(
        f"/api/allocations/{allocation_id}/activities",
        activity(date_from=days_ago(2), date_to=days_ago(2)),
    )
    before = api.log_size()
    response = api.patch(
        f"/api/allocations/{allocation_id}", {"end_date": days_ago(10), "reason": "shorter"}
    )
    assert_refused(api, response, 422, "end_date")
    assert api.log_size() == before


@pytest.mark.boundary
@pytest.mark.parametrize(
    "body, field",
    [
        ({"units": 5}, "reason"),
        ({"reason": "nothing"}, "body"),
        ({"units": 0, "reason": "r"}, "units"),
        ({"status": "done", "reason": "r"}, "status"),
    ],
)
def test_a_bad_amendment_is_refused(api, world, body, field):
    before = api.log_size()
    response = api.patch(f"/api/allocations/{world['allocation']['id']}", body)
    assert_refused(api, response, 422, field)
    assert api.log_size() == before


def test_a_second_retraction_is_a_conflict(api, world):
    recorded = api.post(f"/api/allocations/{world['allocation']['id']}/activities", activity()).json
    assert (
        api.post(f"/api/activities/{recorded['id']}/retraction", {"reason": "dup"}).status_code
        == 201
    )
    before = api.log_size()
    assert_refused(
        api, api.post(f"/api/activities/{recorded['id']}/retraction", {"reason": "again"}), 409
    )
    assert_refused(
        api,
        api.post(f"/api/activities/{recorded['id']}/corrections", {"units": 1, "reason": "r"}),
        409,
    )
    assert api.log_size() == before


def test_a_correction_moving_the_activity_outside_the_allocation_is_refused(api, world):
    recorded = api.post(f"/api/allocations/{world['allocation']['id']}/activities", activity()).json
    before = api.log_size()
    response = api.post(
        f"/api/activities/{recorded['id']}/corrections",
        {"date_from": days_ago(90), "reason": "earlier"},
    )
    assert_refused(api, response, 422, "date_from")
    assert api.log_size() == before


@pytest.mark.boundary
@pytest.mark.parametrize(
    "body, field",
    [
        (
            {
                "handle": "x y",
                "name": "X",
                "fte": "0.5",
                "line_manager": "m",
                "effective_date": days_ago(1),
            },
            "handle",
        ),
        (
            {
                "handle": "xy",
                "name": "X",
                "fte": "0",
                "line_manager": "m",
                "effective_date": days_ago(1),
            },
            "fte",
        ),
        (
            {
                "handle": "xy",
                "name": "X",
                "fte": "1.5",
                "line_manager": "m",
                "effective_date": days_ago(1),
            },
            "fte",
        ),
        (
            {
                "handle": "xy",
                "name": "X",
                "fte": "half",
                "line_manager": "m",
                "effective_date": days_ago(1),
            },
            "fte",
        ),
    ],
)
def test_a_bad_team_member_is_refused(api, body, field):
    before = api.log_size()
    assert_refused(api, api.post("/api/team-members", body), 422, field)
    assert api.log_size() == before


def test_registering_a_handle_twice_is_a_conflict(api, world):
    before = api.log_size()
    body = {
        "handle": "ana",
        "name": "Ana",
        "fte": "1",
        "line_manager": "lee",
        "effective_date": days_ago(1),
    }
    assert_refused(api, api.post("/api/team-members", body), 409)
    assert api.log_size() == before


@pytest.mark.boundary
def test_an_invalid_as_of_is_refused(api, world):
    assert_refused(
        api,
        api.get(f"/api/allocations/{world['allocation']['id']}", as_of="last week"),
        422,
        "as_of",
    )


@pytest.mark.boundary
def test_a_wrong_method_is_405_problem(api):
    response = api.client.delete("/api/engagements", headers=api.headers())
    assert_refused(api, response, 405)
