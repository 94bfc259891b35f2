"""Monthly usage: units per allocation per month and per team member per month, an
activity counting in the month of its last day. A correction moves its units between
months or members; a retraction takes them away. Reports read these sums, so their
cost follows the number of allocations and members, not the length of the log.

The sums per allocation keep their earlier values (history.py): read as of a log
position, each sum a report needs is looked up by its key in the history, so that read
too costs one index lookup per sum, however long the history has grown. The sums per
member keep none: as of a position, the capacity report adds up the month's activities
as they stood (activities.py), which it can afford (one month), and recording saves an
archive row."""

from __future__ import annotations

from typing import Any

from eventsourcing.dispatch import singledispatchmethod
from eventsourcing.persistence import Tracking
from eventsourcing.projection import Projection

from projections.engine.encoding import uid
from projections.engine.history import STAMP, Versioned
from projections.engine.views import PostgresView, SQLiteView, View
from service.domain import Allocation
from service.domain.calendar import Month, month_of

BY_ALLOCATION = (
    "allocation_id TEXT NOT NULL, month TEXT NOT NULL, units INTEGER NOT NULL, "
    f"{STAMP}, PRIMARY KEY (allocation_id, month)"
)
ALLOCATION_SUMS = Versioned(
    "by_allocation", key=("allocation_id", "month"), columns=("allocation_id", "month", "units")
)


class MonthlyUsageView(View):
    name = "usage"
    version = 2
    tables = {
        "by_allocation": BY_ALLOCATION,
        "by_allocation_history": ALLOCATION_SUMS.history_definitions(BY_ALLOCATION),
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
    indexes = {
        "by_allocation_month": ("by_allocation", "month"),
        "by_allocation_history_key": ("by_allocation_history", "allocation_id, month, valid_to"),
    }

    def by_allocation_until(
        self, month: Month, as_of: int | None = None
    ) -> dict[str, dict[str, int]]:
        """allocation id -> {"month": units in the month, "to_date": units up to its end};
        with `as_of`, as they stood at that log position."""
        usage: dict[str, dict[str, int]] = {}
        units, params = "c.units", {"month": str(month)}
        if as_of is not None:
            units, params["as_of"] = ALLOCATION_SUMS.value_as_of("units"), as_of
        with self.reading() as tx:
            for row in tx.rows(
                f"SELECT c.allocation_id, c.month, {units} AS units "
                "FROM {by_allocation} c WHERE c.month <= :month",
                **params,
            ):
                if row["units"] is None:  # no such sum yet at as_of
                    continue
                figures = usage.setdefault(row["allocation_id"], {"month": 0, "to_date": 0})
                figures["to_date"] += row["units"]
                if row["month"] == str(month):
                    figures["month"] += row["units"]
        return usage

    def by_member_in(self, month: Month) -> dict[str, int]:
        """team member -> units in the month (as of a position: activities.py)."""
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
            _count(tx, entry, +1, tracking.notification_id)

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
            if all(after[k] == before[k] for k in ("units", "team_member", "month")):
                return  # a description or a first day: no sum changes
            _count(tx, before, -1, tracking.notification_id)
            _count(tx, after, +1, tracking.notification_id)
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
            _count(tx, before, -1, tracking.notification_id)
            tx.run("DELETE FROM {activities} WHERE id = :id", id=before["id"])

    @process_event.register(Allocation.ActivityMoved)
    def _moved(self, event: Any, tracking: Tracking) -> None:
        """The activity's units leave one allocation's sum for the other's. The same event
        is on both allocations; the one it joins acts, in one step, so as of any position
        the units count on exactly one of them."""
        if event.originator_id != event.to_allocation_id:
            self.view.track(tracking)
            return
        with self.view.transaction(tracking) as tx:
            before = tx.row("SELECT * FROM {activities} WHERE id = :id", id=uid(event.activity_id))
            if before is None:
                return
            after = {**before, "allocation_id": uid(event.originator_id)}
            _count(tx, before, -1, tracking.notification_id)
            _count(tx, after, +1, tracking.notification_id)
            tx.run(
                "UPDATE {activities} SET allocation_id = :allocation_id WHERE id = :id",
                id=after["id"],
                allocation_id=after["allocation_id"],
            )


def _count(tx: Any, entry: dict[str, Any], sign: int, position: int) -> None:
    """Add the entry's units to its sums (or take them away), keeping the earlier
    value of the allocation's sum: an archive and two upserts."""
    units = sign * entry["units"]
    allocation_id, team_member, month = entry["allocation_id"], entry["team_member"], entry["month"]
    ALLOCATION_SUMS.archive(tx, position, allocation_id=allocation_id, month=month)
    tx.run(
        "INSERT INTO {by_allocation} VALUES (:allocation_id, :month, :units, :position) "
        "ON CONFLICT (allocation_id, month) DO UPDATE "
        "SET units = {by_allocation}.units + :units, valid_from = :position",
        allocation_id=allocation_id,
        month=month,
        units=units,
        position=position,
    )
    tx.run(
        "INSERT INTO {by_member} VALUES (:team_member, :month, :units) "
        "ON CONFLICT (team_member, month) DO UPDATE SET units = {by_member}.units + :units",
        team_member=team_member,
        month=month,
        units=units,
    )
