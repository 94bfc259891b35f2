"""The reconciliation poll against a HubSpot search stub, through hubspot-api-client,
on each event store: no won deal is missed, none is recorded twice, and without a
webhook at all (poll-only mode) the poll alone creates the engagements.

Waits (pace, Retry-After) go to a fake sleeper that moves a fake clock, so nothing
here sleeps and no assertion depends on timing.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from prometheus_client import REGISTRY
from pytest_httpserver import HTTPServer

from integrations.hubspot.follower import build_follower
from integrations.hubspot.poll import MIN_INTERVAL, OVERLAP, DealPoll, PollResult
from integrations.hubspot.poll_checkpoint import read_checkpoint
from service.application import Ledger
from service.bootstrap import create_app
from service.domain import engagement_id_for_deal
from service.infra.config import ConfigurationError, Settings
from service.web.http.runtime import ledger as app_ledger
from tests.support.apps import close_app
from tests.support.hubspot_deal_stub import DEAL, serve_deal
from tests.support.hubspot_follower import FakeClock, run_until_idle
from tests.support.hubspot_search_stub import TOKEN, SearchStub
from tests.support.hubspot_webhooks import (
    PORTAL,
    closed_won,
    closed_won_count,
    deliver,
    hubspot_app,
)

NOW = datetime.now(UTC).replace(microsecond=0)
AN_HOUR_AGO = NOW - timedelta(hours=1)


class FakeTime:
    """The poll's clock and sleeper: a sleep moves the clock, and is remembered."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def poll_env(httpserver: HTTPServer) -> dict[str, str]:
    return {
        "HUBSPOT_ACCESS_TOKEN": TOKEN,
        "HUBSPOT_PORTAL_ID": str(PORTAL),
        "HUBSPOT_API_BASE": httpserver.url_for("/").rstrip("/"),
    }


@pytest.fixture
def stub(httpserver: HTTPServer) -> SearchStub:
    return SearchStub(httpserver)


@pytest.fixture
def app(database_url: str, httpserver: HTTPServer) -> Iterator[Flask]:
    """The service with a webhook secret, an access token and the portal id."""
    app = hubspot_app(database_url, **poll_env(httpserver))
    yield app
    close_app(app)


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


def make_poll(app: Flask, fake_time: FakeTime, **options: Any) -> DealPoll:
    return app.extensions["hubspot"].poll(sleep=fake_time.sleep, clock=fake_time.clock, **options)


def engagement(deal_id: str) -> Any:
    return engagement_id_for_deal(PORTAL, deal_id)


def put_many(stub: SearchStub, count: int, *, same_millisecond: bool = False) -> None:
    for n in range(count):
        step = timedelta(0) if same_millisecond else timedelta(milliseconds=n)
        stub.put(str(1000 + n), AN_HOUR_AGO + step)


def since_ms(body: dict[str, Any]) -> int:
    [group] = body["filterGroups"]
    [modified] = [f for f in group["filters"] if f["propertyName"] == "hs_lastmodifieddate"]
    return int(modified["value"])


# Finding what the webhook missed


def test_the_poll_finds_a_won_deal_whose_webhook_never_came(app, ledger, stub, fake_time, api):
    stub.put("1", AN_HOUR_AGO)
    stub.put("2", AN_HOUR_AGO, stage="appointmentscheduled")

    result = make_poll(app, fake_time, now=lambda: NOW).poll_once()

    assert result.created == [engagement("1")]
    assert (result.found, result.requests, result.error) == (1, 1, None)
    first = ledger.stream(engagement("1"))[0]
    assert (type(first).__name__, first.stage, first.webhook_event_id, first.actor) == (
        "DealClosedWon",
        "closedwon",
        0,
        "hubspot",
    )
    assert first.close_time == AN_HOUR_AGO
    [body] = stub.requests
    [group] = body["filterGroups"]
    assert {"propertyName": "dealstage", "operator": "IN", "values": ["closedwon"]} in (
        group["filters"]
    )
    # the first poll looks a day back (and the overlap before that)
    assert since_ms(body) == int((NOW - timedelta(days=1) - OVERLAP).timestamp() * 1000)
    assert body["limit"] == 200
    assert make_poll(app, fake_time).poll_once().created == []
    assert closed_won_count(ledger) == 1
    listed = api.get("/api/engagements").json["items"]
    assert [item["id"] for item in listed] == [str(engagement("1"))]
    # The checkpoint is bookkeeping, as locators are: shown only when asked for.
    logged = api.get("/api/audit/events", limit=100).json["items"]
    assert not [item for item in logged if item["event_type"].startswith("DealPoll")]
    asked = api.get(
        "/api/audit/events", event_type="DealPollAdvanced", include_internal="true", limit=100
    )
    assert asked.status_code == 200, asked.json
    [advanced] = asked.json["items"]
    assert advanced["fields"] == {"last_modified": AN_HOUR_AGO.isoformat(), "deal_id": "1"}


