"""Monthly usage: units per allocation per month and per team member per month, an
activity counting in the month of its last day. A correction moves its units between
months or members; a retraction takes them away. Reports read these sums, so their
cost follows the number of allocations and members, not the length of the log."""

from __future__ import annotations

from typing import Any

from eventsourcing.dispatch import singledispatchmethod
from eventsourcing.persistence import Tracking
from eventsourcing.projection import Projection

from projections.engine.calendar import Month, month_of
from projections.engine.encoding import uid
from projections.engine.views import PostgresView, SQLiteView, View
from service.domain import Allocation


class MonthlyUsageView(View):
    name = "usage"
    tables = {
        "by_allocation": (
            "allocation_id TEXT NOT NULL, month TEXT NOT NULL, units INTEGER NOT NULL, "
            "PRIMARY KEY (allocation_id, month)"
        ),
        "by_member": (
            "team_member TEXT NOT NULL, month TEXT NOT NULL, units INTEGER NOT NULL, "
            "PRIMARY KEY (team_member, month)"
        ),
        # Where each live activity's units are counted now, to move them on correction.
        "activities": (
            "id TEXT PRIMARY KEY, allocation_id TEXT NOT NULL, team_member TEXT NOT NULL, "
            "units INTEGER NOT NULL, month TEXT NOT NULL"
        ),
    }
    indexes = {"by_allocation_month": ("by_allocation", "month")}

    def by_allocation_until(self, month: Month) -> dict[str, dict[str, int]]:
        """allocation id -> {"month": units in the month, "to_date": units up to its end}."""
        usage: dict[str, dict[str, int]] = {}
        with self.reading() as tx:
            for row in tx.rows(
                "SELECT allocation_id, month, units FROM {by_allocation} WHERE month <= :month",
                month=str(month),
            ):
                figures = usage.setdefault(row["allocation_id"], {"month": 0, "to_date": 0})
                figures["to_date"] += row["units"]
                if row["month"] == str(month):
                    figures["month"] += row["units"]
        return usage

    def by_member_in(self, month: Month) -> dict[str, int]:
        with self.reading() as tx:
            return {
                row["team_member"]: row["units"]
                for row in tx.rows(
                    "SELECT team_member, units FROM {by_member} WHERE month = :month",
                    month=str(month),
                )
            }


class SQLiteMonthlyUsageView(MonthlyUsageView, SQLiteView):
    pass


class PostgresMonthlyUsageView(MonthlyUsageView, PostgresView):
    pass


class MonthlyUsage(Projection[MonthlyUsageView]):
    name = "usage"

    @singledispatchmethod
    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        self.view.track(tracking)

    @process_event.register(Allocation.ActivityRecorded)
    def _recorded(self, event: Any, tracking: Tracking) -> None:
        entry = {
            "id": uid(event.activity_id),
            "allocation_id": uid(event.originator_id),
            "team_member": event.team_member,
            "units": event.units,
            "month": month_of(event.date_to),
        }
        with self.view.transaction(tracking) as tx:
            tx.run(
                "INSERT INTO {activities} "
                "VALUES (:id, :allocation_id, :team_member, :units, :month)",
                **entry,
            )
            _count(tx, entry, +1)

    @process_event.register(Allocation.ActivityCorrected)
    def _corrected(self, event: Any, tracking: Tracking) -> None:
        with self.view.transaction(tracking) as tx:
            before = tx.row("SELECT * FROM {activities} WHERE id = :id", id=uid(event.activity_id))
            if before is None:
                return
            changes = event.changes
            after = {
                **before,
                "units": changes.get("units", before["units"]),
                "team_member": changes.get("team_member", before["team_member"]),
                "month": month_of(changes["date_to"]) if "date_to" in changes else before["month"],
            }
            _count(tx, before, -1)
            _count(tx, after, +1)
            tx.run(
                "UPDATE {activities} SET units = :units, team_member = :team_member, "
                "month = :month WHERE id = :id",
                **{k: after[k] for k in ("id", "units", "team_member", "month")},
            )

    @process_event.register(Allocation.ActivityRetracted)
    def _retracted(self, event: Any, tracking: Tracking) -> None:
        with self.view.transaction(tracking) as tx:
            before = tx.row("SELECT * FROM {activities} WHERE id = :id", id=uid(event.activity_id))
            if before is None:
                return
            _count(tx, before, -1)
            tx.run("DELETE FROM {activities} WHERE id = :id", id=before["id"])


def _count(tx: Any, entry: dict[str, Any], sign: int) -> None:
    units = sign * entry["units"]
    tx.run(
        "INSERT INTO {by_allocation} VALUES (:allocation_id, :month, :units) "
        "ON CONFLICT (allocation_id, month) DO UPDATE SET units = {by_allocation}.units + :units",
        allocation_id=entry["allocation_id"],
        month=entry["month"],
        units=units,
    )
    tx.run(
        "INSERT INTO {by_member} VALUES (:team_member, :month, :units) "
        "ON CONFLICT (team_member, month) DO UPDATE SET units = {by_member}.units + :units",
        team_member=entry["team_member"],
        month=entry["month"],
        units=units,
    )
