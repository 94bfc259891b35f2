"""The Engagement: a commitment to one partner community, its projects, and the
schedule of allocations granted to each project.

The engagement keeps each project's schedule (which allocation covers which period)
so that "allocations of one project never overlap" is checked against one stream:
two concurrent grants for the same project collide on the engagement's version
instead of both slipping through.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from service.domain.errors import Conflict, NotFound, RuleViolation
from service.domain.rules import require_ordered, require_reason

HUBSPOT_NAMESPACE = uuid5(NAMESPACE_URL, "https://app.hubspot.com/deals")
DETAIL_FIELDS = ("name", "community", "description", "start_date", "end_date", "contacts")


def engagement_id_for_deal(portal_id: int | str, deal_id: int | str) -> UUID:
    """The one engagement id a HubSpot deal can ever have."""
    return uuid5(HUBSPOT_NAMESPACE, f"{portal_id}/{deal_id}")


class Engagement(Aggregate):
    """A commitment to a partner community, opened by hand or by a won CRM deal."""

    class DealClosedWon(Aggregate.Created):
        """Raw facts of the HubSpot webhook that created the engagement."""

        portal_id: int
        deal_id: str
        name: str
        amount: Decimal | None
        close_time: datetime | None
        pipeline: str | None
        stage: str
        webhook_event_id: int
        actor: str

    class EngagementOpened(Aggregate.Created):
        name: str
        community: str
        description: str
        start_date: date
        end_date: date
        contacts: list[str]
        actor: str

    def __init__(
        self,
        name: str,
        community: str = "",
        description: str = "",
        start_date: date | None = None,
        end_date: date | None = None,
        contacts: list[str] | None = None,
        portal_id: int | None = None,
        deal_id: str | None = None,
        amount: Decimal | None = None,
        stage: str | None = None,
        close_time: datetime | None = None,
    ):
        self.name = name
        self.community = community
        self.description = description
        self.start_date = start_date
        self.end_date = end_date
        self.contacts = list(contacts or [])
        self.portal_id = portal_id
        self.deal_id = deal_id
        self.amount = amount
        self.currency: str | None = None
        # Where the deal stands, as the latest stage change recorded says, and when
        # HubSpot says it changed (its occurredAt): older deliveries never override it.
        self.deal_stage = stage
        self.deal_stage_at = close_time
        self.deal_reopened = False
        self.deal_details: dict[str, Any] = {}
        self.closed = False
        self.close_reason: str | None = None
        # str(project id) -> {"name", "outcome", "allocation_ids": [every allocation
        # ever granted], "schedule": {str(allocation id): {"start_date", "end_date"}}};
        # a cancelled allocation leaves the schedule but stays in allocation_ids.
        self.projects: dict[str, dict[str, Any]] = {}
        # month -> {"id": statement id, "version": of its StatementIssued event}
        self.statements: dict[str, dict[str, Any]] = {}

    @classmethod
    def open(
        cls, *, start_date: date, end_date: date, contacts: list[str] | None, **details: Any
    ) -> Engagement:
        """`details`: the rest of `EngagementOpened` by name (id, name, community,
        description, actor), which refuses any other, or one missing."""
        require_ordered(start_date, end_date)
        return cls._create(
            cls.EngagementOpened,
            start_date=start_date,
            end_date=end_date,
            contacts=list(contacts or []),
            **details,
        )

    @classmethod
    def from_closed_won_deal(cls, *, portal_id: int, deal_id: str, **deal: Any) -> Engagement:
        """`deal`: the rest of `DealClosedWon` by name (name, amount, close time,
        pipeline, stage, webhook event id), which refuses any other, or one missing."""
        return cls._create(
            cls.DealClosedWon,
            id=engagement_id_for_deal(portal_id, deal_id),
            portal_id=portal_id,
            deal_id=deal_id,
            actor="hubspot",
            **deal,
        )

    # Details

    def update_details(self, *, changes: dict[str, Any], actor: str) -> None:
        self.require_open()
        if not changes:
            raise RuleViolation("no details to update")
        start = changes.get("start_date", self.start_date)
        end = changes.get("end_date", self.end_date)
        if start is not None and end is not None:
            require_ordered(start, end)
        self.trigger_event(self.EngagementDetailsUpdated, changes=changes, actor=actor)

    class EngagementDetailsUpdated(Aggregate.Event):
        changes: dict[str, Any]
        actor: str

        def apply(self, engagement: Engagement) -> None:
            for field in DETAIL_FIELDS:
                if field in self.changes:
                    setattr(engagement, field, self.changes[field])
            if "deal" in self.changes:
                engagement.deal_details = self.changes["deal"]
            # The deal's amount (an exact Decimal) and currency; older events lack both.
            for field in ("amount", "currency"):
                if field in self.changes:
                    setattr(engagement, field, self.changes[field])

    def refuse_hubspot_field(self, *, field: str, reason: str) -> None:
        """A field of the deal broke the input policy and is missing (deal_policy.py)."""
        self.trigger_event(self.HubSpotFieldRefused, field=field, reason=reason, actor="hubspot")

    class HubSpotFieldRefused(Aggregate.Event):
        """Which field of the deal is missing, and why (never its value): no state changes."""

        field: str
        reason: str
        actor: str

    # The deal's stage after it was won

    def follow_deal_stage(
        self, *, stage: str, won: bool, occurred_at: datetime, webhook_event_id: int
    ) -> bool:
        """Record a stage change of the deal HubSpot reported; whether one was recorded.

        Only a change that happened strictly later than the latest one recorded counts
        (HubSpot delivers out of order and more than once: a duplicate, or an older
        change arriving late, records nothing). A move out of closed-won records
        `DealReopened` (and so does a later move among stages that are not won, to keep
        the stage BD sees current); a move back to a won stage records `DealWonAgain`,
        which clears the flag, and only then (a won redelivery of a deal never reopened
        records nothing). Nothing is deleted; a closed engagement still records them."""
        if self.deal_id is None:
            raise RuleViolation(f"engagement {self.id} was not made from a HubSpot deal")
        if won and not self.deal_reopened:
            return False
        if self.deal_stage_at is not None and occurred_at <= self.deal_stage_at:
            return False
        if not won and self.deal_reopened and stage == self.deal_stage:
            return False
        self.trigger_event(
            self.DealWonAgain if won else self.DealReopened,
            portal_id=self.portal_id,
            deal_id=self.deal_id,
            stage=stage,
            occurred_at=occurred_at,
            webhook_event_id=webhook_event_id,
            actor="hubspot",
        )
        return True

    class DealReopened(Aggregate.Event):
        """The won deal moved to a stage that is not closed-won (reopened, lost):
        the engagement is flagged for BD."""

        portal_id: int
        deal_id: str
        stage: str
        occurred_at: datetime
        webhook_event_id: int
        actor: str

        def apply(self, engagement: Engagement) -> None:
            engagement.deal_stage = self.stage
            engagement.deal_stage_at = self.occurred_at
            engagement.deal_reopened = True

    class DealWonAgain(Aggregate.Event):
        """The deal moved (back) to a closed-won stage after its engagement was made:
        the flag is cleared. Not a second `DealClosedWon`, which creates engagements."""

        portal_id: int
        deal_id: str
        stage: str
        occurred_at: datetime
        webhook_event_id: int
        actor: str

        def apply(self, engagement: Engagement) -> None:
            engagement.deal_stage = self.stage
            engagement.deal_stage_at = self.occurred_at
            engagement.deal_reopened = False

    def close(self, *, reason: str, actor: str) -> None:
        self.require_open()
        require_reason(reason)
        self.trigger_event(self.EngagementClosed, reason=reason, actor=actor)

    class EngagementClosed(Aggregate.Event):
        reason: str
        actor: str

        def apply(self, engagement: Engagement) -> None:
            engagement.closed = True
            engagement.close_reason = self.reason

    # Projects and their schedules

    def define_project(self, *, project_id: UUID, name: str, outcome: str, actor: str) -> None:
        self.require_open()
        if str(project_id) in self.projects:
            raise Conflict(f"project {project_id} is already defined")
        if not name.strip():
            raise RuleViolation("a project needs a name", "name")
        self.trigger_event(
            self.ProjectDefined, project_id=project_id, name=name, outcome=outcome, actor=actor
        )

    class ProjectDefined(Aggregate.Event):
        project_id: UUID
        name: str
        outcome: str
        actor: str

        def apply(self, engagement: Engagement) -> None:
            engagement.projects[str(self.project_id)] = {
                "name": self.name,
                "outcome": self.outcome,
                "allocation_ids": [],
                "schedule": {},
            }

    def book_allocation(
        self,
        *,
        project_id: UUID,
        allocation_id: UUID,
        start_date: date,
        end_date: date,
        actor: str,
    ) -> None:
        """Reserve a period in the project's schedule for an allocation (new, or
        amended to a new end date). Periods of one project never overlap, and lie
        within the engagement's dates."""
        self.require_open()
        schedule = self.project(project_id)["schedule"]
        self._require_within_dates(schedule.get(str(allocation_id)), start_date, end_date)
        for other_id, period in schedule.items():
            if other_id != str(allocation_id) and (
                start_date <= period["end_date"] and period["start_date"] <= end_date
            ):  # named as people know it (project, engagement, dates), not by its id
                raise RuleViolation(
                    f"the period overlaps the allocation of {self.project(project_id)['name']}"
                    f" ({self.name}) from {period['start_date']} to {period['end_date']}: "
                    "allocations of one project never overlap",
                    "start_date",
                )
        self.trigger_event(
            self.AllocationBooked,
            project_id=project_id,
            allocation_id=allocation_id,
            start_date=start_date,
            end_date=end_date,
            actor=actor,
        )

    def _require_within_dates(
        self, booked: dict[str, date] | None, start_date: date, end_date: date
    ) -> None:
        """Each date the command sets (both for a new allocation; an amended end date)
        must lie within the engagement's dates, when it has them (a deal from HubSpot
        may not). A date already booked is not judged again: an allocation granted
        before this rule, or before the engagement's dates were narrowed, still takes
        its other amendments."""
        if self.start_date is None or self.end_date is None:
            return
        for field, day in (("start_date", start_date), ("end_date", end_date)):
            if booked is not None and booked[field] == day:
                continue
            if not self.start_date <= day <= self.end_date:
                raise RuleViolation(
                    f"the period {start_date.isoformat()} to {end_date.isoformat()} is not "
                    f"within the engagement “{self.name}”, which runs "
                    f"{self.start_date.isoformat()} to {self.end_date.isoformat()}: an "
                    "allocation must lie within its engagement's dates",
                    field,
                )

    class AllocationBooked(Aggregate.Event):
        project_id: UUID
        allocation_id: UUID
        start_date: date
        end_date: date
        actor: str

        def apply(self, engagement: Engagement) -> None:
            project = engagement.projects[str(self.project_id)]
            period = {"start_date": self.start_date, "end_date": self.end_date}
            project["schedule"][str(self.allocation_id)] = period
            if str(self.allocation_id) not in project["allocation_ids"]:
                project["allocation_ids"].append(str(self.allocation_id))

    def release_allocation(self, *, project_id: UUID, allocation_id: UUID, actor: str) -> None:
        """Free a cancelled allocation's period so another can take it."""
        self.trigger_event(
            self.AllocationReleased, project_id=project_id, allocation_id=allocation_id, actor=actor
        )

    class AllocationReleased(Aggregate.Event):
        project_id: UUID
        allocation_id: UUID
        actor: str

        def apply(self, engagement: Engagement) -> None:
            engagement.projects[str(self.project_id)]["schedule"].pop(str(self.allocation_id), None)

    # Statements

    def issue_statement(
        self, *, statement_id: UUID, month: str, document: dict[str, Any], actor: str
    ) -> None:
        """Record a monthly report as sent to the partner. A month is stated once;
        later changes to it go into the next statement's adjustments."""
        if month in self.statements:
            raise Conflict(
                f"{month} was already stated (statement {self.statements[month]['id']}); "
                "later work for it shows as adjustments in the next statement"
            )
        self.trigger_event(
            self.StatementIssued,
            statement_id=statement_id,
            month=month,
            document=document,
            actor=actor,
        )

    class StatementIssued(Aggregate.Event):
        statement_id: UUID
        month: str
        document: dict[str, Any]
        actor: str

        def apply(self, engagement: Engagement) -> None:
            engagement.statements[self.month] = {
                "id": str(self.statement_id),
                "version": self.originator_version,
            }

    # Queries

    def project(self, project_id: UUID) -> dict[str, Any]:
        try:
            return self.projects[str(project_id)]
        except KeyError:
            raise NotFound(f"project {project_id} is not part of this engagement") from None

    @property
    def source(self) -> str:
        return "hubspot" if self.deal_id is not None else "manual"

    def require_open(self) -> None:
        """New projects, grants, bookings and recordings need an open engagement;
        corrections of work already recorded do not."""
        if self.closed:
            raise Conflict(
                f"engagement {self.id} was closed ({self.close_reason}); "
                "it takes no new projects, allocations or activities"
            )