@pytest.mark.parametrize("bad_id", ["12\u000034", "-5", "9223372036854775808", "0012", "１２"])
def test_a_deal_the_input_policy_refuses_is_skipped_and_counted(
    app, ledger, stub, fake_time, api, bad_id
):
    """An id the webhook would refuse, or a change time outside the policy's dates, is
    not recorded and never moves the checkpoint; the deals beside it are recorded."""
    skipped_before = REGISTRY.get_sample_value("ces_hubspot_poll_deals_skipped_total") or 0
    stub.put(bad_id, AN_HOUR_AGO)
    stub.put("21", AN_HOUR_AGO + timedelta(milliseconds=1))
    stub.put("22", datetime(9999, 12, 31, tzinfo=UTC))

    result = make_poll(app, fake_time, now=lambda: NOW).poll_once()

    assert result.created == [engagement("21")]
    assert (result.found, result.skipped, result.error) == (3, 2, None)
    assert closed_won_count(ledger) == 1
    assert read_checkpoint(ledger, PORTAL) == AN_HOUR_AGO + timedelta(milliseconds=1)
    skipped = REGISTRY.get_sample_value("ces_hubspot_poll_deals_skipped_total")
    assert skipped == skipped_before + 2
    listed = api.get("/api/engagements", min_position=str(api.log_size()))
    assert listed.status_code == 200, listed.json
    assert [item["id"] for item in listed.json["items"]] == [str(engagement("21"))]
    # The next poll finds them again, and skips them again: nothing stops it.
    assert make_poll(app, fake_time, now=lambda: NOW).poll_once().skipped == 2
    assert closed_won_count(ledger) == 1


def test_a_change_time_that_cannot_be_read_is_taken_from_updated_at(app, ledger, stub, fake_time):
    """The search page is not lost over one deal's malformed hs_lastmodifieddate."""
    stub.put("31", AN_HOUR_AGO, stamp="12\u0000:00")
    stub.put("32", AN_HOUR_AGO + timedelta(milliseconds=1), stamp="99999999999999999999999")

    result = make_poll(app, fake_time, now=lambda: NOW).poll_once()

    assert (result.created, result.error) == ([engagement("31"), engagement("32")], None)
    assert read_checkpoint(ledger, PORTAL) == AN_HOUR_AGO + timedelta(milliseconds=1)


def test_the_closed_won_stages_of_custom_pipelines_are_searched(database_url, httpserver, stub):
    stub.put("7", AN_HOUR_AGO, stage="98765432")
    env = poll_env(httpserver) | {"HUBSPOT_CLOSED_WON_STAGES": "closedwon,98765432"}
    app = hubspot_app(database_url, **env)
    try:
        assert make_poll(app, FakeTime()).poll_once().created == [engagement("7")]
        [group] = stub.requests[0]["filterGroups"]
        assert group["filters"][0]["values"] == ["98765432", "closedwon"]
    finally:
        close_app(app)


def test_webhook_then_poll_and_poll_then_webhook_each_give_one_engagement(
    app, ledger, stub, fake_time
):
    client = app.test_client()
    assert deliver(client, [closed_won(deal_id=11)]).status_code == 204
    stub.put("11", AN_HOUR_AGO)
    stub.put("12", AN_HOUR_AGO + timedelta(seconds=1))

    assert make_poll(app, fake_time).poll_once().created == [engagement("12")]
    assert deliver(client, [closed_won(deal_id=12, eventId=99)]).status_code == 204
    assert deliver(client, [closed_won(deal_id=11, eventId=98)]).status_code == 204
    assert make_poll(app, fake_time).poll_once().created == []

    assert closed_won_count(ledger) == 2
    for deal_id in ("11", "12"):
        assert [type(e).__name__ for e in ledger.stream(engagement(deal_id))] == ["DealClosedWon"]


