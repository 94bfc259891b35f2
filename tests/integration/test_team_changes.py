"""Team commands through the API, beyond registering once: a registration retried
with its Idempotency-Key is answered as the first, another for the same handle is
refused; a line manager changes from now on, never for someone who has left."""

from __future__ import annotations

import pytest

from tests.support.api import ApiClient
from tests.support.dates import days_ago

PRIYA = {
    "handle": "priya",
    "name": "Priya Raman",
    "fte": "0.8",
    "line_manager": "ana",
    "effective_date": days_ago(10),
}


def test_a_registration_retried_with_its_key_answers_the_first(api: ApiClient):
    first = api.post("/api/team-members", PRIYA, key="register-priya")
    again = api.post("/api/team-members", PRIYA, key="register-priya")
    assert (first.status_code, again.status_code) == (201, 201), again.json
    assert again.json["position"] == first.json["position"]
    assert again.headers["Idempotent-Replayed"] == "true"


def test_another_registration_of_a_handle_is_refused(api: ApiClient):
    assert api.post("/api/team-members", PRIYA, key="register-priya").status_code == 201
    other = api.post("/api/team-members", {**PRIYA, "fte": "0.5"}, key="register-priya-2")
    assert other.status_code == 409, other.json
    unkeyed = api.post("/api/team-members", PRIYA)
    assert unkeyed.status_code == 409, "without a key, a repeat is not known to be a retry"


def test_a_member_s_line_manager_changes_from_now_on(api: ApiClient, world):
    changed = api.patch("/api/team-members/ana", {"line_manager": "ben"})
    assert changed.status_code == 200, changed.json
    assert changed.json["line_manager"] == "ben"
    listed = {m["handle"]: m for m in api.get("/api/team-members").json["items"]}
    assert listed["ana"]["line_manager"] == "ben"
    changes = api.get("/api/audit/events", event_type="LineManagerChanged").json["items"]
    assert [c["fields"]["line_manager"] for c in changes] == ["ben"]


@pytest.mark.parametrize("line_manager", ["", " ", "x" * 201])
def test_an_empty_or_overlong_line_manager_is_refused(api: ApiClient, world, line_manager):
    refused = api.patch("/api/team-members/ana", {"line_manager": line_manager})
    assert refused.status_code == 422, refused.json
    assert "line_manager" in refused.json["errors"]


def test_a_departed_member_keeps_their_line_manager(api: ApiClient, world):
    assert api.patch("/api/team-members/ben", {"departed_on": days_ago(1)}).status_code == 200
    refused = api.patch("/api/team-members/ben", {"line_manager": "ana"})
    assert refused.status_code == 409, refused.json


def hand_over(api: ApiClient, world, handle: str = "ana", **body):
    return api.post(
        f"/api/team-members/{handle}/hand-over",
        {
            "provider": "ben",
            "allocation_ids": [world["allocation"]["id"]],
            "reason": "Ana leaves",
            **body,
        },
    )


def provider_of(api: ApiClient, world) -> str:
    return api.get(f"/api/allocations/{world['allocation']['id']}").json["provider"]


def test_a_leaver_s_allocations_are_handed_over_once(api: ApiClient, world):
    assert api.patch("/api/team-members/ana", {"departed_on": days_ago(-10)}).status_code == 200
    handed = hand_over(api, world)
    assert handed.status_code == 200, handed.json
    assert [item["provider"] for item in handed.json["items"]] == ["ben"]
    assert provider_of(api, world) == "ben"
    again = hand_over(api, world)
    assert again.status_code == 200 and again.json["position"] == handed.json["position"]
    amended = api.get("/api/audit/events", event_type="AllocationAmended").json["items"]
    assert [a["fields"]["reason"] for a in amended] == ["Ana leaves"], "written once"


@pytest.mark.parametrize(
    ("handle", "body", "field"),
    [
        ("lee", {}, "allocation_ids"),  # lee does not provide it
        ("ana", {"provider": "ana"}, "provider"),
        ("ana", {"provider": "zed"}, "provider"),  # not registered
        ("ana", {"allocation_ids": []}, "allocation_ids"),
        ("ana", {"reason": ""}, "reason"),
    ],
)
def test_a_hand_over_that_breaks_a_rule_is_refused_and_changes_nothing(
    api: ApiClient, world, handle, body, field
):
    refused = hand_over(api, world, handle, **body)
    assert refused.status_code == 422, refused.json
    assert field in refused.json["errors"], refused.json
    assert provider_of(api, world) == "ana"


def test_nobody_takes_over_an_allocation_they_would_leave_before_its_end(api: ApiClient, world):
    assert api.patch("/api/team-members/ben", {"departed_on": days_ago(-5)}).status_code == 200
    refused = hand_over(api, world)
    assert refused.status_code == 422 and "provider" in refused.json["errors"], refused.json
    assert provider_of(api, world) == "ana"
