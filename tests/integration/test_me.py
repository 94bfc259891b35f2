"""A member finds the ids to record against over the API, on both stores: `GET /api/me`
(the token's person and role) and `GET /api/me/allocations` (what the member provides
or has recorded on, active or exhausted, with the balances `GET /api/allocations/{id}`
shows); every write on an activity answers the allocation's new `units_remaining`."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.support.api import activity, grant_on_own_project
from tests.support.dates import days_ago


def grant(api, world, *, provider: str, start: int, end: int, units: int = 10) -> dict[str, Any]:
    return grant_on_own_project(
        api, world["engagement"]["id"], start=start, end=end, units=units,
        provider=provider, description=f"for {provider}",
    )  # fmt: skip


@pytest.fixture
def ana(api, make_token, world):
    return api.as_(make_token("member", member="ana"))


@pytest.mark.parametrize("role", ["admin", "bd", "manager", "auditor", "viewer"])
def test_me_names_the_tokens_person_and_role(api, make_token, world, role):
    me = api.as_(make_token(role, name="Jo Doe")).get("/api/me")
    assert me.status_code == 200, me.json
    assert me.json == {
        "name": "Jo Doe",
        "role": role,
        "member": None,
        "engagement_id": None,
        "team_member": None,
    }


def test_me_of_a_member_shows_the_member_as_registered(ana):
    me = ana.get("/api/me")
    assert me.status_code == 200, me.json
    assert me.json == {
        "name": "Ana",
        "role": "member",
        "member": "ana",
        "engagement_id": None,
        "team_member": {"handle": "ana", "name": "Ana", "line_manager": "lee", "departed_on": None},
    }


def test_me_of_a_limited_viewer_names_its_engagement(api, make_token, world):
    engagement_id = world["engagement"]["id"]
    token = make_token("viewer", engagement_id=uuid.UUID(engagement_id), name="Partner")
    me = api.as_(token).get("/api/me")
    assert me.status_code == 200, me.json
    assert (me.json["role"], me.json["engagement_id"]) == ("viewer", engagement_id)


def test_me_reads_a_departure_after_its_write(api, make_token, world):
    departed = api.patch("/api/team-members/ben", {"departed_on": days_ago(1)})
    assert departed.status_code == 200, departed.json
    ben = api.as_(make_token("member", member="ben"))
    me = ben.get("/api/me", min_position=departed.json["position"])
    assert me.json["team_member"]["departed_on"] == days_ago(1)


def test_my_allocations_are_those_i_provide_or_recorded_on(api, ana, world):
    mine = world["allocation"]
    recorded_on = grant(api, world, provider="ben", start=30, end=-30, units=4)
    others = grant(api, world, provider="ben", start=30, end=-30)
    cancelled = grant(api, world, provider="ana", start=30, end=-30)
    completed = grant(api, world, provider="ana", start=80, end=70)
    assert (
        api.post(
            f"/api/allocations/{others['id']}/activities", activity(team_member="ben")
        ).status_code
        == 201
    )
    # Ana's work takes ben's allocation past its units: exhausted, still recordable.
    on_bens = ana.post(f"/api/allocations/{recorded_on['id']}/activities", activity(units=5))
    assert on_bens.status_code == 201, on_bens.json
    assert (
        api.post(
            f"/api/allocations/{cancelled['id']}/cancellation", {"reason": "dropped"}
        ).status_code
        == 201
    )

    listed = ana.get("/api/me/allocations")
    assert listed.status_code == 200, listed.json
    assert listed.json["member"] == "ana"
    items = listed.json["items"]
    assert [item["id"] for item in items] == [mine["id"], recorded_on["id"]]
    assert {item["status"] for item in items} == {"active", "exhausted"}
    for item in items:
        label = item.pop("label")
        assert label.startswith("Open Data Week · ")
        assert item == api.get(f"/api/allocations/{item['id']}").json
    assert completed["id"] not in {item["id"] for item in items}


def test_my_allocations_read_my_own_write(api, ana, world):
    fresh = grant(api, world, provider="ben", start=30, end=-30, units=8)
    recorded = ana.post(f"/api/allocations/{fresh['id']}/activities", activity(units=3))
    assert recorded.status_code == 201, recorded.json
    listed = ana.get("/api/me/allocations", min_position=recorded.json["position"])
    assert listed.status_code == 200, listed.json
    found = {item["id"]: item for item in listed.json["items"]}
    assert found[fresh["id"]]["units_used"] == 3
    assert found[fresh["id"]]["units_remaining"] == recorded.json["units_remaining"] == 5


def test_a_position_beyond_the_log_is_refused(api, ana):
    for path in ("/api/me", "/api/me/allocations"):
        response = ana.get(path, min_position=api.log_size() + 1000)
        assert response.status_code == 422, response.json
        assert "min_position" in response.json["errors"]


def test_a_token_naming_no_member_has_no_allocations_of_its_own(api, make_token, world):
    for token in (make_token("manager"), make_token("admin")):
        listed = api.as_(token).get("/api/me/allocations")
        assert listed.status_code == 200, listed.json
        assert listed.json == {"member": None, "items": []}
    manager_ana = api.as_(make_token("manager", member="ana"))
    listed = manager_ana.get("/api/me/allocations")
    assert [item["id"] for item in listed.json["items"]] == [world["allocation"]["id"]]


def test_every_activity_write_answers_the_new_units_remaining(api, ana, world):
    allocation_id = world["allocation"]["id"]

    def remaining_after(response) -> int:
        assert response.status_code == 201, response.json
        balance = api.get(
            f"/api/allocations/{allocation_id}", min_position=response.json["position"]
        )
        return balance.json["units_remaining"]

    recorded = ana.post(f"/api/allocations/{allocation_id}/activities", activity(units=3))
    assert recorded.json["units_remaining"] == remaining_after(recorded) == 17
    by_project = ana.post(f"/api/projects/{world['project']['id']}/activities", activity(units=2))
    assert by_project.json["units_remaining"] == remaining_after(by_project) == 15
    corrected = ana.post(
        f"/api/activities/{recorded.json['id']}/corrections", {"units": 8, "reason": "a full day"}
    )
    assert corrected.json["units_remaining"] == remaining_after(corrected) == 10
    retracted = ana.post(
        f"/api/activities/{by_project.json['id']}/retraction", {"reason": "not this one"}
    )
    assert retracted.json["units_remaining"] == remaining_after(retracted) == 12
    overrun = ana.post(f"/api/allocations/{allocation_id}/activities", activity(units=20))
    assert overrun.json["units_remaining"] == remaining_after(overrun) == -8
