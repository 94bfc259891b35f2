"""Keeps the balances view (balances.py) up to date with engagement and allocation
events: engagements, projects, allocation terms and units used. Changes of an
engagement or of an allocation's terms keep the row's earlier version (history.py),
so the reports can be read as of a log position; an activity changes only the units
used, which the reports read from `usage` instead, so recording writes no history here.
"""

from __future__ import annotations

from typing import Any

from eventsourcing.dispatch import singledispatchmethod
from eventsourcing.persistence import Tracking
from eventsourcing.projection import Projection

from projections.engine.encoding import day, decimal_text, moment, to_json, uid
from projections.readmodels.balances import (
    ALLOCATION_TERMS,
    ENGAGEMENT_FIELDS,
    ENGAGEMENT_VERSIONS,
    BalancesView,
)
from service.domain import Allocation, Engagement, TeamMember

DEPARTURE_OF_PROVIDER = "SELECT departed_on FROM {members} WHERE handle = :provider"
"""The departure of the allocation's provider (none: NULL), as the view knows it."""


class Balances(Projection[BalancesView]):
    """Keeps `BalancesView` up to date with engagement and allocation events."""

    name = "balances"

    @singledispatchmethod
    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        self.view.track(tracking)

    # Engagements and projects

    @process_event.register(Engagement.EngagementOpened)
    def _opened(self, event: Any, tracking: Tracking) -> None:
        self._insert_engagement(
            event,
            tracking,
            name=event.name,
            community=event.community,
            description=event.description,
            start_date=day(event.start_date),
            end_date=day(event.end_date),
            contacts=to_json(event.contacts),
            portal_id=None,
            deal_id=None,
            amount=None,
            deal_stage=None,
            deal_stage_at=None,
        )

    @process_event.register(Engagement.DealClosedWon)
    def _deal_won(self, event: Any, tracking: Tracking) -> None:
        self._insert_engagement(
            event,
            tracking,
            name=event.name,
            community="",
            description="",
            start_date=None,
            end_date=None,
            contacts=to_json([]),
            portal_id=event.portal_id,
            deal_id=event.deal_id,
            amount=decimal_text(event.amount),
            deal_stage=event.stage,
            deal_stage_at=None if event.close_time is None else moment(event.close_time),
        )

    def _insert_engagement(self, event: Any, tracking: Tracking, **fields: Any) -> None:
        with self.view.transaction(tracking) as tx:
            tx.run(
                "INSERT INTO {engagements} (id, name, community, description, start_date, "
                "end_date, contacts, portal_id, deal_id, amount, deal_details, closed, "
                "created_on, position, currency, deal_stage, deal_stage_at, deal_reopened, "
                "valid_from) VALUES (:id, :name, :community, :description, :start_date, "
                ":end_date, :contacts, :portal_id, :deal_id, :amount, '{}', 0, :created_on, "
                ":position, NULL, :deal_stage, :deal_stage_at, 0, :position)",
                id=uid(event.originator_id),
                created_on=moment(event.timestamp),
                position=tracking.notification_id,
                **fields,
            )

    @process_event.register(Engagement.EngagementDetailsUpdated)
    def _details_updated(self, event: Any, tracking: Tracking) -> None:
        changes = event.changes
        values: dict[str, Any] = {}
        for field in ENGAGEMENT_FIELDS:
            if field in changes:
                value = changes[field]
                values[field] = (
                    to_json(value)
                    if field == "contacts"
                    else day(value)
                    if field.endswith("_date")
                    else value
                )
        if "deal" in changes:
            values["deal_details"] = to_json(changes["deal"])
        if "amount" in changes:
            values["amount"] = decimal_text(changes["amount"])
        if "currency" in changes:
            values["currency"] = changes["currency"]
        with self.view.transaction(tracking) as tx:
            if values:
                _revise_engagement(tx, event, tracking, values)

    @process_event.register(Engagement.DealReopened)
    @process_event.register(Engagement.DealWonAgain)
    def _deal_stage_changed(self, event: Any, tracking: Tracking) -> None:
        """The aggregate recorded the move only if it was newer than the last: the row
        simply takes it, so a rebuild ends where the live view did."""
        reopened = isinstance(event, Engagement.DealReopened)
        with self.view.transaction(tracking) as tx:
            _revise_engagement(
                tx,
                event,
                tracking,
                {
                    "deal_stage": event.stage,
                    "deal_stage_at": moment(event.occurred_at),
                    "deal_reopened": int(reopened),
                },
            )

    @process_event.register(Engagement.EngagementClosed)
    def _closed(self, event: Any, tracking: Tracking) -> None:
        with self.view.transaction(tracking) as tx:
            _revise_engagement(tx, event, tracking, {"closed": 1})

    @process_event.register(Engagement.ProjectDefined)
    def _project_defined(self, event: Any, tracking: Tracking) -> None:
        with self.view.transaction(tracking) as tx:
            tx.run(
                "INSERT INTO {projects} VALUES (:id, :engagement_id, :name, :outcome, :position)",
                id=uid(event.project_id),
                engagement_id=uid(event.originator_id),
                name=event.name,
                outcome=event.outcome,
                position=tracking.notification_id,
            )

    # Allocations

    @process_event.register(Allocation.AllocationGranted)
    def _granted(self, event: Any, tracking: Tracking) -> None:
        with self.view.transaction(tracking) as tx:
            tx.run(
                "INSERT INTO {allocations} VALUES (:id, :engagement_id, :project_id, "
                ":start_date, :end_date, :description, :provider, :units, 0, NULL, NULL, "
                f":version, :modified_on, :position, ({DEPARTURE_OF_PROVIDER}), :position)",
                id=uid(event.originator_id),
                engagement_id=uid(event.engagement_id),
                project_id=uid(event.project_id),
                start_date=day(event.start_date),
                end_date=day(event.end_date),
                description=event.description,
                provider=event.provider,
                units=event.units,
                version=event.originator_version,
                modified_on=moment(event.timestamp),
                position=tracking.notification_id,
            )

    @process_event.register(Allocation.AllocationAmended)
    def _amended(self, event: Any, tracking: Tracking) -> None:
        with self.view.transaction(tracking) as tx:
            ALLOCATION_TERMS.archive(tx, tracking.notification_id, id=uid(event.originator_id))
            tx.run(
                "UPDATE {allocations} SET units = COALESCE(:units, units), "
                "end_date = COALESCE(:end_date, end_date), "
                "description = COALESCE(:description, description), "
                "version = :version, modified_on = :modified_on, valid_from = :position "
                "WHERE id = :id",
                units=event.units,
                end_date=day(event.end_date),
                description=event.description,
                position=tracking.notification_id,
                **_versioned(event),
            )
            if event.provider is not None:
                tx.run(
                    "UPDATE {allocations} SET provider = :provider, "
                    f"provider_departed_on = ({DEPARTURE_OF_PROVIDER}) WHERE id = :id",
                    id=uid(event.originator_id),
                    provider=event.provider,
                )

    @process_event.register(Allocation.AllocationCancelled)
    def _cancelled(self, event: Any, tracking: Tracking) -> None:
        with self.view.transaction(tracking) as tx:
            ALLOCATION_TERMS.archive(tx, tracking.notification_id, id=uid(event.originator_id))
            tx.run(
                "UPDATE {allocations} SET cancelled_on = :cancelled_on, cancel_reason = :reason, "
                "version = :version, modified_on = :modified_on, valid_from = :position "
                "WHERE id = :id",
                cancelled_on=day(event.timestamp.date()),
                reason=event.reason,
                position=tracking.notification_id,
                **_versioned(event),
            )

    @process_event.register(Allocation.ActivityRecorded)
    def _recorded(self, event: Any, tracking: Tracking) -> None:
        with self.view.transaction(tracking) as tx:
            tx.run(
                "INSERT INTO {activity_units} VALUES (:id, :allocation_id, :units, 1)",
                id=uid(event.activity_id),
                allocation_id=uid(event.originator_id),
                units=event.units,
            )
            self._use(tx, event, event.units)

    @process_event.register(Allocation.ActivityCorrected)
    def _corrected(self, event: Any, tracking: Tracking) -> None:
        with self.view.transaction(tracking) as tx:
            delta = 0
            if "units" in event.changes:
                old = _units_of(tx, event.activity_id)
                delta = event.changes["units"] - (old["units"] if old else 0)
                tx.run(
                    "UPDATE {activity_units} SET units = :units WHERE id = :id",
                    id=uid(event.activity_id),
                    units=event.changes["units"],
                )
            self._use(tx, event, delta)

    @process_event.register(Allocation.ActivityRetracted)
    def _retracted(self, event: Any, tracking: Tracking) -> None:
        with self.view.transaction(tracking) as tx:
            old = _units_of(tx, event.activity_id)
            tx.run("UPDATE {activity_units} SET live = 0 WHERE id = :id", id=uid(event.activity_id))
            self._use(tx, event, -(old["units"] if old else 0))

    @process_event.register(Allocation.ActivityMoved)
    def _moved(self, event: Any, tracking: Tracking) -> None:
        """The same event on both allocations: the units leave one, join the other."""
        joins = event.originator_id == event.to_allocation_id
        with self.view.transaction(tracking) as tx:
            if joins:
                tx.run(
                    "UPDATE {activity_units} SET allocation_id = :allocation_id WHERE id = :id",
                    id=uid(event.activity_id),
                    allocation_id=uid(event.originator_id),
                )
            self._use(tx, event, event.units if joins else -event.units)

    # The team: whose departure flags the allocations they provide

    @process_event.register(TeamMember.TeamMemberRegistered)
    def _member_registered(self, event: Any, tracking: Tracking) -> None:
        with self.view.transaction(tracking) as tx:
            tx.run(
                "INSERT INTO {members} VALUES (:member_id, :handle, NULL)",
                member_id=uid(event.originator_id),
                handle=event.handle,
            )

    @process_event.register(TeamMember.TeamMemberDeparted)
    def _member_departed(self, event: Any, tracking: Tracking) -> None:
        member_id, departed_on = uid(event.originator_id), day(event.effective_date)
        with self.view.transaction(tracking) as tx:
            tx.run(
                "UPDATE {members} SET departed_on = :departed_on WHERE member_id = :member_id",
                member_id=member_id,
                departed_on=departed_on,
            )
            tx.run(
                "UPDATE {allocations} SET provider_departed_on = :departed_on "
                "WHERE provider = (SELECT handle FROM {members} WHERE member_id = :member_id)",
                member_id=member_id,
                departed_on=departed_on,
            )

    @staticmethod
    def _use(tx: Any, event: Any, units: int) -> None:
        tx.run(
            "UPDATE {allocations} SET units_used = units_used + :units, version = :version, "
            "modified_on = :modified_on WHERE id = :id",
            units=units,
            **_versioned(event),
        )


def _revise_engagement(tx: Any, event: Any, tracking: Tracking, values: dict[str, Any]) -> None:
    """Change an engagement's row, keeping its version before the change."""
    engagement_id, position = uid(event.originator_id), tracking.notification_id
    ENGAGEMENT_VERSIONS.archive(tx, position, id=engagement_id)
    assignments = "".join(f"{field} = :{field}, " for field in values)
    tx.run(
        f"UPDATE {{engagements}} SET {assignments}valid_from = :position WHERE id = :id",
        id=engagement_id,
        position=position,
        **values,
    )


def _units_of(tx: Any, activity_id: Any) -> dict[str, Any] | None:
    return tx.row("SELECT units FROM {activity_units} WHERE id = :id", id=uid(activity_id))


def _versioned(event: Any) -> dict[str, Any]:
    return {
        "id": uid(event.originator_id),
        "version": event.originator_version,
        "modified_on": moment(event.timestamp),
    }
