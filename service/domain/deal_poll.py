"""The reconciliation poll's checkpoint (integrations/hubspot/poll_checkpoint.py keeps
it): bookkeeping in the log, one stream per HubSpot portal, so that the audit log knows
its events as bookkeeping, as it does locators and tokens."""

from __future__ import annotations

from datetime import datetime
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

POLL_NAMESPACE = uuid5(NAMESPACE_URL, "https://app.hubspot.com/deals/search")


def checkpoint_id(portal_id: int) -> UUID:
    """The one checkpoint stream of a portal's poll."""
    return uuid5(POLL_NAMESPACE, str(portal_id))


class DealPollCheckpoint(Aggregate):
    """The latest deal change the poll of one portal has taken in."""

    class DealPollStarted(Aggregate.Created):
        """The first poll: it searches from `last_modified` (a day back, or `--since`)."""

        portal_id: int
        last_modified: datetime
        actor: str

    class DealPollAdvanced(Aggregate.Event):
        """Every won deal HubSpot changed up to `last_modified` is recorded; `deal_id`
        is the last one the poll read."""

        last_modified: datetime
        deal_id: str
        actor: str

        def apply(self, checkpoint: DealPollCheckpoint) -> None:
            checkpoint.last_modified = self.last_modified

    def __init__(self, portal_id: int, last_modified: datetime):
        self.portal_id = portal_id
        self.last_modified = last_modified

    @classmethod
    def start(cls, portal_id: int, last_modified: datetime) -> DealPollCheckpoint:
        return cls._create(
            cls.DealPollStarted,
            id=checkpoint_id(portal_id),
            portal_id=portal_id,
            last_modified=last_modified,
            actor="hubspot",
        )
