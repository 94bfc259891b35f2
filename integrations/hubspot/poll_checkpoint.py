"""Where the reconciliation poll got to, kept in the event log.

The checkpoint is HubSpot's `hs_lastmodifieddate` of the latest won deal the poll has
recorded (or found recorded), one stream per portal. It lives in the log rather than in
memory or a file so that a restart, a second process or a new host carries on from the
same place: nothing is searched from scratch and nothing between two polls is skipped.
It only ever moves forward; when two processes poll at once, the one that loses the
write race reads the other's position and keeps the later of the two.

The stream grows by one event per poll that found a newer change (at most one per
HUBSPOT_POLL_MINUTES); a snapshot every `SNAPSHOT_EVERY` events keeps reading it cheap.
"""

from __future__ import annotations

from datetime import datetime

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from service.application import Ledger
from service.domain.deal_poll import DealPollCheckpoint, checkpoint_id

SNAPSHOT_EVERY = 100
WRITE_RETRIES = 5


def read_checkpoint(ledger: Ledger, portal_id: int) -> datetime | None:
    """Where the portal's poll got to; None before its first poll."""
    try:
        checkpoint = ledger.repository.get(checkpoint_id(portal_id))
    except AggregateNotFoundError:
        return None
    return checkpoint.last_modified


def start_checkpoint(ledger: Ledger, portal_id: int, last_modified: datetime) -> datetime:
    """Record where the first poll begins (so a restart before it finishes begins there
    too); when another process started it first, its position."""
    try:
        ledger.save(DealPollCheckpoint.start(portal_id, last_modified))
    except IntegrityError:
        pass
    found = read_checkpoint(ledger, portal_id)
    assert found is not None, "the checkpoint was just stored"
    return found


def advance_checkpoint(
    ledger: Ledger, portal_id: int, last_modified: datetime, deal_id: str
) -> bool:
    """Move the checkpoint to `last_modified` if that is later; whether it moved."""
    for _ in range(WRITE_RETRIES):
        checkpoint = ledger.repository.get(checkpoint_id(portal_id))
        if last_modified <= checkpoint.last_modified:
            return False
        checkpoint.trigger_event(
            DealPollCheckpoint.DealPollAdvanced,
            last_modified=last_modified,
            deal_id=deal_id,
            actor="hubspot",
        )
        try:
            ledger.save(checkpoint)
        except IntegrityError:
            continue  # another process advanced it: look again
        if checkpoint.version % SNAPSHOT_EVERY == 0:
            ledger.take_snapshot(checkpoint.id)
        return True
    return False
