"""POST /webhooks/hubspot and `flask hubspot replay`, on each event store.

Requests are signed with hubspot-api-client's own `Signature.get_signature` (v3), as
HubSpot signs them. Every refusal must leave the event log exactly as it was.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from service.bootstrap import create_app
from service.domain import engagement_id_for_deal
from service.infra.config import Settings
from service.web.http.runtime import ledger as app_ledger
from tests.support.hubspot_webhooks import (
    PORTAL,
    close,
    closed_won,
    closed_won_count,
    deliver,
    engagement_ids,
    hubspot_app,
    log_size,
    now_ms,
    signed,
)


@pytest.fixture
def app(database_url: str) -> Iterator[Flask]:
    """The service with a HubSpot client secret (and no access token: no follower)."""
    app = hubspot_app(database_url)
    yield app
    close(app)


@pytest.fixture
def client(app: Flask):
    return app.test_client()


# Accepted deliveries


def test_a_closed_won_deal_creates_its_engagement_shown_by_the_api(client, ledger, api):
    response = deliver(client, [closed_won()])
    assert response.status_code == 204, response.get_data(as_text=True)
    assert response.headers["X-Event-Position"] == str(log_size(ledger))
    engagement_id = engagement_id_for_deal(PORTAL, "19283746501")
    engagement = ledger.engagement(engagement_id)
    assert (engagement.portal_id, engagement.deal_id, engagement.source) == (
        PORTAL,
        "19283746501",
        "hubspot",
    )
    listed = api.get("/api/engagements").json["items"]
    assert [e["id"] for e in listed] == [str(engagement_id)]
    first = ledger.stream(engagement_id)[0]
    assert (type(first).__name__, first.stage, first.webhook_event_id, first.actor) == (
        "DealClosedWon",
        "closedwon",
        3816279340,
        "hubspot",
    )


def test_the_generic_object_property_change_of_a_deal_is_understood(client, ledger):
    event = closed_won(deal_id=77, subscriptionType="object.propertyChange", objectTypeId="0-3")
    event["objectId"] = "77"
    assert deliver(client, [event]).status_code == 204
    assert ledger.engagement(engagement_id_for_deal(PORTAL, "77")).deal_id == "77"


@pytest.mark.parametrize(
    "event",
    [
        closed_won(propertyValue="appointmentscheduled"),
        closed_won(propertyName="amount", propertyValue="1000"),
        closed_won(subscriptionType="contact.propertyChange"),
        closed_won(subscriptionType="object.propertyChange", objectTypeId="0-1"),
        closed_won(subscriptionType="deal.creation"),
        {"subscriptionType": "something.new", "payload": [1, 2]},
    ],
    ids=["other-stage", "other-property", "contact", "generic-contact", "creation", "unknown-kind"],
)
def test_other_events_are_acknowledged_and_ignored(client, ledger, event):
    before = log_size(ledger)
    assert deliver(client, [event]).status_code == 204
    assert log_size(ledger) == before


def test_the_closed_won_stages_are_configurable_for_custom_pipelines(database_url):
    app = hubspot_app(database_url, HUBSPOT_CLOSED_WON_STAGES="closedwon, 98765432")
    try:
        client = app.test_client()
        assert deliver(client, [closed_won(deal_id=1, propertyValue="98765432")]).status_code == 204
        with app.app_context():
            assert app_ledger().engagement(engagement_id_for_deal(PORTAL, "1")).deal_id == "1"
    finally:
        close(app)


def test_duplicates_and_out_of_order_deliveries_make_one_engagement(client, ledger):
    later_move = closed_won(eventId=2, propertyValue="contractsent", occurredAt=1732715559999)
    won = closed_won(eventId=1)
    assert deliver(client, [later_move, won, won]).status_code == 204
    assert deliver(client, [won, later_move]).status_code == 204
    assert deliver(client, [closed_won(eventId=3, attemptNumber=1)]).status_code == 204
    assert closed_won_count(ledger) == 1
    assert len(engagement_ids(ledger)) == 1


def test_a_full_batch_of_different_deals_is_recorded(client, ledger):
    batch = [closed_won(deal_id=1000 + n, eventId=n) for n in range(100)]
    assert deliver(client, batch).status_code == 204
    assert closed_won_count(ledger) == 100


def test_fifty_concurrent_deliveries_of_one_event_make_one_engagement(app, ledger):
    body = json.dumps([closed_won()]).encode()
    headers = signed(body)
    start = threading.Barrier(50)
    statuses: list[int] = []

    def deliver_once() -> None:
        client = app.test_client()
        start.wait()
        response = client.post(
            "/webhooks/hubspot", data=body, content_type="application/json", headers=headers
        )
        statuses.append(response.status_code)

    threads = [threading.Thread(target=deliver_once) for _ in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [204] * 50
    assert closed_won_count(ledger) == 1
    assert engagement_ids(ledger) == [engagement_id_for_deal(PORTAL, "19283746501")]


def test_behind_a_proxy_the_forwarded_scheme_and_host_are_the_signed_url(client, ledger):
    body = json.dumps([closed_won()]).encode()
    headers = signed(body, uri="https://hooks.example.com/webhooks/hubspot")
    proxied = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "hooks.example.com"}
    response = client.post(
        "/webhooks/hubspot",
        data=body,
        content_type="application/json",
        headers={**headers, **proxied},
    )
    assert response.status_code == 204
    assert closed_won_count(ledger) == 1


def test_a_configured_public_url_is_the_signed_url(database_url):
    public = "https://hooks.example.com/hubspot/webhooks"
    app = hubspot_app(database_url, HUBSPOT_WEBHOOK_URL=public)
    try:
        client = app.test_client()
        assert deliver(client, [closed_won()]).status_code == 401
        assert deliver(client, [closed_won()], uri=public).status_code == 204
    finally:
        close(app)


# Refusals: 401 or 400, and nothing recorded


def _post(client, body: bytes, headers: dict[str, str]):
    return client.post(
        "/webhooks/hubspot", data=body, content_type="application/json", headers=headers
    )


GOOD_BODY = json.dumps([closed_won()]).encode()


def signed_as(body: bytes, status: int, **signing: Any) -> tuple[bytes, dict[str, str], int]:
    """A correctly signed request (but for `signing`) that must be refused with `status`."""
    return body, signed(body, **signing), status


def events_body(*events: Any) -> bytes:
    return json.dumps(list(events)).encode()


# Each case is made when its test runs, so that "now" is then.
REFUSALS = {
    "missing-signature": lambda: (GOOD_BODY, {"X-HubSpot-Request-Timestamp": str(now_ms())}, 401),
    "missing-timestamp": lambda: (
        GOOD_BODY,
        {"X-HubSpot-Signature-v3": signed(GOOD_BODY)["X-HubSpot-Signature-v3"]},
        401,
    ),
    "non-numeric-timestamp": lambda: (
        GOOD_BODY,
        {**signed(GOOD_BODY), "X-HubSpot-Request-Timestamp": "yesterday"},
        401,
    ),
    "bad-signature": lambda: signed_as(GOOD_BODY, 401, secret="someone-else"),
    "other-url": lambda: signed_as(GOOD_BODY, 401, uri="http://localhost/elsewhere"),
    "old-timestamp": lambda: signed_as(GOOD_BODY, 401, timestamp=now_ms(-6 * 60)),
    "future-timestamp": lambda: signed_as(GOOD_BODY, 401, timestamp=now_ms(+3 * 60)),
    "changed-body": lambda: (
        GOOD_BODY.replace(b"closedwon", b"closedwon "),
        signed(GOOD_BODY),
        401,
    ),
    "not-utf8": lambda: (
        b"[\xff]",
        {"X-HubSpot-Signature-v3": "x", "X-HubSpot-Request-Timestamp": str(now_ms())},
        401,
    ),
    "malformed-json": lambda: signed_as(b'[{"eventId": 1,', 400),
    "not-a-list": lambda: signed_as(b'{"events": []}', 400),
    "not-event-objects": lambda: signed_as(b"[1, 2]", 400),
    "more-than-100": lambda: signed_as(
        events_body(*(closed_won(deal_id=n) for n in range(101))), 400
    ),
    "closed-won-without-deal-id": lambda: signed_as(events_body(closed_won(objectId=None)), 400),
}


@pytest.mark.parametrize("case", REFUSALS, ids=list(REFUSALS))
def test_a_refused_delivery_changes_nothing(client, ledger, case):
    body, headers, status = REFUSALS[case]()
    before = log_size(ledger)
    response = _post(client, body, headers)
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    assert response.json["status"] == status and response.json["detail"]
    assert log_size(ledger) == before


def test_a_batch_with_one_bad_closed_won_event_records_none_of_it(client, ledger):
    before = log_size(ledger)
    response = deliver(client, [closed_won(deal_id=1), closed_won(deal_id=2, portalId="x")])
    assert response.status_code == 400
    assert "event 1: portalId" in response.json["detail"]
    assert log_size(ledger) == before


def test_without_a_client_secret_the_webhook_answers_503_so_hubspot_retries(database_url):
    app = create_app(Settings.from_environment({"DATABASE_URL": database_url}))
    try:
        response = deliver(app.test_client(), [closed_won()])
        assert response.status_code == 503
        assert "HUBSPOT_CLIENT_SECRET" in response.json["detail"]
    finally:
        close(app)


# The replay command


def test_replay_records_a_saved_body_once(app, ledger, tmp_path):
    saved = tmp_path / "delivery.json"
    saved.write_text(json.dumps([closed_won(), closed_won(deal_id=5, propertyValue="qualified")]))
    runner = app.test_cli_runner()
    first = runner.invoke(args=["hubspot", "replay", str(saved)])
    assert first.exit_code == 0, first.output
    engagement_id = engagement_id_for_deal(PORTAL, "19283746501")
    assert f"engagement {engagement_id} created" in first.output
    second = runner.invoke(args=["hubspot", "replay", str(saved)])
    assert f"engagement {engagement_id} already recorded" in second.output
    assert closed_won_count(ledger) == 1


def test_replay_refuses_a_file_that_is_not_a_webhook_body(app, ledger, tmp_path):
    saved = tmp_path / "notes.json"
    saved.write_text('{"dealId": 1}')
    before = log_size(ledger)
    result = app.test_cli_runner().invoke(args=["hubspot", "replay", str(saved)])
    assert result.exit_code != 0
    assert "JSON array" in result.output
    assert log_size(ledger) == before
