"""The deal's details, fetched after the webhook from a HubSpot API stub, on each store.

The stub (pytest-httpserver) answers in HubSpot's CRM v3 shapes. The follower runs
on a fake clock: each test steps it and jumps to the time it asks for, so retries
and backoff are checked without waiting and without timing assertions.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
from flask import Flask
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from integrations.hubspot.follower import DealFollower, build_follower
from integrations.hubspot.sync import default_allocation_id, default_project_id
from service.application import Ledger
from service.infra.config import HubSpotSettings
from service.web.http.runtime import ledger as app_ledger
from service.web.http.runtime import runtime as app_runtime
from tests.support.hubspot_deal_stub import (
    COMPANY,
    COMPANY_BODY,
    COMPANY_PATH,
    DEAL,
    DEAL_PATH,
    ENGAGEMENT,
    deal_body,
    serve_deal,
)
from tests.support.hubspot_follower import FakeClock, run_until_idle
from tests.support.hubspot_webhooks import close, closed_won, deliver, hubspot_app


@pytest.fixture
def hubspot(httpserver: HTTPServer) -> HubSpotSettings:
    return HubSpotSettings(
        client_secret="test-client-secret-0000",
        access_token="pat-test-token",
        api_base=f"http://{httpserver.host}:{httpserver.port}",
        timeout_seconds=5,
    )


@pytest.fixture
def app(database_url: str) -> Iterator[Flask]:
    app = hubspot_app(database_url)
    yield app
    close(app)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def follower(ledger: Ledger, hubspot: HubSpotSettings, clock: FakeClock) -> DealFollower:
    return build_follower(lambda: ledger, hubspot, clock=clock)


@pytest.fixture
def won(app: Flask) -> UUID:
    """A Closed-Won delivery, already answered."""
    assert deliver(app.test_client(), [closed_won()]).status_code == 204
    return ENGAGEMENT


def details_events(ledger: Ledger, engagement_id: UUID) -> list[Any]:
    return [
        e for e in ledger.stream(engagement_id) if type(e).__name__ == "EngagementDetailsUpdated"
    ]


def refusals(ledger: Ledger, engagement_id: UUID) -> list[Any]:
    return [e for e in ledger.stream(engagement_id) if type(e).__name__ == "HubSpotFieldRefused"]


def deal_requests(httpserver: HTTPServer) -> list[Request]:
    return [request for request, _ in httpserver.log if request.path == DEAL_PATH]


def test_the_details_the_project_and_its_allocation_follow_the_webhook(
    httpserver, ledger, follower, clock, won, api
):
    serve_deal(httpserver)
    run_until_idle(follower, clock)

    engagement = ledger.engagement(won)
    assert (engagement.name, engagement.community) == ("Open Data Week support", "Open Data NL")
    assert (engagement.start_date, engagement.end_date) == (date(2025, 1, 1), date(2025, 6, 30))
    assert engagement.deal_details["properties"]["amount"] == "12000"
    assert engagement.deal_details["company"] == {"id": COMPANY, "name": "Open Data NL"}
    [updated] = details_events(ledger, won)
    assert updated.actor == "hubspot"

    allocation = ledger.allocation(default_allocation_id(won))
    assert (allocation.project_id, allocation.units) == (default_project_id(won), 40)
    assert (allocation.start_date, allocation.end_date) == (date(2025, 1, 1), date(2025, 6, 30))
    shown = api.get(f"/api/engagements/{won}").json
    assert shown["hubspot"]["details"]["id"] == DEAL
    assert shown["totals"]["units_granted"] == 40

    [request] = deal_requests(httpserver)
    assert request.headers["Authorization"] == "Bearer pat-test-token"
    assert request.args.getlist("associations") == ["companies"]
    assert {"dealname", "contract_start_date", "contract_end_date", "contract_hours"} <= set(
        request.args.getlist("properties")
    )


def test_a_deal_without_hours_or_dates_gets_its_details_and_no_allocation(
    httpserver, ledger, follower, clock, won
):
    serve_deal(httpserver, deal_body(contract_hours=None, contract_end_date=None))
    run_until_idle(follower, clock)
    engagement = ledger.engagement(won)
    assert engagement.name == "Open Data Week support"
    assert (engagement.start_date, engagement.end_date, engagement.projects) == (None, None, {})


def test_the_contract_properties_are_configurable(httpserver, ledger, hubspot, clock, won):
    renamed = dataclasses.replace(
        hubspot, start_property="ces_from", end_property="ces_to", hours_property="ces_hours"
    )
    serve_deal(
        httpserver,
        deal_body(ces_from="1735689600000", ces_to="2025-03-31T00:00:00Z", ces_hours="7.5"),
    )
    run_until_idle(build_follower(lambda: ledger, renamed, clock=clock), clock)
    allocation = ledger.allocation(default_allocation_id(won))
    assert (allocation.start_date, allocation.end_date, allocation.units) == (
        date(2025, 1, 1),
        date(2025, 3, 31),
        8,
    )


def test_500s_and_429s_then_recovery_end_with_the_details_recorded_once(
    httpserver, ledger, follower, clock, won
):
    for _ in range(2):
        httpserver.expect_oneshot_request(DEAL_PATH).respond_with_json(
            {"status": "error"}, status=500
        )
    httpserver.expect_oneshot_request(DEAL_PATH).respond_with_json(
        {"status": "error", "category": "RATE_LIMITS"}, status=429, headers={"Retry-After": "30"}
    )
    httpserver.expect_oneshot_request(DEAL_PATH).respond_with_json({"status": "error"}, status=503)
    serve_deal(httpserver)

    delays = run_until_idle(follower, clock)

    assert delays == [2.0, 4.0, 30.0, 16.0]  # backoff doubles; the 429's Retry-After is honoured
    assert len(deal_requests(httpserver)) == 5
    assert len(details_events(ledger, won)) == 1
    assert ledger.engagement(won).community == "Open Data NL"


def test_a_rate_limit_pauses_every_deal_not_only_the_one_that_hit_it(
    httpserver, ledger, follower, clock, app
):
    assert (
        deliver(app.test_client(), [closed_won(deal_id=1), closed_won(deal_id=2)]).status_code
        == 204
    )
    httpserver.expect_oneshot_request("/crm/v3/objects/deals/1").respond_with_json(
        {}, status=429, headers={"Retry-After": "10"}
    )
    assert follower.step() == 10.0
    assert [r.path for r, _ in httpserver.log] == ["/crm/v3/objects/deals/1"]


def test_a_timeout_counts_as_hubspot_being_unavailable(httpserver, ledger, hubspot, clock, won):
    release = threading.Event()

    def slow(request: Request) -> Response:
        release.wait(10)
        return Response("{}", status=504)

    httpserver.expect_oneshot_request(DEAL_PATH).respond_with_handler(slow)
    impatient = build_follower(
        lambda: ledger, dataclasses.replace(hubspot, timeout_seconds=0.2), clock=clock
    )
    try:
        assert impatient.step() == 2.0
    finally:
        release.set()
    assert details_events(ledger, won) == []


def test_a_refused_fetch_is_retried_only_after_the_longest_backoff(
    httpserver, ledger, follower, clock, won
):
    httpserver.expect_request(DEAL_PATH).respond_with_json(
        {"status": "error", "message": "not found"}, status=404
    )
    assert follower.step() == 900.0
    assert details_events(ledger, won) == []


def test_a_restart_between_webhook_and_fetch_still_records_the_details(
    database_url, httpserver, hubspot
):
    first = hubspot_app(database_url)
    httpserver.expect_request(DEAL_PATH).respond_with_json({"status": "unavailable"}, status=503)
    try:
        assert deliver(first.test_client(), [closed_won()]).status_code == 204
        with first.app_context():
            first_ledger = app_ledger()
        down = build_follower(lambda: first_ledger, hubspot, clock=FakeClock())
        assert down.step() == 2.0
    finally:
        close(first)

    httpserver.clear()
    serve_deal(httpserver)
    second = hubspot_app(database_url)
    try:
        with second.app_context():
            second_ledger = app_ledger()
        clock = FakeClock()
        run_until_idle(build_follower(lambda: second_ledger, hubspot, clock=clock), clock)
        assert len(details_events(second_ledger, ENGAGEMENT)) == 1
    finally:
        close(second)


def test_followers_in_two_processes_record_the_details_once(
    httpserver, ledger, hubspot, clock, won
):
    serve_deal(httpserver)
    one = build_follower(lambda: ledger, hubspot, clock=clock)
    other = build_follower(lambda: ledger, hubspot, clock=clock)
    run_until_idle(one, clock)
    run_until_idle(other, clock)
    assert len(details_events(ledger, won)) == 1
    assert ledger.record_deal_details(won, changes={"deal": {"id": "again"}}).replayed


def test_the_engagement_url_is_written_back_when_configured(
    httpserver, ledger, hubspot, clock, won
):
    writing = dataclasses.replace(
        hubspot,
        engagement_url="https://ces.example.org/engagements/{id}",
        url_property="ces_engagement_url",
    )
    serve_deal(httpserver)
    httpserver.expect_request(DEAL_PATH, method="PATCH").respond_with_json(deal_body())
    run_until_idle(build_follower(lambda: ledger, writing, clock=clock), clock)
    [patch] = [r for r, _ in httpserver.log if r.method == "PATCH"]
    assert patch.get_json() == {
        "properties": {"ces_engagement_url": f"https://ces.example.org/engagements/{won}"}
    }
    assert len(details_events(ledger, won)) == 1


def test_the_app_factory_starts_a_follower_when_an_access_token_is_set(
    database_url, httpserver, hubspot
):
    serve_deal(httpserver)
    app = hubspot_app(
        database_url, HUBSPOT_ACCESS_TOKEN="pat-test-token", HUBSPOT_API_BASE=hubspot.api_base
    )
    try:
        assert app.extensions["hubspot"].follower is not None
        assert deliver(app.test_client(), [closed_won()]).status_code == 204
        with app.app_context():
            ledger = app_ledger()
        recorded = threading.Event()
        for _ in range(300):  # the follower is woken by the webhook; bounded, not timed
            if ledger.engagement(ENGAGEMENT).deal_details:
                recorded.set()
                break
            recorded.wait(0.1)
        assert recorded.is_set(), "the follower did not record the details"
    finally:
        close(app)


# The deal's amount and currency on the engagement: exact (a decimal string, never a
# float), null when the deal has none, null with a warning when HubSpot's is no number.


def hubspot_shown(api) -> tuple[dict, dict]:
    """The engagement's `hubspot` as GET /api/engagements/{id} and the list show it."""
    one = api.get(f"/api/engagements/{ENGAGEMENT}").json["hubspot"]
    [listed] = [e["hubspot"] for e in api.get("/api/engagements").json["items"]]
    return one, listed


