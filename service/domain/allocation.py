"""The Allocation: a budget of units for one period of a project, and the activities
recorded against it, like entries in an account.

Activities live in the allocation's own stream, so recording one is a single append
to one stream, and the balance is always consistent with the entries.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from service.domain.activity import (
    MOVED_FIELDS,
    WORK_FIELDS,
    Activity,
    Change,
    Work,
    activities_as_values,
    find,
    find_live,
    not_after_close,
    not_imported,
    require_all_within,
    require_corrections,
    require_dates,
    require_units_fit_days,
    require_within,
    require_work,
)
from service.domain.amendment import AMENDABLE, no_provider_change, require_amendment
from service.domain.errors import Conflict, RuleViolation
from service.domain.rules import require_ordered, require_positive_units, require_reason


class Allocation(Aggregate):
    """Units granted to a project for a period, consumed by recorded activities.
    Its snapshots' shape: `class_version` 2 since its activities are values."""

    class_version = 2
    upcast_v1_v2 = staticmethod(activities_as_values)

    class AllocationGranted(Aggregate.Created):
        engagement_id: UUID
        project_id: UUID
        start_date: date
        end_date: date
        description: str
        units: int
        provider: str | None
        actor: str

    def __init__(
        self,
        engagement_id: UUID,
        project_id: UUID,
        start_date: date,
        end_date: date,
        description: str,
        units: int,
        provider: str | None,
        actor: str,
    ):
        self.engagement_id = engagement_id
        self.project_id = project_id
        self.start_date = start_date
        self.end_date = end_date
        self.description = description
        self.units = units
        self.provider = provider
        self.cancelled = False
        self.cancel_reason: str | None = None
        self.units_used = 0
        # Keyed by str(activity id): the state is snapshotted as JSON.
        self.activities: dict[str, Activity] = {}
        # Request ids (from Idempotency-Key) of commands already applied, and the
        # version each produced, so that a retried request changes nothing.
        self.handled_requests: dict[str, int] = {}

    @classmethod
    def grant(cls, *, id: UUID, granted_at: datetime | None = None, **terms: Any) -> Allocation:
        """`terms`: those of `AllocationGranted` (which refuses any other, or one missing).
        `granted_at`: when, if not now (history written as it happened)."""
        require_positive_units(terms.get("units"))
        require_ordered(terms["start_date"], terms["end_date"])
        return cls._create(cls.AllocationGranted, id=id, timestamp=granted_at, **terms)

    def __deepcopy__(self, memo: dict) -> Allocation:
        """The aggregate cache gives every command its own deep copy. The generic one
        walks every value of every activity and came to dominate the cost of recording
        on a busy allocation; activities are immutable values, so copying the dict that
        holds them is already a full deep copy, at a fraction of the cost."""
        copy = object.__new__(type(self))
        copy.__dict__.update(self.__dict__)
        copy._pending_events = list(self._pending_events)
        copy.activities = dict(self.activities)
        copy.handled_requests = dict(self.handled_requests)
        return copy

    # Queries

    def activity(self, activity_id: UUID) -> Activity:
        return find(self.activities, activity_id)

    def live_activity(self, activity_id: UUID) -> Activity:
        return find_live(self.activities, activity_id)

    @property
    def units_remaining(self) -> int:
        return self.units - self.units_used

    @property
    def period(self) -> tuple[date, date]:
        return self.start_date, self.end_date

    def covers(self, day: date) -> bool:
        return self.start_date <= day <= self.end_date

    def remember_request(self, request_id: str | None, version: int) -> None:
        """Note that the request was handled by the event at `version`, so a retry of
        it is answered, not applied again."""
        if request_id:
            self.handled_requests[request_id] = version

    # Rules

    def _require_not_cancelled(self, doing: str) -> None:
        if self.cancelled:
            raise Conflict(f"cannot {doing} a cancelled allocation")

    def require_may_take(self, source_id: UUID, activity: Activity) -> None:
        """The rules for a live activity moved here from allocation `source_id`: this is
        another allocation, not cancelled, and its period holds the activity's dates
        (which were not in the future when recorded or corrected, so are not now). The
        source may be cancelled: a move fixes the record of work done, as a correction."""
        if source_id == self.id:
            raise RuleViolation(
                f"the activity is already on allocation {source_id}: name another one",
                "allocation_id",
            )
        self._require_not_cancelled("move an activity to")
        require_within(activity.date_from, activity.date_to, self.period)

    # Amending and cancelling

    def amend(self, *, reason: str, actor: str, **changes: Any) -> None:
        """Change terms (`changes`: any of AMENDABLE, None for unchanged, which the event
        checks); `provider` hands the allocation to another member (never to nobody: a
        departed provider's allocation stays flagged until someone takes it)."""
        terms = dict.fromkeys(AMENDABLE) | changes
        self._require_not_cancelled("amend")
        require_amendment(reason, terms)
        if terms["end_date"] is not None:
            require_ordered(self.start_date, terms["end_date"])
            require_all_within(self.activities, self.start_date, terms["end_date"])
        self.trigger_event(self.AllocationAmended, **terms, reason=reason, actor=actor)

    class AllocationAmended(Aggregate.Event):
        """Changed terms (None: unchanged), with the reason."""

        units: int | None
        end_date: date | None
        description: str | None
        provider: str | None
        reason: str
        actor: str

        class_version = 2
        upcast_v1_v2 = staticmethod(no_provider_change)

        def apply(self, allocation: Allocation) -> None:
            if self.units is not None:
                allocation.units = self.units
            if self.end_date is not None:
                allocation.end_date = self.end_date
            if self.description is not None:
                allocation.description = self.description
            if self.provider is not None:
                allocation.provider = self.provider

    def cancel(self, *, reason: str, actor: str, request_id: str | None = None) -> None:
        self._require_not_cancelled("cancel")
        require_reason(reason)
        self.trigger_event(
            self.AllocationCancelled, reason=reason, actor=actor, request_id=request_id
        )

    class AllocationCancelled(Aggregate.Event):
        reason: str
        actor: str
        request_id: str | None

        def apply(self, allocation: Allocation) -> None:
            allocation.cancelled = True
            allocation.cancel_reason = self.reason
            allocation.remember_request(self.request_id, self.originator_version)

    # Activities

    class ActivityRecorded(Work, Aggregate.Event):
        """Work done against the allocation (its attributes: `Work`'s and these). Its
        timestamp, when it was recorded (an `imported` one's: the original moment),
        decides whether it was recorded late."""

        activity_id: UUID
        recorded_by: str
        actor: str
        after_close: bool
        imported: bool
        external_id: str | None

        class_version = 3
        upcast_v1_v2 = staticmethod(not_after_close)
        upcast_v2_v3 = staticmethod(not_imported)

        def apply(self, allocation: Allocation) -> None:
            allocation.activities[str(self.activity_id)] = Activity(
                **{name: getattr(self, name) for name in WORK_FIELDS},
                recorded_by=self.recorded_by,
                recorded_at=self.timestamp,
                imported=self.imported,
                recorded_version=self.originator_version,
            )
            allocation.units_used += self.units

    def record_activity(
        self,
        *,
        activity_id: UUID,
        actor: str,
        today: date,
        after_close: bool = False,
        recorded_at: datetime | None = None,
        external_id: str | None = None,
        recorded_by: str | None = None,
        **work: Any,
    ) -> None:
        """Record work done: `work`, the activity's WORK_FIELDS (which the event checks, as
        `grant` its terms). Going past the balance is accepted: it shows as an
        overrun, because work done is never refused. `after_close`: the work is dated
        in a closed month (the application checked the actor may do that).
        `recorded_at`: when, if not now (history written as it happened); the event's
        timestamp, which decides lateness. `external_id`: the row of an import, whose
        `recorded_by` may name someone other than the `actor` importing it."""
        self._require_not_cancelled("record an activity on")
        if str(activity_id) in self.activities:
            raise Conflict(f"activity {activity_id} is already recorded")
        require_work(work, self.period, today)
        self.trigger_event(
            self.ActivityRecorded,
            activity_id=activity_id,
            **work,
            recorded_by=recorded_by or actor,
            actor=actor,
            after_close=after_close,
            imported=external_id is not None,
            external_id=external_id,
            timestamp=recorded_at,
        )

    def correct_activity(
        self,
        *,
        activity_id: UUID,
        changes: dict[str, Any],
        reason: str,
        today: date,
        **change: Any,
    ) -> None:
        """Correct work already recorded. Allowed on a cancelled allocation too, as is a
        retraction: it fixes the record of work done before the cancellation, which
        refuses only new recordings. The dates stay within the period, not in the future,
        and the days still hold the units (24 a day at most).
        `change`: the rest of the `Change` (see `_trigger_change`)."""
        activity = self.live_activity(activity_id)
        require_reason(reason)
        changes = require_corrections(changes)
        date_from = changes.get("date_from", activity.date_from)
        date_to = changes.get("date_to", activity.date_to)
        require_dates(date_from, date_to, self.period, today)
        require_units_fit_days(changes.get("units", activity.units), date_from, date_to)
        self._trigger_change(
            self.ActivityCorrected,
            activity_id=activity_id,
            changes=changes,
            reason=reason,
            **change,
        )

    class ActivityCorrected(Change, Aggregate.Event):
        activity_id: UUID
        changes: dict[str, Any]

        def apply(self, allocation: Allocation) -> None:
            before = allocation.activities[str(self.activity_id)]
            after = allocation.activities[str(self.activity_id)] = before.corrected(self.changes)
            allocation.units_used += after.units - before.units
            allocation.remember_request(self.request_id, self.originator_version)

    def retract_activity(
        self,
        *,
        activity_id: UUID,
        reason: str,
        **change: Any,
    ) -> None:
        """`change`: the rest of the `Change` (see `_trigger_change`)."""
        self.live_activity(activity_id)
        require_reason(reason)
        self._trigger_change(
            self.ActivityRetracted, activity_id=activity_id, reason=reason, **change
        )

    def _trigger_change(
        self,
        event: type[Change],
        *,
        request_id: str | None = None,
        after_close: bool = False,
        **fields: Any,
    ) -> None:
        """Trigger a correction or retraction: the fields of its `Change` and of the event
        pass on by name (the event refuses a missing or unknown one), except what a caller
        need not say: no request id (not from a client) and not after a month's close."""
        self.trigger_event(event, request_id=request_id, after_close=after_close, **fields)

    class ActivityRetracted(Change, Aggregate.Event):
        activity_id: UUID

        def apply(self, allocation: Allocation) -> None:
            activity = allocation.activities[str(self.activity_id)]
            allocation.activities[str(self.activity_id)] = activity.retract()
            allocation.units_used -= activity.units
            allocation.remember_request(self.request_id, self.originator_version)

    def move_activity(
        self, activity_id: UUID, *, to: Allocation, reason: str, actor: str, after_close: bool
    ) -> None:
        """Move a mis-filed activity to allocation `to` as it stands (`require_may_take`):
        the same event on both streams, which the caller saves in one write."""
        activity = self.live_activity(activity_id)
        require_reason(reason)
        to.require_may_take(self.id, activity)
        fields = activity.stated()
        fields.update(activity_id=activity_id, from_allocation_id=self.id, to_allocation_id=to.id)
        for allocation in (self, to):
            allocation.trigger_event(
                self.ActivityMoved, reason=reason, actor=actor, after_close=after_close, **fields
            )

    class ActivityMoved(Work, Aggregate.Event):
        """On the allocation it leaves, where it no longer counts (its history stays), and on
        the one it joins as it stood, recorded when and by whom it was: never made late."""

        activity_id: UUID
        from_allocation_id: UUID
        to_allocation_id: UUID
        recorded_by: str
        recorded_at: datetime
        corrections: int
        imported: bool
        reason: str
        actor: str
        after_close: bool

        def apply(self, allocation: Allocation) -> None:
            key = str(self.activity_id)
            if allocation.id == self.from_allocation_id:
                left = allocation.activities[key].move_to(self.to_allocation_id)
                allocation.activities[key] = left
                allocation.units_used -= self.units
                return
            allocation.activities[key] = Activity(
                **{name: getattr(self, name) for name in MOVED_FIELDS},
                recorded_version=self.originator_version,
            )
            allocation.units_used += self.units