def test_a_portal_id_other_than_the_webhooks_stops_the_poll(database_url, httpserver, stub):
    """A wrong HUBSPOT_PORTAL_ID would give each deal a second engagement."""
    stub.put("13", AN_HOUR_AGO)
    app = hubspot_app(database_url, **poll_env(httpserver) | {"HUBSPOT_PORTAL_ID": "42"})
    try:
        assert deliver(app.test_client(), [closed_won(deal_id=13)]).status_code == 204
        result = make_poll(app, FakeTime()).poll_once()
        assert result.created == [] and stub.requests == []
        assert f"deals recorded so far are of portal {PORTAL}" in (result.error or "")
        polled = app.test_cli_runner().invoke(args=["hubspot", "poll"])
        assert polled.exit_code != 0 and "HUBSPOT_PORTAL_ID is 42" in polled.output
    finally:
        close_app(app)


# Poll-only mode: a service key, no webhook app


def test_poll_only_mode_creates_engagements_with_their_details(database_url, httpserver, stub):
    stub.put(DEAL, AN_HOUR_AGO)
    serve_deal(httpserver)
    settings = Settings.from_environment({"DATABASE_URL": database_url, **poll_env(httpserver)})
    app = create_app(settings)
    try:
        assert app.extensions["hubspot"].settings.client_secret is None
        assert deliver(app.test_client(), [closed_won()]).status_code == 503  # no webhook

        polled = app.test_cli_runner().invoke(args=["hubspot", "poll"])

        assert polled.exit_code == 0, polled.output
        assert f"engagement {engagement(DEAL)} created" in polled.output
        assert "1 won deal(s) found, 1 engagement(s) created" in polled.output
        with app.app_context():
            ledger = app_ledger()
        clock = FakeClock()
        hubspot = app.extensions["hubspot"].settings
        run_until_idle(build_follower(lambda: ledger, hubspot, clock=clock), clock)
        assert ledger.engagement(engagement(DEAL)).community == "Open Data NL"
        again = app.test_cli_runner().invoke(args=["hubspot", "poll"])
        assert "0 engagement(s) created" in again.output
    finally:
        close_app(app)


def test_poll_only_mode_needs_the_portal_id():
    with pytest.raises(ConfigurationError, match="HUBSPOT_PORTAL_ID"):
        Settings.from_environment({"HUBSPOT_ACCESS_TOKEN": "pat"})
    with pytest.raises(ConfigurationError, match="HUBSPOT_POLL_MINUTES"):
        Settings.from_environment({"HUBSPOT_POLL_MINUTES": "often"})
    polling = Settings.from_environment(
        {"HUBSPOT_ACCESS_TOKEN": "pat", "HUBSPOT_PORTAL_ID": "145106154"}
    ).hubspot
    assert (polling.polling, polling.portal_id, polling.poll_minutes) == (True, PORTAL, 15)
    off = Settings.from_environment({"HUBSPOT_CLIENT_SECRET": "s", "HUBSPOT_POLL_MINUTES": "0"})
    assert not off.hubspot.polling


def test_the_poll_command_says_what_it_needs(database_url):
    app = hubspot_app(database_url)
    try:
        result = app.test_cli_runner().invoke(args=["hubspot", "poll"])
        assert result.exit_code != 0
        assert "HUBSPOT_PORTAL_ID" in result.output
    finally:
        close_app(app)


# Paging, the 10,000 cap and the rate limit


def test_250_won_deals_are_paged_through_and_each_recorded_once(app, ledger, stub, fake_time):
    put_many(stub, 250)
    result = make_poll(app, fake_time).poll_once()
    assert len(result.created) == 250 and result.error is None
    assert [body["limit"] for body in stub.requests] == [200, 200]
    # the second search starts from the first page's last change, not from an offset
    assert since_ms(stub.requests[1]) == stub.deals["1199"].modified_ms
    assert "after" not in stub.requests[1] or stub.requests[1]["after"] is None
    assert closed_won_count(ledger) == 250
    assert read_checkpoint(ledger, PORTAL) == stub.deals["1249"].last_modified


def test_deals_changed_in_one_millisecond_are_paged_with_the_cursor(app, ledger, stub, fake_time):
    put_many(stub, 250, same_millisecond=True)
    result = make_poll(app, fake_time).poll_once()
    assert len(result.created) == 250
    # searched again from that millisecond, which does not move on: then the cursor
    assert [body.get("after") for body in stub.requests] == [None, None, "200"]
    assert (
        since_ms(stub.requests[1]) == since_ms(stub.requests[2]) == stub.deals["1000"].modified_ms
    )