def test_amount_and_currency_of_the_deal_are_on_the_engagement(
    httpserver, ledger, follower, clock, won, api
):
    serve_deal(httpserver, deal_body(amount="12500.50", deal_currency_code="EUR"))
    run_until_idle(follower, clock)

    one, listed = hubspot_shown(api)
    assert (one["amount"], one["currency"]) == ("12500.50", "EUR")
    assert (listed["amount"], listed["currency"]) == ("12500.50", "EUR")
    [updated] = details_events(ledger, won)
    assert updated.changes["amount"] == Decimal("12500.50")
    assert isinstance(updated.changes["amount"], Decimal)
    engagement = ledger.engagement(won)
    assert (engagement.amount, engagement.currency) == (Decimal("12500.50"), "EUR")
    audited = api.get(f"/api/audit/streams/{won}").json["events"]
    assert audited[-1]["fields"]["changes"]["amount"] == "12500.50"
    [request] = deal_requests(httpserver)
    assert {"amount", "deal_currency_code"} <= set(request.args.getlist("properties"))


def test_a_deal_without_amount_gives_null(httpserver, ledger, follower, clock, won, api):
    serve_deal(httpserver, deal_body(amount=None, deal_currency_code=None))
    run_until_idle(follower, clock)
    one, _ = hubspot_shown(api)
    assert (one["amount"], one["currency"]) == (None, None)
    assert one["details"]["id"] == DEAL  # the details are recorded all the same


