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

from service.domain.allocation_rules import AllocationRules
from service.domain.errors import Conflict, RuleViolation
from service.domain.rules import require_ordered, require_positive_units, require_reason

CORRECTABLE_FIELDS = ("units", "description", "date_from", "date_to", "team_member")


def _not_after_close(state: dict[str, Any]) -> None:
    """Upcast an activity event stored before months could be closed (class version 1,
    no `after_close`): nothing was closed then, so it was not changed after a close.
    The library applies this on loading (`upcast_v1_v2`); the log is never rewritten."""
    state["after_close"] = False


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
    ) -> None:
        self._require_not_cancelled("amend")
        require_reason(reason)
        if units is None and end_date is None and description is None:
            raise RuleViolation("give at least one of units, end_date, description")
        if units is not None:
            require_positive_units(units)
        if end_date is not None:
            require_ordered(self.start_date, end_date)
            self._require_activities_within(self.start_date, end_date)
        self.trigger_event(
            self.AllocationAmended,
            units=units,
            end_date=end_date,
            description=description,
            reason=reason,
            actor=actor,
        )

    class AllocationAmended(Aggregate.Event):
        units: int | None
        end_date: date | None
        description: str | None
        reason: str
        actor: str

        def apply(self, allocation: Allocation) -> None:
            if self.units is not None:
                allocation.units = self.units
            if self.end_date is not None:
                allocation.end_date = self.end_date
            if self.description is not None:
                allocation.description = self.description

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
        """Work done against the allocation. Its timestamp is when it was recorded,
        which decides whether it was recorded late."""

        activity_id: UUID
        team_member: str
        units: int
        description: str
        date_from: date
        date_to: date
        recorded_by: str
        actor: str
        after_close: bool

        class_version = 2
        upcast_v1_v2 = staticmethod(_not_after_close)

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
    ) -> None:
        """Record work done. Going past the balance is accepted: it shows as an
        overrun, because work done is never refused. `after_close`: the work is dated
        in a closed month (the application checked the actor may do that).
        `recorded_at`: when, if not now (history written as it happened); the event's
        timestamp, which decides lateness."""
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
            recorded_by=actor,
            actor=actor,
            after_close=after_close,
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
