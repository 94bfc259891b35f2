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

from collections.abc import Sequence
from typing import Any

from projections.engine.encoding import uid
from projections.engine.history import STAMP, Versioned
from projections.engine.readmodel import Event, ReadModel, handles
from projections.engine.rows import Rows
from service.domain import Allocation
from service.domain.calendar import Month, month_of

BY_ALLOCATION = (
    "allocation_id TEXT NOT NULL, month TEXT NOT NULL, units INTEGER NOT NULL, "
    f"{STAMP}, PRIMARY KEY (allocation_id, month)"
)
ALLOCATION_SUMS = Versioned(
    "by_allocation", key=("allocation_id", "month"), columns=("allocation_id", "month", "units")
)


class MonthlyUsage(ReadModel):
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
    keys = {
        "by_allocation": ("allocation_id", "month"),
        "by_member": ("team_member", "month"),
        "activities": ("id",),
    }
    versioned = (ALLOCATION_SUMS,)

    # Folding

    def prefetch(self, rows: Rows, events: Sequence[Event]) -> None:
        """The activities the events name, then the sums of their allocations and
        members (before and after): two round trips."""
        rows.load("activities", "id", [uid(event.activity_id) for event, _ in events])
        allocations, members = set(), set()
        for event, _ in events:
            allocations.add(uid(event.originator_id))
            members.add(getattr(event, "team_member", None))
            members.add(event.changes.get("team_member") if hasattr(event, "changes") else None)
            held = rows.get("activities", uid(event.activity_id))
            if held is not None:
                allocations.add(held["allocation_id"])
                members.add(held["team_member"])
        rows.load_together(
            [("by_allocation", "allocation_id", allocations), ("by_member", "team_member", members)]
        )

    @handles(Allocation.ActivityRecorded)
    def _recorded(self, rows: Rows, event: Any, position: int) -> None:
        entry = {
            "id": uid(event.activity_id),
            "allocation_id": uid(event.originator_id),
            "team_member": event.team_member,
            "units": event.units,
            "month": month_of(event.date_to),
        }
        rows.put("activities", entry)
        _count(rows, entry, +1, position)

    @handles(Allocation.ActivityCorrected)
    def _corrected(self, rows: Rows, event: Any, position: int) -> None:
        before = rows.get("activities", uid(event.activity_id))
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
        _count(rows, before, -1, position)
        _count(rows, after, +1, position)
        rows.put("activities", after)

    @handles(Allocation.ActivityRetracted)
    def _retracted(self, rows: Rows, event: Any, position: int) -> None:
        before = rows.get("activities", uid(event.activity_id))
        if before is None:
            return
        _count(rows, before, -1, position)
        rows.delete("activities", before["id"])

    @handles(Allocation.ActivityMoved)
    def _moved(self, rows: Rows, event: Any, position: int) -> None:
        """The activity's units leave one allocation's sum for the other's. The same event
        is on both allocations; the one it joins acts, in one step, so as of any position
        the units count on exactly one of them."""
        if event.originator_id != event.to_allocation_id:
            return
        before = rows.get("activities", uid(event.activity_id))
        if before is None:
            return
        after = {**before, "allocation_id": uid(event.originator_id)}
        _count(rows, before, -1, position)
        _count(rows, after, +1, position)
        rows.put("activities", after)

    # Reads

    def by_allocation_until(
        self, month: Month, as_of: int | None = None
    ) -> dict[str, dict[str, int]]:
        """allocation id -> {"month": units in the month, "to_date": units up to its end};
        with `as_of`, as they stood at that log position."""
        units, params = "c.units", {"month": str(month)}
        if as_of is not None:
            units, params["as_of"] = ALLOCATION_SUMS.value_as_of("units"), as_of
        # Summed by the database: one row per allocation, not one per allocation and month.
        with self.reading() as tx:
            rows = tx.rows(
                f"SELECT c.allocation_id, SUM({units}) AS to_date, "
                f"SUM(CASE WHEN c.month = :month THEN {units} ELSE 0 END) AS month "
                "FROM {by_allocation} c WHERE c.month <= :month "
                f"GROUP BY c.allocation_id HAVING COUNT({units}) > 0",  # none yet at as_of
                **params,
            )
        return {
            row["allocation_id"]: {"month": row["month"] or 0, "to_date": row["to_date"]}
            for row in rows
        }

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


def _count(rows: Rows, entry: dict[str, Any], sign: int, position: int) -> None:
    """Add the entry's units to its sums (or take them away), keeping the earlier
    value of the allocation's sum."""
    units = sign * entry["units"]
    allocation_id, team_member, month = entry["allocation_id"], entry["team_member"], entry["month"]
    current = rows.get("by_allocation", allocation_id, month)
    if current is None:
        rows.put(
            "by_allocation",
            {
                "allocation_id": allocation_id,
                "month": month,
                "units": units,
                "valid_from": position,
            },
        )
    else:
        rows.revise(
            "by_allocation", (allocation_id, month), position, units=current["units"] + units
        )
    member = rows.get("by_member", team_member, month)
    total = units if member is None else member["units"] + units
    rows.put("by_member", {"team_member": team_member, "month": month, "units": total})