@pytest.mark.parametrize("amount", ["12.500,50 EUR", "NaN", "Infinity", "1e400", "twelve"])
def test_a_malformed_amount_is_recorded_as_null_with_a_warning(
    httpserver, ledger, follower, clock, won, api, caplog, amount
):
    serve_deal(httpserver, deal_body(amount=amount, deal_currency_code="euro"))
    with caplog.at_level(logging.WARNING, logger="integrations.hubspot.sync"):
        assert run_until_idle(follower, clock) == []  # done in one pass: no retry, no crash
    one, _ = hubspot_shown(api)
    assert (one["amount"], one["currency"]) == (None, None)
    assert one["details"]["properties"]["amount"] is None  # missing, as refused
    assert ledger.engagement(won).name == "Open Data Week support"
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("properties.amount" in m and DEAL in m for m in warnings), warnings
    assert any("properties.deal_currency_code" in m for m in warnings), warnings
    assert {e.field for e in refusals(ledger, won)} == {
        "properties.amount",
        "properties.deal_currency_code",
    }


def test_an_amount_in_exponent_form_is_kept_exact_and_plain(
    httpserver, ledger, follower, clock, won, api
):
    serve_deal(httpserver, deal_body(amount="1.25E4", deal_currency_code="usd"))
    run_until_idle(follower, clock)
    one, _ = hubspot_shown(api)
    assert (one["amount"], one["currency"]) == ("12500", "USD")


