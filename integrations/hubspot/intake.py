"""Closed-Won deal events into the ledger: the one path shared by the webhook and the
replay command."""

from __future__ import annotations

from integrations.hubspot.events import ClosedWon
from service.application import Ledger, Written
from service.domain import Engagement


def record_closed_won(ledger: Ledger, events: list[ClosedWon]) -> list[Written[Engagement]]:
    """Create each deal's engagement unless it exists. The engagement id is derived
    from portal and deal, so duplicates, retries and concurrent deliveries of one deal
    all end at the same engagement; the deal's name comes later, with its details."""
    return [
        ledger.record_closed_won_deal(
            portal_id=event.portal_id,
            deal_id=event.deal_id,
            name=f"HubSpot deal {event.deal_id}",
            amount=None,
            close_time=event.occurred_at,
            pipeline=None,
            stage=event.stage,
            webhook_event_id=event.event_id,
        )
        for event in events
    ]
