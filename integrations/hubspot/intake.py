"""Deal stage changes into the ledger: the one path shared by the webhook and the
replay command.

A move to a closed-won stage creates the deal's engagement unless it exists. Any
later move of a deal whose engagement exists is recorded on it when it happened after
the latest one recorded (HubSpot's `occurredAt`): out of closed-won as `DealReopened`,
back into it as `DealWonAgain`. A move of a deal without an engagement records nothing.
A batch is taken in the order its changes happened, so a win and the move that
followed it, delivered together in any order, end with the engagement flagged.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

from integrations.hubspot.events import StageChange
from service.application import Ledger, Written
from service.domain import Engagement


@dataclass(frozen=True)
class Outcome:
    """What one stage change did: `recorded` names the event written (None: nothing
    new, a duplicate, an older change, or a deal without engagement)."""

    change: StageChange
    engagement_id: UUID | None
    recorded: str | None
    position: int | None

    @property
    def created(self) -> bool:
        return self.recorded == "DealClosedWon"


def record_closed_won(ledger: Ledger, events: list[StageChange]) -> list[Written[Engagement]]:
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


def record_stage_changes(ledger: Ledger, changes: list[StageChange]) -> list[Outcome]:
    """Record a batch's stage changes in the order they happened. A change without
    `occurredAt` (HubSpot always sends it) is taken as happening when received."""
    received = datetime.now(UTC)
    ordered = sorted(changes, key=lambda change: change.occurred_at or received)
    return [_record(ledger, change, change.occurred_at or received) for change in ordered]


def _record(ledger: Ledger, change: StageChange, occurred_at: datetime) -> Outcome:
    if change.won:
        [created] = record_closed_won(ledger, [change])
        if not created.replayed:
            return Outcome(change, created.value.id, "DealClosedWon", created.position)
    written = ledger.record_deal_stage(
        portal_id=change.portal_id,
        deal_id=change.deal_id,
        stage=change.stage,
        won=change.won,
        occurred_at=occurred_at,
        webhook_event_id=change.event_id,
    )
    if written is None:
        return Outcome(change, None, None, None)
    recorded = None
    if not written.replayed:
        recorded = "DealWonAgain" if change.won else "DealReopened"
    return Outcome(change, written.value.id, recorded, written.position)
