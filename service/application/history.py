"""Replaying history: an allocation as it stood at a past moment, one aggregate's
events, and the log a page at a time, whole or filtered. These are the only reads that
go to the event log; everything else reads the projections.

The filtered log (`log_search`): the store keeps the log indexed by position only (and
each stream by its id and version), so a filter by type, actor, time or stream is applied
here, over windows of positions read in order. One call reads at most `SCAN_LIMIT`
positions after `after`, `SCAN_WINDOW` at a time, and stops early once it holds `limit`
matches; it answers the last position it examined, from which the next call carries on.
A call may therefore answer fewer matches than `limit`, or none, before the end of the
log: only `at_end` says the end was reached. Type and bookkeeping are decided from the
stored topic, without decoding the event; only events that pass are decoded."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, CanMutateAggregate
from eventsourcing.persistence import Notification
from eventsourcing.utils import resolve_topic

from service.application.base import LedgerBase
from service.domain import Allocation, Engagement, Locator, NotFound, TeamMember
from service.domain.deal_poll import DealPollCheckpoint
from service.domain.period import PeriodCalendar
from service.domain.tokens import ApiToken

SCAN_WINDOW = 1000
SCAN_LIMIT = 10_000

RECORDS: tuple[type[Aggregate], ...] = (Engagement, Allocation, TeamMember, PeriodCalendar)
BOOKKEEPING: tuple[type[Aggregate], ...] = (Locator, ApiToken, DealPollCheckpoint)
"""Streams whose events are bookkeeping, not the ledger's record: locators (where an
activity or a project lives), tokens (issued, revoked, sign-in links) and the HubSpot
poll's checkpoint."""


def _event_types(aggregates: tuple[type[Aggregate], ...]) -> frozenset[str]:
    """The names of the aggregates' event classes, read from the domain's classes, so
    an event type added there is known here without a change."""
    return frozenset(
        name
        for aggregate in aggregates
        for name, value in vars(aggregate).items()
        if isinstance(value, type)
        and issubclass(value, CanMutateAggregate)
        and name not in ("Event", "Created")
    )


INTERNAL_EVENT_TYPES = _event_types(BOOKKEEPING)
EVENT_TYPES = _event_types(RECORDS) | INTERNAL_EVENT_TYPES


@cache
def _type_of(topic: str) -> str:
    """The event type (class name) a stored topic names; its last part when the class
    cannot be found (an event is never hidden for that)."""
    try:
        return resolve_topic(topic).__name__
    except Exception:  # noqa: BLE001 - any topic the code no longer knows
        return topic.rsplit(".", 1)[-1].rsplit(":", 1)[-1]


@dataclass(frozen=True)
class LogQuery:
    """Which events of the log to answer; every given filter must hold."""

    stream: UUID | None = None
    event_type: str | None = None
    actor: str | None = None
    """exactly the event's `actor`"""
    since: datetime | None = None
    """events stamped at or after this moment (timezone-aware)"""
    include_internal: bool = False
    """bookkeeping events too; naming one in `event_type` includes it as well"""

    def passes_topic(self, notification: Notification) -> bool:
        if self.stream is not None and notification.originator_id != self.stream:
            return False
        event_type = _type_of(notification.topic)
        if self.event_type is not None:
            return event_type == self.event_type
        return self.include_internal or event_type not in INTERNAL_EVENT_TYPES

    def passes(self, event: Any) -> bool:
        if self.actor is not None and getattr(event, "actor", None) != self.actor:
            return False
        return self.since is None or event.timestamp >= self.since


@dataclass
class LogSlice:
    events: list[tuple[int, Any]]
    """the matches, each with its position, in log order"""
    next_after: int
    """the last position examined: `after` for the next call"""
    at_end: bool
    """every position up to the log's end (when the call began) was examined"""


class History(LedgerBase):
    def allocation(self, allocation_id: UUID, as_of: datetime | None = None) -> Allocation:
        """The allocation now, or as it stood at `as_of`: its events stamped up to then.

        Imported history (service/application/imports/commands.py) is stamped with the moment it
        was first recorded, and may follow later events in the stream; so every event
        is looked at, in stream order, and those stamped after `as_of` are passed over
        (an event changes only what events stamped before it made, so the state stays
        whole). Before its grant's moment the allocation did not exist."""
        if as_of is None:
            return self.get(Allocation, allocation_id)
        allocation: Any = None
        for domain_event in self.events.get(allocation_id):
            if domain_event.timestamp > as_of:
                if allocation is None:
                    break
                continue
            if allocation is None:
                allocation = domain_event.mutate(None)
                continue
            domain_event.apply(allocation)
            allocation.version = domain_event.originator_version
            allocation.modified_on = max(allocation.modified_on, domain_event.timestamp)
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

    def log_search(self, wanted: LogQuery, after: int, limit: int) -> LogSlice:
        """Up to `limit` events after position `after` that `wanted` selects, reading at
        most SCAN_LIMIT positions (module docstring)."""
        head = self.recorder.max_notification_id() or 0
        cursor, stop_at = after, min(head, after + SCAN_LIMIT)
        found: list[tuple[int, Any]] = []
        while cursor < stop_at and len(found) < limit:
            window_end = min(stop_at, cursor + SCAN_WINDOW)
            notifications = self.recorder.select_notifications(
                start=cursor, limit=SCAN_WINDOW, stop=window_end, inclusive_of_start=False
            )
            for notification in notifications:
                if wanted.passes_topic(notification):
                    event = self.mapper.to_domain_event(notification)
                    if wanted.passes(event):
                        found.append((notification.id, event))
                        if len(found) == limit:
                            return LogSlice(found, notification.id, notification.id >= head)
            cursor = window_end
        return LogSlice(found, cursor, cursor >= head)