def test_the_search_cap_is_never_reached_and_a_larger_bulk_update_is_passed(
    app, ledger, httpserver, fake_time, caplog
):
    """HubSpot's 10,000 per query, scaled down: searching again from each page's last
    change never reaches it; only more deals than the cap in one millisecond could, and
    then the poll says so and moves on rather than searching the same page for ever."""
    capped = SearchStub(httpserver, cap=100)
    put_many(capped, 130)
    result = make_poll(app, fake_time, page_size=50, max_results=100).poll_once()
    assert len(result.created) == 130 and result.error is None

    bulk = NOW - timedelta(minutes=30)
    for n in range(120):
        capped.put(str(5000 + n), bulk)
    with caplog.at_level(logging.ERROR):
        result = make_poll(app, fake_time, page_size=50, max_results=100).poll_once()
    assert len(result.created) == 100 and result.error is None
    assert "more than 100 won deals changed at" in caplog.text
    assert read_checkpoint(ledger, PORTAL) == bulk


def test_a_429_is_waited_out_as_its_retry_after_says_and_nothing_is_recorded_twice(
    app, ledger, stub, fake_time
):
    put_many(stub, 250)
    stub.fail_next(429, **{"Retry-After": "7"})
    first = make_poll(app, fake_time).poll_once()
    assert 7.0 in fake_time.sleeps
    assert len(first.created) == 250 and first.error is None
    assert first.requests == 3

    stub.fail_next(429, **{"Retry-After": "2"})
    stub.fail_next(503)
    again = make_poll(app, fake_time).poll_once()
    assert again.created == [] and again.error is None
    waits = [seconds for seconds in fake_time.sleeps if seconds > MIN_INTERVAL]
    assert waits == [7.0, 2.0, 4.0]  # Retry-After, Retry-After, then backoff (2 s doubling)
    assert closed_won_count(ledger) == 250


def test_search_calls_are_spaced_to_stay_under_the_rate_limit(app, stub, fake_time):
    put_many(stub, 250, same_millisecond=True)
    make_poll(app, fake_time).poll_once()
    assert len(stub.requests) == 3
    # the fake clock moves only by sleeping: each call after the first waited its turn
    assert fake_time.sleeps == [MIN_INTERVAL, MIN_INTERVAL]


def test_a_long_retry_after_stops_the_poll_and_the_next_one_carries_on(
    app, ledger, stub, fake_time
):
    put_many(stub, 250)
    stub.fail_at(2, 429, **{"Retry-After": "600"})  # the first page answers, then 10 minutes
    stopped = make_poll(app, fake_time).poll_once()
    assert "rate limit" in (stopped.error or "")
    assert len(stopped.created) == 200
    assert 600.0 not in fake_time.sleeps  # longer than MAX_WAIT: the next poll's turn
    assert read_checkpoint(ledger, PORTAL) == stub.deals["1199"].last_modified

    carried_on = make_poll(app, fake_time).poll_once()
    assert len(carried_on.created) == 50 and carried_on.error is None
    assert closed_won_count(ledger) == 250


# Durable checkpoint: a restart loses nothing and repeats nothing


def test_a_restart_between_two_polls_loses_nothing_and_repeats_nothing(
    database_url, httpserver, stub
):
    stub.put("21", AN_HOUR_AGO)
    stub.put("22", AN_HOUR_AGO + timedelta(minutes=1))
    first = hubspot_app(database_url, **poll_env(httpserver))
    try:
        assert len(make_poll(first, FakeTime()).poll_once().created) == 2
    finally:
        close_app(first)

    stub.put("23", AN_HOUR_AGO + timedelta(minutes=2))
    stub.put("24", AN_HOUR_AGO - timedelta(days=2))  # older than the checkpoint: not searched
    second = hubspot_app(database_url, **poll_env(httpserver))
    try:
        result: PollResult = make_poll(second, FakeTime()).poll_once()
        assert result.created == [engagement("23")]
        checkpoint = stub.deals["22"].last_modified
        assert since_ms(stub.requests[-1]) == int((checkpoint - OVERLAP).timestamp() * 1000)
        with second.app_context():
            ledger: Ledger = app_ledger()
        assert closed_won_count(ledger) == 3
        assert read_checkpoint(ledger, PORTAL) == stub.deals["23"].last_modified
    finally:
        close_app(second)


def test_the_poll_worker_polls_in_the_background_and_stops(app, ledger, stub):
    stub.put("31", AN_HOUR_AGO)
    worker = app.extensions["hubspot"].poll_worker(first_delay=0)
    worker.start()
    try:
        for _ in range(300):  # bounded, not timed
            if ledger.exists(engagement("31")):
                break
            worker._stopping.wait(0.05)
        assert ledger.exists(engagement("31"))
    finally:
        worker.stop()
    assert not worker._thread.is_alive()
