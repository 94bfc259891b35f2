"""The audit log's filters (issue 12, point 8): `stream`, `event_type`, `actor`, `since`,
bookkeeping hidden unless `include_internal=true`, and paging with filters that sees
every matching event exactly once, also when a page's scan is cut short. Over HTTP, on
both stores."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from service.application import history
from tests.support.api import activity

INTERNAL = {"Located", "TokenIssued", "TokenRevoked", "SignInLinkIssued", "SignInLinkUsed"}


def every(api, limit: int = 1000, **query: Any) -> list[dict[str, Any]]:
    """Every item the filtered log answers, page after page until `at_end`."""
    items, after, pages = [], 0, 0
    while True:
        response = api.get("/api/audit/events", after=after, limit=limit, **query)
        assert response.status_code == 200, response.get_json()
        page = response.get_json()
        assert len(page["items"]) <= limit
        assert page["next_after"] >= after
        items += page["items"]
        after = page["next_after"]
        pages += 1
        assert pages < 1000, "paging does not end"
        if page["at_end"]:
            return items


def positions(items: list[dict[str, Any]]) -> list[int]:
    return [item["position"] for item in items]


@pytest.fixture
def logged(api, world, make_token, ledger) -> dict[str, Any]:
    """The world (by "Test Admin"); two activities by "Mia Manager", one by the admin,
    one retracted; a revoked token and a sign-in link (bookkeeping)."""
    allocation_id = world["allocation"]["id"]
    manager = api.as_(make_token("manager", name="Mia Manager"))
    recorded = [
        manager.post(f"/api/allocations/{allocation_id}/activities", activity(units=3)),
        manager.post(f"/api/allocations/{allocation_id}/activities", activity(units=2)),
        api.post(f"/api/allocations/{allocation_id}/activities", activity(units=5)),
    ]
    assert all(r.status_code == 201 for r in recorded), [r.get_json() for r in recorded]
    retracted = api.post(
        f"/api/activities/{recorded[2].json['id']}/retraction", {"reason": "duplicate"}
    )
    assert retracted.status_code == 201, retracted.get_json()
    secret, _ = ledger.issue_token(
        role="viewer", member=None, engagement_id=None, name="Vi Ewer", actor="test"
    )
    ledger.issue_sign_in_link(secret, valid_for=timedelta(minutes=5), actor="test")
    ledger.revoke_token(secret, actor="test")
    everything = every(api, include_internal="true")
    assert positions(everything) == list(range(1, api.log_size() + 1))
    return {**world, "allocation_id": allocation_id, "all": everything}


def test_bookkeeping_is_hidden_unless_asked_for(api, logged):
    shown = every(api)
    types = {item["event_type"] for item in shown}
    assert not types & INTERNAL
    assert {"AllocationGranted", "ActivityRecorded", "ActivityRetracted"} <= types
    internal = [item for item in logged["all"] if item["event_type"] in INTERNAL]
    assert {i["event_type"] for i in internal} == INTERNAL - {"SignInLinkUsed"}
    assert positions(shown) == [
        item["position"] for item in logged["all"] if item["event_type"] not in INTERNAL
    ]
    assert every(api, include_internal="false") == shown
    # Naming a bookkeeping type asks for it.
    located = every(api, event_type="Located")
    assert located and {item["event_type"] for item in located} == {"Located"}
    assert positions(located) == [i["position"] for i in internal if i["event_type"] == "Located"]


def test_each_filter_narrows(api, logged):
    recorded = every(api, event_type="ActivityRecorded")
    assert len(recorded) == 3 and {item["event_type"] for item in recorded} == {"ActivityRecorded"}

    stream = every(api, stream=logged["allocation_id"])
    history_of = api.get(f"/api/audit/streams/{logged['allocation_id']}").get_json()["events"]
    assert [item["version"] for item in stream] == [event["version"] for event in history_of]
    assert {item["stream_id"] for item in stream} == {logged["allocation_id"]}

    by_mia = every(api, actor="Mia Manager")
    assert [item["event_type"] for item in by_mia] == ["ActivityRecorded", "ActivityRecorded"]
    assert every(api, actor="mia manager") == []  # exact
    assert every(api, actor="Nobody") == []

    visible = [item for item in logged["all"] if item["event_type"] not in INTERNAL]
    pivot = visible[len(visible) // 2]
    since = every(api, since=pivot["timestamp"])
    moment = datetime.fromisoformat(pivot["timestamp"])
    assert positions(since) == [
        item["position"] for item in visible if datetime.fromisoformat(item["timestamp"]) >= moment
    ]
    assert pivot["position"] in positions(since)
    future = (datetime.now(UTC) + timedelta(days=1)).replace(tzinfo=None).isoformat()
    assert every(api, since=future) == []  # no offset: UTC
    assert len(every(api, since="2000-01-01T00:00:00Z")) == len(visible)


def test_filters_combine(api, logged):
    allocation_id = logged["allocation_id"]
    combined = every(api, stream=allocation_id, event_type="ActivityRecorded", actor="Test Admin")
    assert len(combined) == 1 and combined[0]["fields"]["units"] == 5
    assert every(api, stream=allocation_id, event_type="EngagementOpened") == []
    engagement = every(api, stream=logged["engagement"]["id"], event_type="ProjectDefined")
    assert [item["fields"]["name"] for item in engagement] == ["Docs"]


@pytest.mark.parametrize("limit", [1, 2, 3])
def test_paging_with_filters_answers_each_match_exactly_once(api, logged, limit):
    for query in (
        {"event_type": "ActivityRecorded"},
        {"stream": logged["allocation_id"]},
        {},
        {"include_internal": "true"},
        {"actor": "Mia Manager"},
    ):
        paged = every(api, limit=limit, **query)
        whole = every(api, **query)
        assert positions(paged) == positions(whole), query
        assert len(set(positions(paged))) == len(paged)
    assert every(api, limit=1, include_internal="true") == logged["all"]


def test_a_scan_is_bounded_and_carries_on_from_next_after(api, logged, monkeypatch):
    monkeypatch.setattr(history, "SCAN_LIMIT", 5)
    monkeypatch.setattr(history, "SCAN_WINDOW", 2)
    expected = every(api, event_type="ActivityRetracted")
    assert len(expected) == 1
    first = api.get("/api/audit/events", event_type="ActivityRetracted").get_json()
    assert first["items"] == [] and not first["at_end"] and first["next_after"] == 5
    for query in ({"event_type": "ActivityRecorded"}, {"actor": "Mia Manager"}, {}):
        monkeypatch.setattr(history, "SCAN_LIMIT", 10_000)
        whole = every(api, **query)
        monkeypatch.setattr(history, "SCAN_LIMIT", 5)
        assert positions(every(api, limit=2, **query)) == positions(whole), query
    head = api.log_size()
    last = api.get("/api/audit/events", after=head).get_json()
    assert last == {"items": [], "next_after": head, "at_end": True}


@pytest.mark.boundary
def test_bad_filter_values_are_refused_naming_the_field(api, logged):
    for name, value in (
        ("stream", "not-a-uuid"),
        ("event_type", "ActivityInvented"),
        ("event_type", "activityrecorded"),
        ("since", "yesterday"),
        ("since", "2024-13-01T00:00:00Z"),
        ("since", "0001-01-01T00:00:00Z"),
        ("actor", ""),
        ("include_internal", "maybe"),
    ):
        response = api.get("/api/audit/events", **{name: value})
        assert response.status_code == 422, (name, value, response.get_json())
        assert response.mimetype == "application/problem+json"
        assert name in str(response.get_json()["errors"]), response.get_json()
    response = api.get("/api/audit/events", type="ActivityRecorded")
    assert response.status_code == 400 and "type" in response.get_json()["detail"]
