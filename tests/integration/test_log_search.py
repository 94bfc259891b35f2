"""One log search for the API and the audit page (service/application/history.py): the
same events for the same filters, the page newest first and the API oldest first; the
HubSpot poll's checkpoint is in the one event catalogue (its events are bookkeeping,
offered in the page's list and labelled); the search reads backwards as it reads
forwards, within its budget of positions. On both stores."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from integrations.hubspot.poll_checkpoint import advance_checkpoint, start_checkpoint
from service.application.event_catalogue import EVENT_TYPES, INTERNAL_EVENT_TYPES, stream_label
from service.application.history import LogQuery
from service.domain.deal_poll import checkpoint_id
from tests.support.api import activity
from tests.support.pages import signed_in_client

ROW = re.compile(r'<tr data-position="(\d+)" data-event-type="(\w+)"')
PORTAL = 62515


@pytest.fixture
def logged(api, world, make_token, ledger) -> dict[str, Any]:
    """The world, two activities by "Mia Manager" and one by the admin, and two
    checkpoints of the HubSpot poll (bookkeeping)."""
    allocation_id = world["allocation"]["id"]
    manager = api.as_(make_token("manager", name="Mia Manager"))
    for client, units in ((manager, 3), (manager, 2), (api, 5)):
        response = client.post(
            f"/api/allocations/{allocation_id}/activities", activity(units=units)
        )
        assert response.status_code == 201, response.get_json()
    moment = datetime(2026, 1, 5, 9, tzinfo=UTC)
    start_checkpoint(ledger, PORTAL, moment)
    assert advance_checkpoint(ledger, PORTAL, moment + timedelta(hours=1), "1249")
    return {**world, "allocation_id": allocation_id}


@pytest.fixture
def auditor(app, make_token):
    client, _ = signed_in_client(app, make_token("auditor", name="Ada Auditor"))
    return client


def page_positions(client, **query: Any) -> list[tuple[int, str]]:
    response = client.get("/audit", query_string=query)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return [(int(p), t) for p, t in ROW.findall(response.get_data(as_text=True))]


def api_positions(api, **query: Any) -> list[tuple[int, str]]:
    response = api.get("/api/audit/events", include_internal="true", limit=1000, **query)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["at_end"]
    return [(item["position"], item["event_type"]) for item in response.get_json()["items"]]


def test_the_page_and_the_api_answer_the_same_events_for_the_same_filters(api, auditor, logged):
    for page_query, api_query in (
        ({}, {}),
        ({"event_type": "ActivityRecorded"}, {"event_type": "ActivityRecorded"}),
        ({"stream_id": logged["allocation_id"]}, {"stream": logged["allocation_id"]}),
        ({"event_type": "DealPollAdvanced"}, {"event_type": "DealPollAdvanced"}),
        ({"actor": "Mia Manager"}, {"actor": "Mia Manager"}),
    ):
        on_page = page_positions(auditor, **page_query)
        assert on_page, page_query
        assert on_page == list(reversed(api_positions(api, **api_query))), page_query


def test_the_poll_checkpoint_is_in_the_one_catalogue_as_bookkeeping(api, auditor, logged):
    assert {"DealPollStarted", "DealPollAdvanced"} <= EVENT_TYPES & INTERNAL_EVENT_TYPES
    assert stream_label("DealPollAdvanced") == "HubSpot poll"
    html = auditor.get("/audit").get_data(as_text=True)
    assert '<optgroup label="HubSpot poll">' in html
    assert '<option value="DealPollAdvanced">' in html
    hidden = api.get("/api/audit/events", limit=1000).get_json()["items"]
    assert not [item for item in hidden if item["event_type"].startswith("DealPoll")]
    stream = auditor.get(f"/audit/streams/{checkpoint_id(PORTAL)}")
    assert "<h1>HubSpot poll history</h1>" in stream.get_data(as_text=True)


def test_the_search_reads_backwards_as_it_reads_forwards(ledger, logged):
    head = ledger.log_head()
    wanted = LogQuery(event_type="ActivityRecorded")
    forwards = ledger.log_search(wanted, after=0, limit=100)
    backwards = ledger.log_search(wanted, before=head + 1, limit=100)
    assert len(forwards.events) == 3 and forwards.at_end and backwards.at_end
    assert [p for p, _ in backwards.events] == [p for p, _ in reversed(forwards.events)]
    assert (forwards.reached, backwards.reached) == (head, 1)

    newest = ledger.log_search(wanted, before=head + 1, limit=1)
    older = ledger.log_search(wanted, before=newest.reached, limit=100)
    assert [p for p, _ in newest.events + older.events] == [p for p, _ in backwards.events]
    assert not newest.at_end and newest.reached == newest.events[0][0]


def test_a_budget_of_positions_bounds_each_direction(ledger, logged):
    head = ledger.log_head()
    wanted = LogQuery(event_type="TeamMemberRegistered")  # the world's first events
    cut = ledger.log_search(wanted, before=head + 1, limit=10, budget=3, window=2)
    assert cut.events == [] and not cut.at_end
    assert (cut.reached, cut.scanned) == (head + 1 - 3, 3)
    found, before = [], head + 1
    while True:
        part = ledger.log_search(wanted, before=before, limit=10, budget=3, window=2)
        found += part.events
        before = part.reached
        if part.at_end:
            break
    forwards = ledger.log_search(wanted, after=0, limit=10, budget=3, window=2)
    assert [p for p, _ in forwards.events] == [p for p, _ in reversed(found)]
    assert forwards.reached == 3 and not forwards.at_end


def test_the_actor_and_time_filters_of_each_reader(ledger, logged):
    everything = ledger.log_search(LogQuery(include_internal=True), after=0, limit=1000)
    exact = ledger.log_search(LogQuery(actor="mia manager"), after=0, limit=1000)
    part = ledger.log_search(LogQuery(actor_part="MIA"), after=0, limit=1000)
    assert exact.events == [] and len(part.events) == 2
    pivot = everything.events[len(everything.events) // 2][1].timestamp
    before = ledger.log_search(LogQuery(include_internal=True, until=pivot), limit=1000)
    since = ledger.log_search(LogQuery(include_internal=True, since=pivot), limit=1000)
    assert [p for p, _ in before.events + since.events] == [p for p, _ in everything.events]
