"""Replaying history: an allocation as it stood at a past moment, one aggregate's
events, and the log a page at a time. These are the only reads that go to the event
log; everything else reads the projections."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Notification

from service.application.base import LedgerBase
from service.domain import Allocation, NotFound


class History(LedgerBase):
    def allocation(self, allocation_id: UUID, as_of: datetime | None = None) -> Allocation:
        """The allocation now, or as it stood at `as_of` (its events up to then)."""
        if as_of is None:
            return self.get(Allocation, allocation_id)
        allocation: Any = None
        for domain_event in self.events.get(allocation_id):
            if domain_event.timestamp > as_of:
                break
            allocation = domain_event.mutate(allocation)
        if not isinstance(allocation, Allocation):
            raise NotFound(f"allocation {allocation_id} did not exist at {as_of.isoformat()}")
        return allocation

    def stream(self, originator_id: UUID) -> list[Any]:
        events = list(self.events.get(originator_id))
        if not events:
            raise NotFound(f"no stream {originator_id}")
        return events

    def log_page(self, after: int, limit: int) -> tuple[list[tuple[int, Any]], int]:
        """Up to `limit` events after position `after`, each with its position; and
        the log's last position."""
        notifications: list[Notification] = self.recorder.select_notifications(
            start=after, limit=limit, inclusive_of_start=False
        )
        events = [(n.id, self.mapper.to_domain_event(n)) for n in notifications]
        return events, self.recorder.max_notification_id() or 0