# What anyone who may edit the deal in the portal can put in it (issue 18): each field
# the input policy refuses is recorded as missing, with a HubSpotFieldRefused naming it,
# and every view takes the details.

MILLION = "x" * 1_000_000
HOSTILE = {
    "NUL in the name": ("dealname", "Open\u0000Data"),
    "ESC in the name": ("dealname", "\u001b[31mred"),
    "BEL in the name": ("dealname", "ring\u0007"),
    "DEL in the name": ("dealname", "rub\u007fout"),
    "C1 in the name": ("dealname", "a\u0085b\u009b"),
    "a lone surrogate in the name": ("dealname", "x\ud800y"),
    "a name of a million characters": ("dealname", MILLION),
    "hours of 1e30": ("contract_hours", "1e30"),
    "hours of NaN": ("contract_hours", "NaN"),
    "hours of 1e999999999": ("contract_hours", "1e999999999"),
    "a start in year 1": ("contract_start_date", "0001-01-01"),
    "an end in year 9999": ("contract_end_date", "9999-12-31"),
    "an end of epoch milliseconds in year 9999": ("contract_end_date", "253402214400000"),
    "a start that is no date": ("contract_start_date", "soon\u0000"),
    "an amount of a billion decimals": ("amount", "1E-999999999"),
}


def caught_up(api) -> None:
    """Every read the balances view serves answers, at the head of the log."""
    head = str(api.log_size())
    for path, query in (
        ("/api/engagements", {}),
        (f"/api/engagements/{ENGAGEMENT}", {}),
        ("/api/allocations", {}),
        ("/api/reports/monthly", {"month": "2025-01"}),
    ):
        response = api.get(path, min_position=head, **query)
        assert response.status_code == 200, (path, response.get_json())


@pytest.mark.parametrize("case", HOSTILE)
def test_a_hostile_deal_field_is_recorded_as_missing_with_a_refusal(
    httpserver, ledger, follower, clock, won, api, app, case
):
    name, value = HOSTILE[case]
    serve_deal(httpserver, deal_body(**{name: value}))
    assert run_until_idle(follower, clock) == []  # one pass: no retry, no crash loop

    [refused] = refusals(ledger, won)
    assert (refused.field, refused.actor) == (f"properties.{name}", "hubspot")
    assert value not in refused.reason and MILLION[:300] not in refused.reason
    engagement = ledger.engagement(won)
    assert engagement.deal_details["properties"][name] is None
    if name == "dealname":
        assert engagement.name == f"HubSpot deal {DEAL}"
    else:
        assert engagement.name == "Open Data Week support"
    if name.startswith("contract_"):
        assert engagement.projects == {}  # no contract to grant
    caught_up(api)
    with app.app_context():
        assert app_runtime().projections().failures() == {}
    audited = api.get("/api/audit/events", event_type="HubSpotFieldRefused").json["items"]
    assert [e["fields"]["field"] for e in audited] == [f"properties.{name}"]


def test_a_hostile_company_and_a_mismatched_deal_id_are_refused_too(
    httpserver, ledger, follower, clock, won, api, app
):
    body = deal_body()
    body["id"] = "12\u000034"
    httpserver.expect_request(DEAL_PATH, method="GET").respond_with_json(body)
    hostile_company = {**COMPANY_BODY, "properties": {"name": "Open\u0000Data\u009b"}}
    httpserver.expect_request(COMPANY_PATH, method="GET").respond_with_json(hostile_company)
    assert run_until_idle(follower, clock) == []

    assert {(e.field, e.reason.split()[0]) for e in refusals(ledger, won)} == {
        ("id", "is"),
        ("company.name", "contains"),
    }
    engagement = ledger.engagement(won)
    assert engagement.deal_details["id"] == DEAL
    assert engagement.deal_details["company"] == {"id": COMPANY, "name": None}
    assert engagement.community == ""
    assert ledger.allocation(default_allocation_id(won)).units == 40  # the rest is taken
    caught_up(api)
