"""Allocation balances and engagement summaries: what `GET /api/allocations` and
`GET /api/engagements` list, and the terms the monthly and capacity reports use.

Each allocation row holds its current terms and the units used (recorded minus
retracted, corrections applied); status, pace and percentages depend on the day
asked about, so they are computed when read, with the same `balance()` function the
write side uses.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from eventsourcing.dispatch import singledispatchmethod
from eventsourcing.persistence import Tracking
from eventsourcing.projection import Projection

from projections.engine.calendar import Month
from projections.engine.encoding import (
    day,
    decimal_text,
    moment,
    to_json,
    uid,
)
from projections.engine.views import PostgresView, SQLiteView, View
from service.domain import Allocation, Engagement

STATUS_SQL = (
    "CASE WHEN cancelled_on IS NOT NULL THEN 'cancelled' "
    "WHEN start_date > :today THEN 'upcoming' "
    "WHEN end_date < :today THEN 'completed' "
    "WHEN units_used >= units THEN 'exhausted' ELSE 'active' END"
)
"""`service.domain.balance.status` in SQL, so that lists filter and page in the
database; a test holds the two to the same answers."""

ENGAGEMENT_FIELDS = ("name", "community", "description", "start_date", "end_date", "contacts")


class BalancesView(View):
    name = "balances"
    tables = {
        "engagements": (
            "id TEXT PRIMARY KEY, name TEXT NOT NULL, community TEXT NOT NULL, "
            "description TEXT NOT NULL, start_date TEXT, end_date TEXT, contacts TEXT NOT NULL, "
            "portal_id BIGINT, deal_id TEXT, amount TEXT, deal_details TEXT NOT NULL, "
            "closed INTEGER NOT NULL, created_on TEXT NOT NULL, position BIGINT NOT NULL"
        ),
        "projects": (
            "id TEXT PRIMARY KEY, engagement_id TEXT NOT NULL, name TEXT NOT NULL, "
            "outcome TEXT NOT NULL, position BIGINT NOT NULL"
        ),
        "allocations": (
            "id TEXT PRIMARY KEY, engagement_id TEXT NOT NULL, project_id TEXT NOT NULL, "
            "start_date TEXT NOT NULL, end_date TEXT NOT NULL, description TEXT NOT NULL, "
            "provider TEXT, units INTEGER NOT NULL, units_used INTEGER NOT NULL, "
            "cancelled_on TEXT, cancel_reason TEXT, version INTEGER NOT NULL, "
            "modified_on TEXT NOT NULL, position BIGINT NOT NULL"
        ),
        # Each activity's units as they now stand, to turn a correction or a
        # retraction into a change of the allocation's units used.
        "activity_units": (
            "id TEXT PRIMARY KEY, allocation_id TEXT NOT NULL, units INTEGER NOT NULL, "
            "live INTEGER NOT NULL"
        ),
    }
    indexes = {
        "engagements_in_order": ("engagements", "position"),
        "projects_by_engagement": ("projects", "engagement_id, position"),
        "allocations_in_order": ("allocations", "position"),
        "allocations_by_engagement": ("allocations", "engagement_id, position"),
        "allocations_by_end": ("allocations", "end_date, start_date"),
    }

    # Reads

    def engagements_page(
        self, *, limit: int, offset: int, only: str | None = None
    ) -> tuple[list[dict[str, Any]], int]:
        where, params = ("WHERE id = :only", {"only": only}) if only else ("", {})
        with self.reading() as tx:
            rows = tx.rows(
                f"SELECT * FROM {{engagements}} {where} "
                "ORDER BY position LIMIT :limit OFFSET :offset",
                limit=limit,
                offset=offset,
                **params,
            )
            count = tx.row(f"SELECT COUNT(*) AS n FROM {{engagements}} {where}", **params)
        return rows, count["n"] if count else 0

    def allocations_page(
        self,
        *,
        today: date,
        limit: int,
        offset: int,
        status: str | None = None,
        engagement_id: str | None = None,
    ) -> tuple[list[dict[str, Any]], int]:
        conditions, params = [], {"today": day(today)}
        if status:
            conditions.append(f"{STATUS_SQL} = :status")
            params["status"] = status
        if engagement_id:
            conditions.append("engagement_id = :engagement_id")
            params["engagement_id"] = engagement_id
        where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
        with self.reading() as tx:
            rows = tx.rows(
                f"SELECT * FROM {{allocations}} {where} "
                "ORDER BY position LIMIT :limit OFFSET :offset",
                limit=limit,
                offset=offset,
                **params,
            )
            count = tx.row(f"SELECT COUNT(*) AS n FROM {{allocations}} {where}", **params)
        return rows, count["n"] if count else 0

    def engagement(self, engagement_id: str) -> dict[str, Any] | None:
        with self.reading() as tx:
            return tx.row("SELECT * FROM {engagements} WHERE id = :id", id=engagement_id)

    def allocation(self, allocation_id: str) -> dict[str, Any] | None:
        with self.reading() as tx:
            return tx.row("SELECT * FROM {allocations} WHERE id = :id", id=allocation_id)

    def projects_and_allocations(
        self, engagement_id: str
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """The engagement's projects and every allocation ever granted to them
        (cancelled ones too), each in the order made."""
        with self.reading() as tx:
            projects = tx.rows(
                "SELECT * FROM {projects} WHERE engagement_id = :e ORDER BY position",
                e=engagement_id,
            )
            allocations = tx.rows(
                "SELECT * FROM {allocations} WHERE engagement_id = :e ORDER BY position",
                e=engagement_id,
            )
        return projects, allocations

    def allocations_overlapping(
        self, month: Month, engagement_id: str | None = None
    ) -> list[dict[str, Any]]:
        """Allocations whose period touches the month, in the order granted."""
        condition, params = "", {}
        if engagement_id:
            condition = "AND engagement_id = :engagement_id"
            params = {"engagement_id": engagement_id}
        with self.reading() as tx:
            return tx.rows(
                "SELECT * FROM {allocations} WHERE end_date >= :first AND start_date <= :last "
                f"{condition} ORDER BY position",
                first=day(month.first_day),
                last=day(month.last_day),
                **params,
            )

    def engagements_and_projects(
        self, engagement_id: str | None = None
    ) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
        engagement_filter, project_filter, params = "", "", {}
        if engagement_id:
            engagement_filter, project_filter = "WHERE id = :e", "WHERE engagement_id = :e"
            params = {"e": engagement_id}
        with self.reading() as tx:
            engagements = tx.rows(
                f"SELECT * FROM {{engagements}} {engagement_filter} ORDER BY position", **params
            )
            projects = tx.rows(
                f"SELECT * FROM {{projects}} {project_filter} ORDER BY position", **params
            )
        return {e["id"]: e for e in engagements}, {p["id"]: p for p in projects}


class SQLiteBalancesView(BalancesView, SQLiteView):
    pass


class PostgresBalancesView(BalancesView, PostgresView):
    pass


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
        )

    def _insert_engagement(self, event: Any, tracking: Tracking, **fields: Any) -> None:
        with self.view.transaction(tracking) as tx:
            tx.run(
                "INSERT INTO {engagements} VALUES (:id, :name, :community, :description, "
                ":start_date, :end_date, :contacts, :portal_id, :deal_id, :amount, '{}', 0, "
                ":created_on, :position)",
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
        with self.view.transaction(tracking) as tx:
            if values:
                assignments = ", ".join(f"{field} = :{field}" for field in values)
                tx.run(
                    f"UPDATE {{engagements}} SET {assignments} WHERE id = :id",
                    id=uid(event.originator_id),
                    **values,
                )

    @process_event.register(Engagement.EngagementClosed)
    def _closed(self, event: Any, tracking: Tracking) -> None:
        with self.view.transaction(tracking) as tx:
            tx.run(
                "UPDATE {engagements} SET closed = 1 WHERE id = :id", id=uid(event.originator_id)
            )

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
                ":version, :modified_on, :position)",
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
            tx.run(
                "UPDATE {allocations} SET units = COALESCE(:units, units), "
                "end_date = COALESCE(:end_date, end_date), "
                "description = COALESCE(:description, description), "
                "version = :version, modified_on = :modified_on WHERE id = :id",
                units=event.units,
                end_date=day(event.end_date),
                description=event.description,
                **_versioned(event),
            )

    @process_event.register(Allocation.AllocationCancelled)
    def _cancelled(self, event: Any, tracking: Tracking) -> None:
        with self.view.transaction(tracking) as tx:
            tx.run(
                "UPDATE {allocations} SET cancelled_on = :cancelled_on, cancel_reason = :reason, "
                "version = :version, modified_on = :modified_on WHERE id = :id",
                cancelled_on=day(event.timestamp.date()),
                reason=event.reason,
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

    @staticmethod
    def _use(tx: Any, event: Any, units: int) -> None:
        tx.run(
            "UPDATE {allocations} SET units_used = units_used + :units, version = :version, "
            "modified_on = :modified_on WHERE id = :id",
            units=units,
            **_versioned(event),
        )


def _units_of(tx: Any, activity_id: Any) -> dict[str, Any] | None:
    return tx.row("SELECT units FROM {activity_units} WHERE id = :id", id=uid(activity_id))


def _versioned(event: Any) -> dict[str, Any]:
    return {
        "id": uid(event.originator_id),
        "version": event.originator_version,
        "modified_on": moment(event.timestamp),
    }
