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

from service.domain.allocation_rules import AllocationRules, moved_fields, no_provider_change
from service.domain.errors import Conflict, RuleViolation
from service.domain.rules import require_ordered, require_positive_units, require_reason

CORRECTABLE_FIELDS = ("units", "description", "date_from", "date_to", "team_member")


def _not_after_close(state: dict[str, Any]) -> None:
    """Upcast an activity event stored before months could be closed (class version 1,
    no `after_close`): nothing was closed then, so it was not changed after a close.
    The library applies this on loading (`upcast_v1_v2`); the log is never rewritten."""
    state["after_close"] = False


def _not_imported(state: dict[str, Any]) -> None:
    """Upcast a recording stored before imports (class version 2): not imported."""
    state.update(imported=False, external_id=None)


class Allocation(AllocationRules, Aggregate):
    """Units granted to a project for a period, consumed by recorded activities."""

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
        self.activities: dict[str, dict[str, Any]] = {}
        # Request ids (from Idempotency-Key) of commands already applied, and the
        # version each produced, so that a retried request changes nothing.
        self.handled_requests: dict[str, int] = {}

    @classmethod
    def grant(
        cls,
        *,
        id: UUID,
        engagement_id: UUID,
        project_id: UUID,
        start_date: date,
        end_date: date,
        description: str,
        units: int,
        provider: str | None,
        actor: str,
        granted_at: datetime | None = None,
    ) -> Allocation:
        """`granted_at`: when, if not now (history written as it happened)."""
        require_positive_units(units)
        require_ordered(start_date, end_date)
        return cls._create(
            cls.AllocationGranted,
            id=id,
            engagement_id=engagement_id,
            project_id=project_id,
            start_date=start_date,
            end_date=end_date,
            description=description,
            units=units,
            provider=provider,
            actor=actor,
            timestamp=granted_at,
        )

    def __deepcopy__(self, memo: dict) -> Allocation:
        """The aggregate cache gives every command its own deep copy. The generic one
        walks every value of every activity and came to dominate the cost of recording
        on a busy allocation; activity entries hold only immutable values, so copying
        each entry's dict is already a full deep copy, at a fraction of the cost."""
        copy = object.__new__(type(self))
        copy.__dict__.update(self.__dict__)
        copy._pending_events = list(self._pending_events)
        copy.activities = {key: dict(entry) for key, entry in self.activities.items()}
        copy.handled_requests = dict(self.handled_requests)
        return copy

    # Amending and cancelling

    def amend(
        self,
        *,
        reason: str,
        actor: str,
        units: int | None = None,
        end_date: date | None = None,
        description: str | None = None,
        provider: str | None = None,
    ) -> None:
        """Change terms; `provider` hands the allocation to another member (never to
        nobody: a departed provider's allocation stays flagged until someone takes it)."""
        terms = dict(units=units, end_date=end_date, description=description, provider=provider)
        self._require_amendment(reason, **terms)
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

    class ActivityRecorded(Aggregate.Event):
        """Work done against the allocation. Its timestamp, when it was recorded (an
        `imported` one's: the original moment), decides whether it was recorded late."""

        activity_id: UUID
        team_member: str
        units: int
        description: str
        date_from: date
        date_to: date
        recorded_by: str
        actor: str
        after_close: bool
        imported: bool
        external_id: str | None

        class_version = 3
        upcast_v1_v2 = staticmethod(_not_after_close)
        upcast_v2_v3 = staticmethod(_not_imported)

        def apply(self, allocation: Allocation) -> None:
            allocation.activities[str(self.activity_id)] = {
                "team_member": self.team_member,
                "units": self.units,
                "description": self.description,
                "date_from": self.date_from,
                "date_to": self.date_to,
                "recorded_by": self.recorded_by,
                "recorded_at": self.timestamp,
                "recorded_version": self.originator_version,
                "retracted": False,
                "corrections": 0,
                "imported": self.imported,
            }
            allocation.units_used += self.units

    def record_activity(
        self,
        *,
        activity_id: UUID,
        team_member: str,
        units: int,
        description: str,
        date_from: date,
        date_to: date,
        actor: str,
        today: date,
        after_close: bool = False,
        recorded_at: datetime | None = None,
        external_id: str | None = None,
        recorded_by: str | None = None,
    ) -> None:
        """Record work done. Going past the balance is accepted: it shows as an
        overrun, because work done is never refused. `after_close`: the work is dated
        in a closed month (the application checked the actor may do that).
        `recorded_at`: when, if not now (history written as it happened); the event's
        timestamp, which decides lateness. `external_id`: the row of an import, whose
        `recorded_by` may name someone other than the `actor` importing it."""
        self._require_not_cancelled("record an activity on")
        if str(activity_id) in self.activities:
            raise Conflict(f"activity {activity_id} is already recorded")
        require_positive_units(units)
        self._require_dates(date_from, date_to, today)
        self.trigger_event(
            self.ActivityRecorded,
            activity_id=activity_id,
            team_member=team_member,
            units=units,
            description=description,
            date_from=date_from,
            date_to=date_to,
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
        actor: str,
        today: date,
        request_id: str | None = None,
        after_close: bool = False,
    ) -> None:
        """Correct work already recorded. Allowed on a cancelled allocation too, as is a
        retraction: it fixes the record of work done before the cancellation, which
        refuses only new recordings. The dates stay within the period, not in the future."""
        activity = self.live_activity(activity_id)
        require_reason(reason)
        unknown = set(changes) - set(CORRECTABLE_FIELDS)
        if unknown:
            raise RuleViolation(f"cannot correct {', '.join(sorted(unknown))}")
        changes = {k: v for k, v in changes.items() if v is not None}
        if not changes:
            raise RuleViolation(f"give at least one of {', '.join(CORRECTABLE_FIELDS)}")
        if "units" in changes:
            require_positive_units(changes["units"])
        self._require_dates(
            changes.get("date_from", activity["date_from"]),
            changes.get("date_to", activity["date_to"]),
            today,
        )
        self.trigger_event(
            self.ActivityCorrected,
            activity_id=activity_id,
            changes=changes,
            reason=reason,
            actor=actor,
            request_id=request_id,
            after_close=after_close,
        )

    class ActivityCorrected(Aggregate.Event):
        activity_id: UUID
        changes: dict[str, Any]
        reason: str
        actor: str
        request_id: str | None
        after_close: bool

        class_version = 2
        upcast_v1_v2 = staticmethod(_not_after_close)

        def apply(self, allocation: Allocation) -> None:
            activity = allocation.activities[str(self.activity_id)]
            allocation.units_used += (
                self.changes.get("units", activity["units"]) - activity["units"]
            )
            activity.update(self.changes)
            activity["corrections"] += 1
            allocation.remember_request(self.request_id, self.originator_version)

    def retract_activity(
        self,
        *,
        activity_id: UUID,
        reason: str,
        actor: str,
        request_id: str | None = None,
        after_close: bool = False,
    ) -> None:
        self.live_activity(activity_id)
        require_reason(reason)
        self.trigger_event(
            self.ActivityRetracted,
            activity_id=activity_id,
            reason=reason,
            actor=actor,
            request_id=request_id,
            after_close=after_close,
        )

    class ActivityRetracted(Aggregate.Event):
        activity_id: UUID
        reason: str
        actor: str
        request_id: str | None
        after_close: bool

        class_version = 2
        upcast_v1_v2 = staticmethod(_not_after_close)

        def apply(self, allocation: Allocation) -> None:
            activity = allocation.activities[str(self.activity_id)]
            activity["retracted"] = True
            allocation.units_used -= activity["units"]
            allocation.remember_request(self.request_id, self.originator_version)

    def move_activity(
        self, activity_id: UUID, *, to: Allocation, reason: str, actor: str, after_close: bool
    ) -> None:
        """Move a mis-filed activity to allocation `to` as it stands (`require_may_take`):
        the same event on both streams, which the caller saves in one write."""
        activity = self.live_activity(activity_id)
        require_reason(reason)
        to.require_may_take(self.id, activity)
        fields = moved_fields(activity)
        fields.update(activity_id=activity_id, from_allocation_id=self.id, to_allocation_id=to.id)
        for allocation in (self, to):
            allocation.trigger_event(
                self.ActivityMoved, reason=reason, actor=actor, after_close=after_close, **fields
            )

    class ActivityMoved(Aggregate.Event):
        """On the allocation it leaves, where it no longer counts (its history stays), and on
        the one it joins as it stood, recorded when and by whom it was: never made late."""

        activity_id: UUID
        from_allocation_id: UUID
        to_allocation_id: UUID
        team_member: str
        units: int
        description: str
        date_from: date
        date_to: date
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
                allocation.activities[key]["moved_to"] = str(self.to_allocation_id)
                allocation.units_used -= self.units
                return
            moved = moved_fields(vars(self))
            moved.update(recorded_version=self.originator_version, retracted=False)
            allocation.activities[key] = moved
            allocation.units_used += self.units
