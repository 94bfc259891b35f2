"""HubSpot's webhook deliveries as the tests send them: a Closed-Won event in HubSpot's
shape, signed with hubspot-api-client's own `Signature.get_signature` (v3) as HubSpot
signs them; an app with the client secret, and what its log holds afterwards."""

from __future__ import annotations

import json
import time
from typing import Any

from eventsourcing.utils import get_topic
from flask import Flask
from hubspot.utils.signature import Signature

from integrations.hubspot.follower import DEAL_CLOSED_WON
from service.application import Ledger
from service.bootstrap import create_app
from service.domain import Engagement
from service.infra.config import Settings
from tests.support.apps import close_app

SECRET = "test-client-secret-0000"
PORTAL = 145106154
CALLED_URL = "http://localhost/webhooks/hubspot"


def closed_won(deal_id: int = 19283746501, **overrides: Any) -> dict[str, Any]:
    """A classic deal.propertyChange event, as HubSpot's Webhooks API sends it."""
    event = {
        "eventId": 3816279340,
        "subscriptionId": 2963051,
        "portalId": PORTAL,
        "appId": 4708013,
        "occurredAt": 1732715551737,
        "subscriptionType": "deal.propertyChange",
        "attemptNumber": 0,
        "objectId": deal_id,
        "changeSource": "CRM_UI",
        "propertyName": "dealstage",
        "propertyValue": "closedwon",
    }
    event.update(overrides)
    return event


def now_ms(offset_seconds: float = 0) -> int:
    return int((time.time() + offset_seconds) * 1000)


def signed(
    body: bytes, *, uri: str = CALLED_URL, timestamp: int | None = None, secret: str = SECRET
) -> dict[str, str]:
    stamp = str(now_ms() if timestamp is None else timestamp)
    signature = Signature.get_signature(
        secret, body.decode(), "v3", http_uri=uri, http_method="POST", timestamp=stamp
    )
    return {"X-HubSpot-Signature-v3": signature, "X-HubSpot-Request-Timestamp": stamp}


def deliver(client, events: Any, **signing: Any):
    body = json.dumps(events).encode()
    return client.post(
        "/webhooks/hubspot",
        data=body,
        content_type="application/json",
        headers=signed(body, **signing),
    )


def hubspot_app(database_url: str, **env: str) -> Flask:
    return create_app(
        Settings.from_environment(
            {"DATABASE_URL": database_url, "HUBSPOT_CLIENT_SECRET": SECRET, **env}
        )
    )


def close(app: Flask) -> None:
    follower = app.extensions["hubspot"].follower
    if follower is not None:
        follower.stop()
    close_app(app)


def log_size(ledger: Ledger) -> int:
    return ledger.recorder.max_notification_id() or 0


def closed_won_count(ledger: Ledger) -> int:
    return len(ledger.recorder.select_notifications(start=1, limit=1000, topics=[DEAL_CLOSED_WON]))


def engagement_ids(ledger: Ledger) -> list:
    """Every engagement in the log, however it was opened."""
    topics = [DEAL_CLOSED_WON, get_topic(Engagement.EngagementOpened)]
    notifications = ledger.recorder.select_notifications(start=1, limit=1000, topics=topics)
    return [n.originator_id for n in notifications]
