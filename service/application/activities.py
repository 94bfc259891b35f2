"""Activity commands: record (on an allocation, or on whichever allocation of a
project covers the work's last day), correct, retract. Activities live in their
allocation's stream; a locator saved with each says which one.

Who acts is passed in by the caller: `only_member` (a member token acts only for its
member) and `role` (the token's role: in a closed month only a manager or admin may
change activities, see service/application/periods.py). A caller that names no role
is treated as one that may not change closed months."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from service.application.allocations import AllocationCommands
from service.application.commands import RequestId, Written, command
from service.application.errors import Forbidden
from service.application.idempotency import replay_of_activity_change, replay_of_recording
from service.application.periods import PeriodCommands
from service.domain import Allocation, Engagement, Locator, RuleViolation

Recorded = Written[tuple[Allocation, UUID]]


class ActivityCommands(AllocationCommands, PeriodCommands):
    @command
    def record_activity(
        self,
        allocation_id: UUID,
        *,
        team_member: str,
        units: int,
        description: str,
        date_from: date,
        date_to: date,
        actor: str,
        request: RequestId,
        only_member: str | None = None,
        role: str | None = None,
    ) -> Recorded:
        """Record work done. `only_member`, when given, is the one member the caller
        may record for (a member token records only its own work); `role` decides
        whether work dated in a closed month is accepted (flagged) or refused."""
        if only_member is not None and team_member != only_member:
            raise Forbidden(f"a member token may record only {only_member}'s activities")
        work = dict(
            team_member=team_member,
            units=units,
            description=description,
            date_from=date_from,
            date_to=date_to,
        )
        allocation = self.get(Allocation, allocation_id)
        replay = replay_of_recording(self, allocation, request, work)
        if replay:
            return replay
        self.get(Engagement, allocation.engagement_id).require_open()
        self.registered_member(team_member, "team_member").require_on_the_team(date_from, date_to)
        after_close = self.after_close((date_from, date_to), role=role)
        allocation.record_activity(
            activity_id=request.value,
            actor=actor,
            today=self.clock.latest_today(),
            after_close=after_close,
            recorded_at=self.clock.moment(),
            **work,
        )
        locator = Locator.place(id=request.value, kind="activity", owner_id=allocation.id)
        return self.save_all(locator, allocation, value=(allocation, request.value))

    def record_project_activity(
        self, project_id: UUID, *, date_to: date, **activity: Any
    ) -> Recorded:
        """Record work against whichever allocation of the project covers its last day."""
        schedule = self.engagement_of_project(project_id).project(project_id)["schedule"]
        for allocation_id, period in schedule.items():
            if period["start_date"] <= date_to <= period["end_date"]:
                return self.record_activity(UUID(allocation_id), date_to=date_to, **activity)
        raise RuleViolation(
            f"no allocation of this project covers {date_to.isoformat()}", "date_to"
        )

    @command
    def correct_activity(
        self,
        activity_id: UUID,
        *,
        changes: dict[str, Any],
        reason: str,
        actor: str,
        request: RequestId,
        only_member: str | None = None,
        role: str | None = None,
    ) -> Recorded:
        """Correct an activity; its dates before and after the correction both
        count for the rule of closed months."""
        allocation = self.allocation_of_activity(activity_id)
        replay = replay_of_activity_change(self, allocation, activity_id, request)
        if replay:
            return replay
        _require_own_activity(allocation, activity_id, only_member)
        if only_member is not None and changes.get("team_member", only_member) != only_member:
            raise Forbidden("a member token cannot hand an activity to someone else")
        before = allocation.activity(activity_id)
        after = (
            changes.get("date_from") or before["date_from"],
            changes.get("date_to") or before["date_to"],
        )
        member = changes.get("team_member") or before["team_member"]
        if (member, *after) != (before["team_member"], before["date_from"], before["date_to"]):
            # Whose work, or its days, change: the member must have been on the team
            # then. A correction of units or description alone fixes the record as is.
            self.registered_member(member, "team_member").require_on_the_team(*after)
        after_close = self.after_close((before["date_from"], before["date_to"]), after, role=role)
        allocation.correct_activity(
            activity_id=activity_id,
            changes=changes,
            reason=reason,
            actor=actor,
            today=self.clock.latest_today(),
            request_id=request.key,
            after_close=after_close,
        )
        return self.save_all(allocation, value=(allocation, activity_id))

    @command
    def retract_activity(
        self,
        activity_id: UUID,
        *,
        reason: str,
        actor: str,
        request: RequestId,
        only_member: str | None = None,
        role: str | None = None,
    ) -> Recorded:
        allocation = self.allocation_of_activity(activity_id)
        replay = replay_of_activity_change(self, allocation, activity_id, request)
        if replay:
            return replay
        _require_own_activity(allocation, activity_id, only_member)
        activity = allocation.activity(activity_id)
        allocation.retract_activity(
            activity_id=activity_id,
            reason=reason,
            actor=actor,
            request_id=request.key,
            after_close=self.after_close((activity["date_from"], activity["date_to"]), role=role),
        )
        return self.save_all(allocation, value=(allocation, activity_id))

    def allocation_of_activity(self, activity_id: UUID) -> Allocation:
        return self.get(Allocation, self.located(activity_id, "activity").owner_id)


def _require_own_activity(
    allocation: Allocation, activity_id: UUID, only_member: str | None
) -> None:
    if only_member is not None and allocation.activity(activity_id)["team_member"] != only_member:
        raise Forbidden(f"a member token may change only {only_member}'s activities")
