"""Activity commands: record (on an allocation, or on whichever allocation of a
project covers the work's last day), correct, retract. Activities live in their
allocation's stream; a locator saved with each says which one.

Who acts is the `caller`; the rules held against it (a member token acts only for its
member; in a closed month only a manager or admin changes activities, and a caller
that names no role may not) are in service/application/access.py."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any
from uuid import UUID, uuid4

from service.application import access
from service.application.base import LedgerBase
from service.application.caller import Caller
from service.application.commands import RequestId, Written, command
from service.application.idempotency import replay_of_activity_change, replay_of_recording
from service.domain import (
    Allocation,
    Engagement,
    Locator,
    RuleViolation,
    TeamMember,
    team_member_id,
)

Recorded = Written[tuple[Allocation, UUID]]


@dataclass
class Checks:
    """What changes to activities are checked against beyond their allocation (is its
    engagement open, was the member on the team, which months are closed), each read
    once for all the changes of one command: a week of 56 cells asks the same three
    questions 56 times, and each asked afresh is a query."""

    ledger: LedgerBase
    engagements: dict[UUID, Engagement] = field(default_factory=dict)
    members: dict[str, TeamMember] = field(default_factory=dict)
    closed: frozenset[str] | None = None

    def engagement(self, engagement_id: UUID) -> Engagement:
        if engagement_id not in self.engagements:
            self.engagements[engagement_id] = self.ledger.get(Engagement, engagement_id)
        return self.engagements[engagement_id]

    def member(self, handle: str) -> TeamMember:
        if handle not in self.members:
            self.members[handle] = self.ledger.registered_member(handle, "team_member")
        return self.members[handle]

    def allocation_for(self, allocation_id: UUID, handle: str) -> Allocation:
        """The allocation a recording is on, with its engagement, its member and the
        closed months, in one read of the log (LedgerBase.get_together) where asking
        for each reads once each. The engagement is fixed when the allocation is made,
        so once this process has seen the allocation it is read in the same round trip;
        the first time, `engagement` reads it after. One not found is left to `get`,
        `engagement` and `member`, which refuse it by name."""
        engagement_id = self.ledger.allocation_engagements.get(allocation_id)
        member_id = team_member_id(handle)
        wanted = [allocation_id, member_id, *([engagement_id] if engagement_id else [])]
        found, self.closed = self.ledger.get_together(wanted)
        allocation = found.get(allocation_id)
        if not isinstance(allocation, Allocation):
            return self.ledger.get(Allocation, allocation_id)  # refused, naming it
        self.ledger.allocation_engagements[allocation_id] = allocation.engagement_id
        if isinstance(found.get(allocation.engagement_id), Engagement):
            self.engagements[allocation.engagement_id] = found[allocation.engagement_id]
        if isinstance(found.get(member_id), TeamMember):
            self.members[handle] = found[member_id]
        return allocation

    def closed_months(self) -> frozenset[str]:
        if self.closed is None:
            self.closed = self.ledger.closed_months()
        return self.closed


class ActivityCommands(LedgerBase):
    @command
    def record_activity(
        self, allocation_id: UUID, *, caller: Caller, request: RequestId, **work: Any
    ) -> Recorded:
        """Record work done: `work` is the activity's `Work` (service/domain/activity.py),
        each of its fields by name. By a member token only its own member's; work dated
        in a closed month is accepted (flagged) or refused as the caller's role says."""
        access.require_own_work(caller, work["team_member"], "record")
        checks = Checks(self)
        allocation = checks.allocation_for(allocation_id, work["team_member"])
        replay = replay_of_recording(self, allocation, request, work)
        if replay:
            return replay
        locator = self._record_on(allocation, request.value, caller, work, checks)
        return self.save_all(locator, allocation, value=(allocation, request.value))

    def check_recording(self, allocation_id: UUID, *, caller: Caller, **work: Any) -> None:
        """Raise what `record_activity` would refuse for this work, writing nothing (the
        rules run on a copy of the allocation, then dropped): a page asks this before it
        warns of a late entry or an overrun, so a refusal comes first, in one round trip."""
        access.require_own_work(caller, work["team_member"], "record")
        self._record_on(self.get(Allocation, allocation_id), uuid4(), caller, work)

    def _record_on(
        self,
        allocation: Allocation,
        activity_id: UUID,
        caller: Caller,
        work: dict[str, Any],
        checks: Checks | None = None,
    ) -> Locator:
        """Record on the allocation (in memory): the rules of a recording beyond the
        member scope, held against the ledger as it is (`checks`); the locator to save
        with it."""
        checks = checks or Checks(self)
        checks.engagement(allocation.engagement_id).require_open()
        days = (work["date_from"], work["date_to"])
        checks.member(work["team_member"]).require_on_the_team(*days)
        after_close = access.after_close(caller, checks.closed_months(), days)
        allocation.record_activity(
            activity_id=activity_id,
            actor=caller.actor,
            today=self.clock.latest_today(),
            after_close=after_close,
            recorded_at=self.clock.moment(),
            **work,
        )
        return Locator.place(id=activity_id, kind="activity", owner_id=allocation.id)

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
        caller: Caller,
        request: RequestId,
    ) -> Recorded:
        """Correct an activity; its dates before and after the correction both
        count for the rule of closed months."""
        allocation, replay = self._activity_to_change(activity_id, caller, request)
        if replay:
            return replay
        self._correct_on(allocation, activity_id, caller, changes, reason, request.key)
        return self.save_all(allocation, value=(allocation, activity_id))

    @command
    def retract_activity(
        self,
        activity_id: UUID,
        *,
        reason: str,
        caller: Caller,
        request: RequestId,
    ) -> Recorded:
        allocation, replay = self._activity_to_change(activity_id, caller, request)
        if replay:
            return replay
        self._retract_on(allocation, activity_id, caller, reason, request.key)
        return self.save_all(allocation, value=(allocation, activity_id))

    def _correct_on(
        self,
        allocation: Allocation,
        activity_id: UUID,
        caller: Caller,
        changes: dict[str, Any],
        reason: str,
        request_key: str,
        checks: Checks | None = None,
    ) -> None:
        """Correct the activity on its allocation (in memory), by the rules of a
        correction; the caller may change this work (`_activity_to_change`)."""
        checks = checks or Checks(self)
        before = allocation.activity(activity_id)
        access.require_kept_member(caller, changes.get("team_member"))
        after = (
            changes.get("date_from") or before.date_from,
            changes.get("date_to") or before.date_to,
        )
        member = changes.get("team_member") or before.team_member
        if (member, *after) != (before.team_member, before.date_from, before.date_to):
            # Whose work, or its days, change: the member must have been on the team
            # then. A correction of units or description alone fixes the record as is.
            checks.member(member).require_on_the_team(*after)
        after_close = access.after_close(
            caller, checks.closed_months(), (before.date_from, before.date_to), after
        )
        allocation.correct_activity(
            activity_id=activity_id,
            changes=changes,
            reason=reason,
            actor=caller.actor,
            today=self.clock.latest_today(),
            request_id=request_key,
            after_close=after_close,
        )

    def _retract_on(
        self,
        allocation: Allocation,
        activity_id: UUID,
        caller: Caller,
        reason: str,
        request_key: str,
        checks: Checks | None = None,
    ) -> None:
        """Retract the activity on its allocation (in memory), by the rules of a
        retraction; the caller may change this work (`_activity_to_change`)."""
        checks = checks or Checks(self)
        activity = allocation.activity(activity_id)
        allocation.retract_activity(
            activity_id=activity_id,
            reason=reason,
            actor=caller.actor,
            request_id=request_key,
            after_close=access.after_close(
                caller, checks.closed_months(), (activity.date_from, activity.date_to)
            ),
        )

    def _activity_to_change(
        self, activity_id: UUID, caller: Caller, request: RequestId
    ) -> tuple[Allocation, Recorded | None]:
        """What a correction and a retraction begin with: the activity's allocation, and
        the earlier answer if the request is a retry; if it is not, the caller must be
        one who may change this work."""
        allocation = self.allocation_of_activity(activity_id)
        replay = replay_of_activity_change(self, allocation, activity_id, request)
        if not replay:
            member = allocation.activity(activity_id).team_member
            access.require_own_work(caller, member, "change")
        return allocation, replay
