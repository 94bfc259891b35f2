"""Deals that move back: a won deal moved out of closed-won is recorded (`DealReopened`)
and flagged on its engagement; moved back to won, the flag clears (`DealWonAgain`).
Signed webhook deliveries, on each event store; nothing is ever deleted."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from eventsourcing.utils import get_topic
from flask import Flask

from service.domain import Engagement, engagement_id_for_deal
from tests.support.api import activity
from tests.support.dates import days_ago
from tests.support.hubspot_webhooks import (
    PORTAL,
    close,
    closed_won,
    closed_won_count,
    deliver,
    engagement_ids,
    hubspot_app,
    log_size,
)
from tests.support.pages import signed_in_page

DEAL = "19283746501"
ENGAGEMENT = engagement_id_for_deal(PORTAL, DEAL)
WON_AT = 1732715551737  # closed_won()'s occurredAt
MINUTE = 60_000


def moved(stage: str, event_id: int, minutes_after_win: int, **overrides: Any) -> dict[str, Any]:
    """The deal's stage changed, `minutes_after_win` after it was won (HubSpot's occurredAt)."""
    return (
        closed_won(
            propertyValue=stage, eventId=event_id, occurredAt=WON_AT + minutes_after_win * MINUTE
        )
        | overrides
    )


@pytest.fixture
def app(database_url: str) -> Iterator[Flask]:
    app = hubspot_app(database_url)
    yield app
    close(app)


@pytest.fixture
def client(app: Flask):
    return app.test_client()


@pytest.fixture
def won(client) -> str:
    """The deal won: its engagement exists."""
    assert deliver(client, [closed_won()]).status_code == 204
    return str(ENGAGEMENT)


def stage_events(ledger, name: str) -> list[Any]:
    return [e for e in ledger.stream(ENGAGEMENT) if type(e).__name__ == name]


def shown(api) -> dict[str, Any]:
    response = api.get(f"/api/engagements/{ENGAGEMENT}")
    assert response.status_code == 200, response.json
    return response.json


def listed(api) -> dict[str, Any]:
    [item] = [e for e in api.get("/api/engagements").json["items"] if e["id"] == str(ENGAGEMENT)]
    return item


def test_a_won_deal_is_not_flagged(won, api):
    engagement = shown(api)
    assert engagement["deal_reopened"] is False
    assert engagement["hubspot"]["stage"] == "closedwon"
    assert listed(api)["deal_reopened"] is False


def test_a_deal_moved_to_lost_is_flagged_and_nothing_is_deleted(client, won, api, ledger):
    assert (
        api.post(
            "/api/team-members",
            {
                "handle": "ana",
                "name": "Ana",
                "fte": "0.5",
                "line_manager": "lee",
                "effective_date": days_ago(365),
            },
        ).status_code
        == 201
    )
    project = api.post(f"/api/engagements/{won}/projects", {"name": "Docs", "outcome": "o"}).json
    allocation = api.post(
        f"/api/projects/{project['id']}/allocations",
        {"start_date": days_ago(30), "end_date": days_ago(-30), "units": 10, "description": "h"},
    ).json
    recorded = api.post(f"/api/allocations/{allocation['id']}/activities", activity())
    assert recorded.status_code == 201, recorded.json
    before = shown(api)

    response = deliver(client, [moved("closedlost", 2, 10)])

    assert response.status_code == 204
    assert response.headers["X-Event-Position"] == str(log_size(ledger))
    [reopened] = stage_events(ledger, "DealReopened")
    assert (reopened.portal_id, reopened.deal_id, reopened.stage) == (PORTAL, DEAL, "closedlost")
    assert (reopened.webhook_event_id, reopened.actor) == (2, "hubspot")
    assert int(reopened.occurred_at.timestamp() * 1000) == WON_AT + 10 * MINUTE
    after = shown(api)
    assert after["deal_reopened"] is True and after["hubspot"]["stage"] == "closedlost"
    assert after["hubspot"]["stage_changed_at"].startswith("2024-11-27T14:02:31.737")
    assert listed(api)["deal_reopened"] is True
    assert (after["projects"], after["totals"], after["closed"]) == (
        before["projects"],
        before["totals"],
        False,
    )
    activities = api.get(f"/api/allocations/{allocation['id']}/activities").json
    assert [a["units"] for a in activities["items"]] == [3]


def test_a_duplicate_delivery_is_recorded_once(client, won, ledger):
    lost = moved("closedlost", 2, 10)
    assert deliver(client, [lost, lost]).status_code == 204
    size = log_size(ledger)
    assert deliver(client, [lost | {"attemptNumber": 1}]).status_code == 204
    assert deliver(client, [lost | {"eventId": 99}]).status_code == 204  # ids are not unique
    assert log_size(ledger) == size
    assert len(stage_events(ledger, "DealReopened")) == 1


def test_back_to_won_clears_the_flag_with_one_engagement(client, won, ledger, api):
    assert deliver(client, [moved("closedlost", 2, 10)]).status_code == 204
    assert deliver(client, [moved("closedwon", 3, 20)]).status_code == 204
    assert deliver(client, [moved("closedwon", 3, 20)]).status_code == 204
    [again] = stage_events(ledger, "DealWonAgain")
    assert (again.stage, again.webhook_event_id, again.actor) == ("closedwon", 3, "hubspot")
    engagement = shown(api)
    assert engagement["deal_reopened"] is False and engagement["hubspot"]["stage"] == "closedwon"
    assert closed_won_count(ledger) == 1
    assert engagement_ids(ledger) == [ENGAGEMENT]


def test_moves_among_stages_not_won_keep_the_stage_current(client, won, ledger, api):
    batch = [moved("closedlost", 2, 10), moved("qualified", 3, 20), moved("qualified", 4, 30)]
    assert deliver(client, batch).status_code == 204
    assert [e.stage for e in stage_events(ledger, "DealReopened")] == ["closedlost", "qualified"]
    assert shown(api)["hubspot"]["stage"] == "qualified"


def test_an_older_reopen_delivered_after_a_newer_win_does_not_flag(client, won, ledger, api):
    size = log_size(ledger)
    assert deliver(client, [moved("closedlost", 2, -5)]).status_code == 204  # before the win
    assert log_size(ledger) == size
    # lost at +10, won again at +20, lost at +30 then won at +40: the first loss and
    # the last win are delivered last, late
    batch = [moved("closedwon", 4, 20), moved("closedlost", 5, 30)]
    assert deliver(client, batch).status_code == 204
    assert deliver(client, [moved("closedwon", 6, 40)]).status_code == 204
    size = log_size(ledger)
    assert deliver(client, [moved("closedlost", 3, 10)]).status_code == 204
    assert log_size(ledger) == size
    assert [e.stage for e in stage_events(ledger, "DealReopened")] == ["closedlost"]
    assert shown(api)["deal_reopened"] is False


def test_a_won_redelivery_of_a_deal_never_reopened_records_nothing(client, won, ledger, api):
    """HubSpot says again that the deal is won, later: it never left closed-won here,
    so it is not "won again" (nor is a move to another won stage)."""
    size = log_size(ledger)
    later = [moved("closedwon", 2, 10), moved("closedwon", 3, 20) | {"attemptNumber": 1}]
    assert deliver(client, later).status_code == 204
    assert deliver(client, [moved("closedwon", 4, 30)]).status_code == 204
    assert log_size(ledger) == size
    assert stage_events(ledger, "DealWonAgain") == []
    engagement = shown(api)
    assert engagement["deal_reopened"] is False and engagement["hubspot"]["stage"] == "closedwon"
    # Reopened, it is won again once.
    batch = [moved("closedlost", 5, 40), moved("closedwon", 6, 50)]
    assert deliver(client, batch).status_code == 204
    assert [e.webhook_event_id for e in stage_events(ledger, "DealWonAgain")] == [6]


def test_a_batch_is_taken_in_the_order_its_changes_happened(client, ledger, api):
    """A win and the loss that followed, delivered in one batch loss first."""
    assert deliver(client, [moved("closedlost", 2, 10), closed_won()]).status_code == 204
    assert closed_won_count(ledger) == 1
    assert len(stage_events(ledger, "DealReopened")) == 1
    assert shown(api)["deal_reopened"] is True


def test_a_move_of_a_deal_without_engagement_records_nothing(client, ledger):
    size = log_size(ledger)
    response = deliver(client, [moved("closedlost", 2, 10, objectId=555)])
    assert response.status_code == 204
    assert "X-Event-Position" not in response.headers
    assert log_size(ledger) == size


def test_a_rebuilt_view_shows_the_same_flags(client, won, app, api):
    assert deliver(client, [moved("closedlost", 2, 10)]).status_code == 204
    assert deliver(client, [closed_won(deal_id=7, eventId=5)]).status_code == 204
    assert deliver(client, [moved("closedlost", 6, 1, objectId=7)]).status_code == 204
    assert deliver(client, [moved("closedwon", 7, 2, objectId=7)]).status_code == 204
    before = api.get("/api/engagements").json
    result = app.test_cli_runner().invoke(args=["projections", "rebuild", "balances"])
    assert result.exit_code == 0, result.output
    after = api.get("/api/engagements").json
    assert after == before
    assert [e["deal_reopened"] for e in after["items"]] == [True, False]


def test_the_replay_command_records_moves_back_too(app, won, ledger, tmp_path):
    saved = tmp_path / "delivery.json"
    saved.write_text(json.dumps([moved("closedlost", 2, 10)]))
    result = app.test_cli_runner().invoke(args=["hubspot", "replay", str(saved)])
    assert result.exit_code == 0, result.output
    assert f"engagement {ENGAGEMENT} DealReopened (stage closedlost)" in result.output
    again = app.test_cli_runner().invoke(args=["hubspot", "replay", str(saved)])
    assert f"engagement {ENGAGEMENT} already recorded" in again.output
    assert len(stage_events(ledger, "DealReopened")) == 1


def test_the_events_are_stored_by_their_contract_names():
    assert get_topic(Engagement.DealReopened).endswith(":Engagement.DealReopened")
    assert get_topic(Engagement.DealWonAgain).endswith(":Engagement.DealWonAgain")


def test_the_engagement_pages_tag_a_reopened_deal(client, won, app, make_token):
    page = signed_in_page(app, make_token("bd"))
    assert "deal moved out of closed-won" not in page.text(f"/engagements/{won}")
    assert deliver(client, [moved("closedlost", 2, 10)]).status_code == 204
    assert "deal moved out of closed-won in HubSpot (closedlost)" in page.text(
        f"/engagements/{won}"
    )
    assert "deal reopened" in page.text("/engagements")
