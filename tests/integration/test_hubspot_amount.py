"""The deal's amount and currency, fetched from a HubSpot API stub after the webhook,
on the engagement: exact (a decimal string, never a float), null when the deal has
none, and null with a warning when HubSpot's value is not a number."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from decimal import Decimal
from uuid import UUID

import pytest
from flask import Flask

from integrations.hubspot.follower import DealFollower, build_follower
from service.application import Ledger
from service.infra.config import HubSpotSettings
from tests.integration.test_hubspot_fetch import (
    DEAL,
    ENGAGEMENT,
    FakeClock,
    deal_body,
    deal_requests,
    details_events,
    run_until_idle,
    serve_deal,
)
from tests.integration.test_hubspot_webhook import close, closed_won, deliver, hubspot_app


@pytest.fixture
def hubspot(httpserver) -> HubSpotSettings:
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
    assert deliver(app.test_client(), [closed_won()]).status_code == 204
    return ENGAGEMENT


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
    with caplog.at_level(logging.WARNING, logger="integrations.hubspot.deal"):
        assert run_until_idle(follower, clock) == []  # done in one pass: no retry, no crash
    one, _ = hubspot_shown(api)
    assert (one["amount"], one["currency"]) == (None, None)
    assert one["details"]["properties"]["amount"] == amount  # the raw fact is kept
    assert ledger.engagement(won).name == "Open Data Week support"
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("amount" in m and DEAL in m for m in warnings), warnings
    assert any("currency" in m for m in warnings), warnings


def test_an_amount_in_exponent_form_is_kept_exact_and_plain(
    httpserver, ledger, follower, clock, won, api
):
    serve_deal(httpserver, deal_body(amount="1.25E4", deal_currency_code="usd"))
    run_until_idle(follower, clock)
    one, _ = hubspot_shown(api)
    assert (one["amount"], one["currency"]) == ("12500", "USD")
