"""A POST retried with the same Idempotency-Key answers the first response and
records nothing new; keys are kept per token, in the event store."""

import pytest

from tests.support.api import activity
from tests.support.dates import days_ago


def test_a_retried_activity_is_recorded_once(api, world):
    path = f"/api/allocations/{world['allocation']['id']}/activities"
    first = api.post(path, activity(units=3), key="req-1")
    size = api.log_size()
    again = api.post(path, activity(units=3), key="req-1")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json == first.json
    assert again.headers["Idempotent-Replayed"] == "true"
    assert api.log_size() == size
    assert api.get(f"/api/allocations/{world['allocation']['id']}").json["units_used"] == 3


def test_a_key_reused_for_a_different_body_is_refused(api, world):
    path = f"/api/allocations/{world['allocation']['id']}/activities"
    api.post(path, activity(units=3), key="req-2")
    size = api.log_size()
    response = api.post(path, activity(units=5), key="req-2")
    assert response.status_code == 422
    assert "Idempotency-Key" in response.json["detail"]
    assert api.log_size() == size


def test_the_same_key_from_another_token_is_another_request(api, make_token, world):
    path = f"/api/allocations/{world['allocation']['id']}/activities"
    other = api.as_(make_token("manager"))
    assert api.post(path, activity(), key="shared").status_code == 201
    second = other.post(path, activity(), key="shared")
    assert second.status_code == 201 and "Idempotent-Replayed" not in second.headers
    assert api.get(f"/api/allocations/{world['allocation']['id']}").json["units_used"] == 6


def test_a_replay_after_a_correction_still_answers_the_first_recording(api, world):
    path = f"/api/allocations/{world['allocation']['id']}/activities"
    first = api.post(path, activity(units=3), key="req-3").json
    api.post(f"/api/activities/{first['id']}/corrections", {"units": 4, "reason": "r"})
    again = api.post(path, activity(units=3), key="req-3")
    assert again.status_code == 201
    assert again.json["id"] == first["id"] and again.json["position"] == first["position"]


@pytest.mark.parametrize(
    "make_path, body",
    [
        (
            lambda w: "/api/engagements",
            {
                "name": "E",
                "community": "C",
                "description": "d",
                "start_date": days_ago(3),
                "end_date": days_ago(-3),
            },
        ),
        (
            lambda w: f"/api/engagements/{w['engagement']['id']}/projects",
            {"name": "P2", "outcome": "o"},
        ),
        (
            lambda w: f"/api/projects/{w['project']['id']}/allocations",
            {
                "start_date": days_ago(-40),
                "end_date": days_ago(-60),
                "units": 4,
                "description": "next",
            },
        ),
        (lambda w: f"/api/allocations/{w['allocation']['id']}/cancellation", {"reason": "stop"}),
    ],
    ids=["engagement", "project", "allocation", "cancellation"],
)
def test_every_create_is_idempotent(api, world, make_path, body):
    path = make_path(world)
    first = api.post(path, body, key="create-1")
    assert first.status_code == 201, first.json
    size = api.log_size()
    again = api.post(path, body, key="create-1")
    assert again.status_code == 201 and again.json["position"] == first.json["position"]
    assert again.json.get("id") == first.json.get("id")
    assert api.log_size() == size


def test_retried_corrections_and_retractions_apply_once(api, world):
    recorded = api.post(
        f"/api/allocations/{world['allocation']['id']}/activities", activity(units=3)
    ).json
    corrections = f"/api/activities/{recorded['id']}/corrections"
    first = api.post(corrections, {"units": 5, "reason": "r"}, key="fix-1").json
    size = api.log_size()
    again = api.post(corrections, {"units": 5, "reason": "r"}, key="fix-1")
    assert again.status_code == 201 and again.json["position"] == first["position"]
    assert again.json["corrections"] == 1
    retraction = f"/api/activities/{recorded['id']}/retraction"
    first = api.post(retraction, {"reason": "r"}, key="drop-1").json
    again = api.post(retraction, {"reason": "r"}, key="drop-1")
    assert again.status_code == 201 and again.json["position"] == first["position"]
    assert api.log_size() == size + 1


def test_an_overlong_key_is_refused(api, world):
    response = api.post(
        f"/api/allocations/{world['allocation']['id']}/activities", activity(), key="k" * 300
    )
    assert response.status_code == 400
