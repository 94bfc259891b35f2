"""Replaying history: an allocation as it stood at a past moment, one aggregate's
events, one activity's events (across the allocations it was moved between), and the
log a slice at a time, whole or filtered. These are the only reads that go to the event
log; everything else reads the projections.

The log search (`log_search`, forwards or backwards), which the API's
`GET /api/audit/events` and the audit page both use: the store keeps the log indexed by
position only (and each stream by its id and version), so a filter by type, actor, time
or stream is applied here, over windows of positions read in order. One call reads at
most a budget of positions (`SCAN_LIMIT` unless the caller gives its own), `SCAN_WINDOW`
at a time, and stops early once it holds `limit` matches; it answers the last position
it examined, from which the next call carries on. A call may therefore answer fewer
matches than `limit`, or none, before the end of the log: only `at_end` says the end
was reached. Paging by position, never by offset, means rows cannot shift between
pages while the log grows; positions may have gaps (an insert the store refused leaves
one), which only make a window hold fewer events. Type and bookkeeping are decided from
the stored topic, without decoding the event; only events that pass are decoded."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Notification

from service.application.base import LedgerBase
from service.application.event_catalogue import INTERNAL_EVENT_TYPES, type_of
from service.domain import Allocation, NotFound

SCAN_WINDOW = 1000
SCAN_LIMIT = 10_000


@dataclass(frozen=True)
class LogQuery:
    """Which events of the log to answer; every given filter must hold."""

    stream: UUID | None = None
    event_type: str | None = None
    actor: str | None = None
    """exactly the event's `actor` (the API's filter)"""
    actor_part: str | None = None
    """any part of the event's `actor`, in any case (the audit page's filter)"""
    since: datetime | None = None
    """events stamped at or after this moment (timezone-aware)"""
    until: datetime | None = None
    """events stamped before this moment (timezone-aware)"""
    include_internal: bool = False
    """bookkeeping events too; naming one in `event_type` includes it as well"""

    @property
    def narrows(self) -> bool:
        """Some events may fail it: without a filter every position is a match, and a
        window of `limit` positions makes a full slice."""
        given = (self.stream, self.event_type, self.actor, self.actor_part, self.since, self.until)
        return not self.include_internal or any(value is not None for value in given)

    def passes_topic(self, notification: Notification) -> bool:
        if self.stream is not None and notification.originator_id != self.stream:
            return False
        event_type = type_of(notification.topic)
        if self.event_type is not None:
            return event_type == self.event_type
        return self.include_internal or event_type not in INTERNAL_EVENT_TYPES

    def passes(self, event: Any) -> bool:
        actor = getattr(event, "actor", None)
        if self.actor is not None and actor != self.actor:
            return False
        if self.actor_part is not None and (
            self.actor_part.casefold() not in str(actor or "").casefold()
        ):
            return False
        if self.since is not None and event.timestamp < self.since:
            return False
        return self.until is None or event.timestamp < self.until


@dataclass
class LogSlice:
    events: list[tuple[int, Any]] = field(default_factory=list)
    """the matches, each with its position, in the order read (backwards: newest first)"""
    reached: int = 0
    """the last position examined, in the direction read: `after` (forwards) or
    `before` (backwards) for the next call"""
    at_end: bool = False
    """every position to the end was examined: up to the log's head when the call
    began (forwards), down to the first position (backwards)"""
    scanned: int = 0
    """events read"""


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

    def activity_history(self, activity_id: UUID) -> list[Any]:
        """The events of one activity, oldest first, from each allocation it has lived
        in (its locator remembers every move): recorded, each correction, a retraction,
        and each move once (as its allocation left it). Streams are kept in order each,
        not with one another, so the events are put in the order they were stamped."""
        locator = self.located(activity_id, "activity")
        homes = {locator.owner_id}
        for move in locator.moves.values():
            homes |= {move["from"], move["to"]}
        events = [
            event
            for home in homes
            for event in self.stream(home)
            if getattr(event, "activity_id", None) == activity_id
            and getattr(event, "to_allocation_id", None) != home
        ]
        return sorted(events, key=lambda event: event.timestamp)

    def log_head(self) -> int:
        """The log's last position (0: empty)."""
        return self.recorder.max_notification_id() or 0

    def log_search(
        self,
        wanted: LogQuery,
        limit: int,
        *,
        after: int = 0,
        before: int | None = None,
        budget: int | None = None,
        window: int | None = None,
    ) -> LogSlice:
        """Up to `limit` events that `wanted` selects after position `after`, oldest
        first; or, given `before`, before that position, newest first. At most `budget`
        positions are read (module docstring)."""
        budget = SCAN_LIMIT if budget is None else budget
        if before is not None:
            return self._scan(wanted, limit, window, -1, before, max(1, before - budget), 1)
        head = self.log_head()
        return self._scan(wanted, limit, window, +1, after, min(head, after + budget), head)

    def _scan(
        self,
        wanted: LogQuery,
        limit: int,
        window: int | None,
        step: int,
        start: int,
        stop_at: int,
        end: int,
    ) -> LogSlice:
        """The matches from `start` (not included) to `stop_at` (included), forwards
        (`step` +1) or backwards (-1); `end` is the log's last position that way.
        Without a filter a window of what is missing of `limit` is enough."""
        found, cursor = LogSlice(), start
        while (stop_at - cursor) * step > 0 and len(found.events) < limit:
            size = (window or SCAN_WINDOW) if wanted.narrows else limit - len(found.events)
            last = cursor + step * min(size, (stop_at - cursor) * step)
            low, high = sorted((cursor + step, last))
            notifications = self.recorder.select_notifications(
                start=low, limit=high - low + 1, stop=high
            )
            for notification in notifications if step > 0 else reversed(notifications):
                found.scanned += 1
                if not wanted.passes_topic(notification):
                    continue
                event = self.mapper.to_domain_event(notification)
                if wanted.passes(event):
                    found.events.append((notification.id, event))
                    if len(found.events) == limit:
                        found.reached = notification.id
                        found.at_end = (end - notification.id) * step <= 0
                        return found
            cursor = last
        found.reached = cursor
        found.at_end = (end - cursor) * step <= 0
        return found
