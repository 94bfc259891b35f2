"""The ledger's footing on the `eventsourcing` library: the event store, typed loading
of aggregates (and of what more than one group of commands looks up: an engagement by
its project, an allocation by its activity, the months closed now), the one atomic
save, and the log position of a stored event. Every group of commands builds on it
directly, and service/application/ledger.py puts the groups together."""

from __future__ import annotations

from collections.abc import Collection
from copy import deepcopy
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application, project_aggregate
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import JSONTranscoder

from service.application.clock import Clock
from service.application.closed_months import ClosedMonths
from service.application.commands import Written
from service.domain import (
    Allocation,
    Engagement,
    Locator,
    NotFound,
    RuleViolation,
    TeamMember,
    team_member_id,
)
from service.domain.period import CALENDAR_ID
from service.infra.metrics import EVENTS_APPENDED
from service.infra.store import events_after, position_of
from service.infra.transcodings import TRANSCODINGS

A = TypeVar("A", bound=Aggregate)
T = TypeVar("T")


class LedgerBase(Application[UUID]):
    name = "ledger"
    snapshotting_intervals = {Allocation: 100}  # noqa: RUF012 - library's own class attribute

    def __init__(self, env: dict[str, str] | None = None, clock: Clock | None = None):
        super().__init__(env)
        self.clock = clock or Clock()
        # Members are never removed, so once seen they need not be looked up again.
        self._known_members: set[str] = set()
        self._closed_months = ClosedMonths()
        # An allocation's engagement is fixed when it is made: once seen, known for good.
        self.allocation_engagements: dict[UUID, UUID] = {}

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        for transcoding in TRANSCODINGS:
            transcoder.register(transcoding)

    def get(self, cls: type[A], originator_id: UUID) -> A:
        """The aggregate, or NotFound naming what was asked for."""
        try:
            aggregate = self.repository.get(originator_id)
        except AggregateNotFoundError:
            raise NotFound(f"no {_label(cls)} {originator_id}") from None
        if not isinstance(aggregate, cls):
            raise NotFound(f"no {_label(cls)} {originator_id}")
        return aggregate

    def get_together(self, ids: Collection[UUID]) -> tuple[dict[UUID, Aggregate], frozenset[str]]:
        """The aggregates of `ids` that exist, each as `get` gives it, and the months
        closed now, as `closed_months` gives them; the cached copies and the closed
        months brought up to date in one read of the log (events_after) instead of one
        read each. A recording reads its allocation and checks its engagement, its
        member and the closed months: four round trips folded into one. Safe across
        processes as `get` is: nothing cached is trusted without that read. Those not
        cached are loaded as `get` loads them (and cached by it)."""
        cache = self.repository.cache  # None on the in-memory store of unit tests
        cached: dict[UUID, Aggregate] = {}
        for originator_id in ids if cache is not None else ():
            try:
                cached[originator_id] = self._cached_copy(originator_id)
            except KeyError:
                pass
        versions = {i: aggregate.version for i, aggregate in cached.items()}
        new = events_after(self.recorder, {**versions, CALENDAR_ID: self._closed_months.version})
        closed = self._closed_months.merge(
            [self.mapper.to_domain_event(e) for e in new.pop(CALENDAR_ID)]
        )
        found: dict[UUID, Aggregate] = {}
        for originator_id in ids:
            if originator_id not in cached:
                try:
                    found[originator_id] = self.repository.get(originator_id)
                except AggregateNotFoundError:
                    pass
                continue
            # Brought up to date on our copy; a copy of it then replaces the cached one
            # (a race only puts back an older copy, which the next read brings up to date).
            aggregate = cached[originator_id]
            if new[originator_id]:
                events = [self.mapper.to_domain_event(e) for e in new[originator_id]]
                aggregate = project_aggregate(aggregate, events)
                self.repository.cache.put(originator_id, deepcopy(aggregate))
            found[originator_id] = aggregate
        return found, closed

    def _cached_copy(self, originator_id: UUID) -> Aggregate:
        """A copy of the cached aggregate (KeyError if none), taken under the lock the
        library's `Repository.get` holds while it brings that cached object up to date
        in place: without it, another thread's `get` could move the object on between
        reading its version and copying it (and the events read after that version
        would then not follow on: OriginatorVersionError), or mid-copy."""
        repository = self.repository
        lock = repository._use_fastforward_lock(originator_id)
        try:
            with lock:
                return deepcopy(repository.cache.get(originator_id))
        finally:
            repository._disuse_fastforward_lock(originator_id)

    def exists(self, originator_id: UUID) -> bool:
        return bool(self.recorder.select_events(originator_id, limit=1))

    def save_all(self, *aggregates: Aggregate, value: T) -> Written[T]:
        """Save in one atomic write. The aggregate the request addressed comes last,
        so the write's position is that of its event, which a retry can look up."""
        recordings = self.save(*aggregates)
        EVENTS_APPENDED.inc(len(recordings))
        return Written(value, recordings[-1].notification.id)

    def position_of(self, originator_id: UUID, version: int) -> int:
        position = position_of(self.recorder, originator_id, version)
        assert position is not None, "a stored event has a position"
        return position

    def stored_fields(self, originator_id: UUID, version: int, names: Any) -> dict[str, Any]:
        """The named fields of one stored event, as first written."""
        stored = next(self.events.get(originator_id, gt=version - 1, lte=version))
        return {name: getattr(stored, name, None) for name in names}

    def located(self, thing_id: UUID, kind: str) -> Locator:
        """Where a project or an activity lives (see service/domain/locator.py)."""
        try:
            locator = self.get(Locator, thing_id)
        except NotFound:
            raise NotFound(f"no {kind} {thing_id}") from None
        if locator.kind != kind:
            raise NotFound(f"no {kind} {thing_id}")
        return locator

    def engagement(self, engagement_id: UUID) -> Engagement:
        return self.get(Engagement, engagement_id)

    def engagement_of_project(self, project_id: UUID) -> Engagement:
        engagement = self.get(Engagement, self.located(project_id, "project").owner_id)
        engagement.project(project_id)
        return engagement

    def allocation_of_activity(self, activity_id: UUID) -> Allocation:
        return self.get(Allocation, self.located(activity_id, "activity").owner_id)

    def closed_months(self) -> frozenset[str]:
        """The months closed now: one read of the calendar's new events, if any."""
        return self._closed_months.current(self)

    def registered_member(self, handle: str, field: str) -> TeamMember:
        """The member as they stand now (the cached copy is fast-forwarded, so a
        departure recorded by another process counts at once), or a refusal naming the
        request's `field`."""
        try:
            return self.get(TeamMember, team_member_id(handle))
        except NotFound:
            raise RuleViolation(f"{handle} is not a registered team member", field) from None

    def require_member_exists(self, handle: str, field: str) -> None:
        if handle in self._known_members:
            return
        if not self.exists(team_member_id(handle)):
            raise RuleViolation(f"{handle} is not a registered team member", field)
        self._known_members.add(handle)


def _label(cls: type) -> str:
    return {"TeamMember": "team member", "ApiToken": "token"}.get(
        cls.__name__, cls.__name__.lower()
    )
