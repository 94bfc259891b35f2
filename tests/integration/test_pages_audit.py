"""The audit page (`/audit`, docs/reference/pages.md): the log with its filters and pages, one
stream's history, an allocation as of a moment, the latest checkpoint and the verify
result; bad input answered with a message, other roles refused. On both stores."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html import unescape
from typing import Any

import pytest

from service.web.pages import audit_log
from tests.support.api import activity, grant_on_own_project
from tests.support.dates import TODAY
from tests.support.pages import hidden_value, signed_in_client
from tests.support.raw_store import Store

ROW = re.compile(
    r'<tr data-position="(\d+)" data-event-type="(\w+)" data-stream-id="([0-9a-f-]+)" '
    r'data-actor="([^"]*)">'
)


def rows(html: str) -> list[dict[str, Any]]:
    return [
        {"position": int(p), "type": t, "stream": s, "actor": unescape(a)}
        for p, t, s, a in ROW.findall(html)
    ]


def link(html: str, label: str) -> str | None:
    found = re.search(rf'<a rel="\w+" href="([^"]+)">{label}</a>', html)
    return unescape(found[1]) if found else None


@pytest.fixture
def recorded(api, world, make_token) -> dict[str, Any]:
    """The world (by "Test Admin"), then an activity by a manager named "Mia Manager"
    and a later one by the admin."""
    allocation_id = world["allocation"]["id"]
    manager = api.as_(make_token("manager", name="Mia Manager"))
    first = manager.post(f"/api/allocations/{allocation_id}/activities", activity(units=3))
    assert first.status_code == 201, first.json
    second = api.post(
        f"/api/allocations/{allocation_id}/activities",
        activity(units=5, description="workshop <b>day</b>"),
    )
    assert second.status_code == 201, second.json
    return {**world, "allocation_id": allocation_id, "first_activity": first.json["position"]}


def csrf_of(client, path: str = "/audit") -> str:
    """The session's CSRF token, from a page's sign-out form (every page has one)."""
    token = hidden_value(client.get(path).get_data(as_text=True), "csrf_token")
    assert token
    return token


@pytest.fixture
def auditor(app, make_token):
    client, _ = signed_in_client(app, make_token("auditor", name="Ada Auditor"))
    return client


def page(client, path: str = "/audit", status: int = 200, **query: Any) -> str:
    response = client.get(path, query_string=query) if query else client.get(path)
    assert response.status_code == status, (path, query, response.status_code)
    return response.get_data(as_text=True)


def test_the_auditor_sees_the_events_recorded_over_the_api(auditor, recorded, api):
    html = page(auditor)
    found = rows(html)
    assert [row["position"] for row in found] == list(range(api.log_size(), 0, -1))
    types = {row["type"] for row in found}
    assert {"TeamMemberRegistered", "EngagementOpened", "ProjectDefined"} <= types
    assert {"AllocationGranted", "ActivityRecorded"} <= types
    recorders = [row["actor"] for row in found if row["type"] == "ActivityRecorded"]
    assert recorders == ["Test Admin", "Mia Manager"]  # newest first
    assert {"Test Admin", "Mia Manager"} <= {row["actor"] for row in found}
    assert f'href="/audit/streams/{recorded["allocation_id"]}"' in html
    assert "workshop &lt;b&gt;day&lt;/b&gt;" in html  # escaped, never markup
    assert "<b>day</b>" not in html
    assert f"The log holds {api.log_size()} events" in html


def test_each_filter_narrows_the_rows(auditor, recorded):
    allocation_id = recorded["allocation_id"]
    everything = rows(page(auditor))

    by_stream = rows(page(auditor, stream_id=allocation_id))
    assert by_stream and all(row["stream"] == allocation_id for row in by_stream)
    assert len(by_stream) == sum(row["stream"] == allocation_id for row in everything)

    by_type = rows(page(auditor, event_type="ActivityRecorded"))
    assert [row["type"] for row in by_type] == ["ActivityRecorded"] * 2

    by_actor = rows(page(auditor, actor="mia"))
    assert [(row["type"], row["actor"]) for row in by_actor] == [
        ("ActivityRecorded", "Mia Manager")
    ]

    today, tomorrow = TODAY.isoformat(), (TODAY + timedelta(days=1)).isoformat()
    yesterday = (TODAY - timedelta(days=1)).isoformat()
    assert len(rows(page(auditor, date_from=today, date_to=today))) == len(everything)
    assert rows(page(auditor, date_from=tomorrow)) == []
    assert rows(page(auditor, date_to=yesterday)) == []

    both = rows(page(auditor, event_type="ActivityRecorded", actor="admin", date_from=today))
    assert len(both) == 1 and both[0]["actor"] == "Test Admin"


def test_paging_walks_the_whole_log_newest_first_keeping_the_filters(
    auditor, recorded, api, monkeypatch
):
    monkeypatch.setattr(audit_log, "PAGE_SIZE", 3)
    html = page(auditor)
    seen, pages = [], []
    while True:
        pages.append([row["position"] for row in rows(html)])
        seen += pages[-1]
        older = link(html, "Older")
        if older is None:
            break
        html = page(auditor, older)
    assert seen == list(range(api.log_size(), 0, -1))
    assert all(len(each) == 3 for each in pages[:-1])

    newer = link(html, "Newer")  # from the oldest page, back one
    assert [row["position"] for row in rows(page(auditor, newer))] == pages[-2]

    monkeypatch.setattr(audit_log, "PAGE_SIZE", 1)
    html = page(auditor, event_type="ActivityRecorded")
    first = rows(html)
    older = link(html, "Older")
    assert "event_type=ActivityRecorded" in older
    second = rows(page(auditor, older))
    assert [row["type"] for row in first + second] == ["ActivityRecorded"] * 2
    assert first[0]["position"] > second[0]["position"]


def test_a_filtered_search_reads_a_bounded_number_of_events(auditor, recorded, monkeypatch):
    """The team members were registered first: with a budget of 4 positions a request,
    the first page says where it stopped and "Older" carries on."""
    monkeypatch.setattr(audit_log, "SCAN_LIMIT", 4)
    monkeypatch.setattr(audit_log, "WINDOW", 2)
    html = page(auditor, event_type="TeamMemberRegistered")
    assert rows(html) == []
    assert "The search stopped after" in html
    found = []
    while (older := link(html, "Older")) is not None:
        html = page(auditor, older)
        found += rows(html)
    assert [row["type"] for row in found] == ["TeamMemberRegistered"] * 2


def test_the_stream_page_lists_the_streams_events(auditor, recorded):
    html = page(auditor, f"/audit/streams/{recorded['allocation_id']}")
    assert "<h1>Allocation history</h1>" in html
    types = re.findall(r'<tr data-version="\d+" data-event-type="(\w+)">', html)
    assert types == ["AllocationGranted", "ActivityRecorded", "ActivityRecorded"]
    assert "review of the guide" in html and "workshop &lt;b&gt;day&lt;/b&gt;" in html
    assert "Q hours" in html  # the grant's description

    engagement = page(auditor, f"/audit/streams/{recorded['engagement']['id']}")
    assert "EngagementOpened" in engagement and "ProjectDefined" in engagement


def test_the_balance_as_of_a_moment_before_a_later_activity(auditor, recorded, api):
    allocation_id = recorded["allocation_id"]
    history = api.get(f"/api/audit/streams/{allocation_id}").json["events"]
    first_activity = next(e for e in history if e["event_type"] == "ActivityRecorded")

    html = page(
        auditor, "/audit/as-of", allocation_id=allocation_id, as_of=first_activity["timestamp"]
    )
    assert '<dd data-field="units_used">3</dd>' in html
    assert '<dd data-field="units_remaining">17</dd>' in html

    stream = page(auditor, f"/audit/streams/{allocation_id}")
    as_of_links = re.findall(r'href="(/audit/as-of\?[^"]+)"', stream)
    assert len(as_of_links) == 3
    after_second = page(auditor, unescape(as_of_links[-1]))
    assert '<dd data-field="units_used">8</dd>' in after_second
    after_first = page(auditor, unescape(as_of_links[1]))  # a datetime-local value, UTC
    assert '<dd data-field="units_used">3</dd>' in after_first
    before_any = page(auditor, unescape(as_of_links[0]))
    assert '<dd data-field="units_used">0</dd>' in before_any


def test_the_checkpoint_and_the_verify_result(auditor, recorded, api):
    html = page(auditor)
    assert "Latest signed checkpoint" in html and "Verify the log now" in html
    size = api.log_size()

    response = auditor.post("/audit/verify", data={"csrf_token": csrf_of(auditor)})
    assert response.status_code == 200
    result = response.get_data(as_text=True)
    assert 'data-verdict="verified"' in result
    assert f"{size} events, root" in result
    assert f'<dd data-field="size">{size}</dd>' in result
    assert "Took " in result

    again = page(auditor)
    assert f'<dd data-field="size">{size}</dd>' in again
    assert auditor.post("/audit/verify", data={}).status_code == 400  # no CSRF token


def test_verify_names_the_first_changed_position(auditor, recorded, ledger):
    csrf = csrf_of(auditor)
    assert (
        'data-verdict="verified"' in auditor.post("/audit/verify", data={"csrf_token": csrf}).text
    )
    store, target = Store(ledger), recorded["first_activity"]
    state = store.state(target)
    assert b'"units":3' in state
    store.set_state(target, state.replace(b'"units":3', b'"units":9'))

    result = auditor.post("/audit/verify", data={"csrf_token": csrf})
    assert result.status_code == 200
    assert 'data-verdict="failed"' in result.text
    assert f"The first position at fault is <strong>{target}</strong>" in result.text
    assert f"position {target}: the stored event is not the one" in result.text


@pytest.mark.parametrize(
    ("query", "status", "message"),
    [
        ({"stream_id": "not-a-uuid"}, 422, "Not a stream id"),
        ({"event_type": "Bogus"}, 422, "Pick one of the event types"),
        ({"date_from": "2025-13-01"}, 422, "From must be a valid date"),
        ({"date_from": "2025-03-02", "date_to": "2025-03-01"}, 422, "end date is before"),
        ({"date_from": "1969-12-31"}, 422, "From must be between 1970-01-01"),
        ({"before": "-1"}, 422, "Before must be greater than or equal to 0"),
        ({"actor": "x" * 300}, 200, "The log holds"),  # cut to 100 characters, searched
    ],
)
def test_bad_log_filters_answer_with_a_message(auditor, recorded, query, status, message):
    html = page(auditor, status=status, **query)
    assert message in html
    if status == 422:
        assert 'class="error-summary"' in html and rows(html) == []


@pytest.mark.parametrize(
    ("allocation", "as_of", "status", "message"),
    [
        ("nope", "PAST", 422, "Enter an allocation id"),
        ("ALLOCATION", "yesterday", 422, "Enter a date and time"),
        ("ALLOCATION", "2199-01-01T00:00", 422, "in the future"),
        ("ALLOCATION", "1969-12-31T23:00", 422, "must be between 1970-01-01"),
        ("ALLOCATION", "2000-01-01T00:00", 404, "did not exist at 2000-01-01"),
        ("00000000-0000-4000-8000-000000000000", "PAST", 404, "did not exist"),
        ("ENGAGEMENT", "PAST", 404, "did not exist"),  # a stream, not an allocation's
    ],
)
def test_bad_as_of_input_answers_with_a_message(
    auditor, recorded, allocation, as_of, status, message
):
    ids = {"ALLOCATION": recorded["allocation_id"], "ENGAGEMENT": recorded["engagement"]["id"]}
    moment = datetime.now(UTC) - timedelta(seconds=1) if as_of == "PAST" else None
    given = {
        "allocation_id": ids.get(allocation, allocation),
        "as_of": moment.isoformat() if moment else as_of,
    }
    html = page(auditor, "/audit/as-of", status=status, **given)
    assert message in html
    assert 'data-field="units_used"' not in html
    assert 'aria-invalid="true"' in html


def test_bad_stream_ids_answer_404_with_a_message(auditor, recorded):
    assert "is not a stream id" in page(auditor, "/audit/streams/not-a-uuid", status=404)
    unknown = "/audit/streams/00000000-0000-4000-8000-000000000000"
    assert "holds no stream" in page(auditor, unknown, status=404)


@pytest.mark.boundary
@pytest.mark.parametrize("role", ["member", "manager", "bd", "viewer"])
def test_other_roles_may_not_open_the_audit_page(app, make_token, recorded, role):
    token = make_token(role, member="ana") if role == "member" else make_token(role)
    client, _ = signed_in_client(app, token)
    csrf = csrf_of(client)  # the 403 page has the sign-out form
    for path in ("/audit", f"/audit/streams/{recorded['allocation_id']}", "/audit/as-of"):
        assert client.get(path).status_code == 403, path
    assert client.post("/audit/verify", data={"csrf_token": csrf}).status_code == 403


def test_an_admin_may_and_a_stranger_is_sent_to_sign_in(app, make_token, recorded):
    client, _ = signed_in_client(app, make_token("admin"))
    assert client.get("/audit").status_code == 200
    stranger = app.test_client().get("/audit")
    assert stranger.status_code == 302 and "/sign-in" in stranger.headers["Location"]


def test_the_allocation_as_of_the_move_leaves_out_an_activity_moved_away(auditor, recorded, api):
    """A moved activity is on its new allocation as of the move, not on both."""
    allocation_id = recorded["allocation_id"]
    activities = api.get(f"/api/allocations/{allocation_id}/activities").json["items"]
    moving = next(item for item in activities if item["units"] == 3)
    other = grant_on_own_project(api, recorded["engagement"]["id"], start=60, end=-30)
    moved = api.post(
        f"/api/activities/{moving['id']}/move", {"allocation_id": other["id"], "reason": "filed"}
    )
    assert moved.status_code == 201, moved.json
    streams = (allocation_id, other["id"])  # one save; each event stamped as it was made
    now = max(api.get(f"/api/audit/streams/{s}").json["events"][-1]["timestamp"] for s in streams)

    source = page(auditor, "/audit/as-of", allocation_id=allocation_id, as_of=now)
    assert f'data-activity-id="{moving["id"]}"' not in source
    assert '<dd data-field="units_used">5</dd>' in source
    target = page(auditor, "/audit/as-of", allocation_id=other["id"], as_of=now)
    assert f'data-activity-id="{moving["id"]}"' in target
