"""The activity ledger: every activity in its current state (corrections applied,
retractions marked), with the month it counts in (that of its last day), the month
it was recorded in, and whether it was recorded late (more than 14 days after its
last day; a correction of the dates re-decides it against the original recording).
An imported activity (`imported`) is stamped with the moment it was first recorded,
in the spreadsheet it came from, so lateness is judged from then, never from the import.

A correction or a retraction keeps the activity's earlier version (history.py), so the
reports can list the activities of a month as they stood at a log position: the
history of a month holds the earlier versions of its activities only, few next to the
month's activities themselves.

Its handlers fold events into rows in memory (readmodel.py): the live follower and a
rebuild run the same ones."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from operator import itemgetter
from typing import Any

from projections.engine.encoding import day, moment, to_moment, uid
from projections.engine.history import STAMP, Versioned
from projections.engine.readmodel import Event, ReadModel, handles
from projections.engine.rows import Rows
from service.domain import Allocation
from service.domain.activity import CORRECTABLE_FIELDS as CORRECTABLE
from service.domain.balance import is_late
from service.domain.calendar import Month, days_late, month_of, utc_month_of

ACTIVITIES = (
    "id TEXT PRIMARY KEY, allocation_id TEXT NOT NULL, team_member TEXT NOT NULL, "
    "units INTEGER NOT NULL, description TEXT NOT NULL, date_from TEXT NOT NULL, "
    "date_to TEXT NOT NULL, month TEXT NOT NULL, recorded_by TEXT NOT NULL, "
    "recorded_at TEXT NOT NULL, recorded_month TEXT NOT NULL, late INTEGER NOT NULL, "
    "days_late INTEGER NOT NULL, retracted INTEGER NOT NULL, corrections INTEGER NOT NULL, "
    "after_close INTEGER NOT NULL, imported INTEGER NOT NULL, position BIGINT NOT NULL, " + STAMP
)
VERSIONS = Versioned(
    "activities",
    key=("id",),
    columns=(
        "id", "allocation_id", "team_member", "units", "description", "date_from", "date_to",
        "month", "recorded_by", "recorded_at", "recorded_month", "late", "days_late",
        "retracted", "corrections", "after_close", "imported", "position",
    ),
)  # fmt: skip
LIVE_IN_MONTH = "month = :month AND retracted = 0"
MONTHLY_COLUMNS = (
    "id, allocation_id, team_member, units, description, date_from, date_to, recorded_at, "
    "late, after_close"
)
"""What the monthly report lists of each activity (reports/resources.py `activity_entry`):
a month holds thousands, whose other columns would be fetched only to be dropped."""
LATE_IN_MONTH = "recorded_month = :month AND late = 1 AND retracted = 0"
MEMBER_FILTERS = {
    "allocation_id": "allocation_id = :allocation_id",
    "month": "month = :month",
    "late": "late = :late",
    "corrected": "(CASE WHEN corrections > 0 THEN 1 ELSE 0 END) = :corrected",
}
"""What a member's list of activities may be narrowed by (`page_of_member`): the
allocation, the month the activity counts in, recorded late or not, corrected or not
(the two flags as 1 or 0, as the table holds them)."""


class ActivityLedger(ReadModel):
    name = "activities"
    version = 4
    tables = {
        "activities": ACTIVITIES,
        "activities_history": VERSIONS.history_definitions(ACTIVITIES),
    }
    indexes = {
        "activities_by_allocation": ("activities", "allocation_id, position"),
        "activities_by_month": ("activities", "month, retracted"),
        "activities_by_recorded_month": ("activities", "recorded_month, late"),
        "activities_by_member": ("activities", "team_member, position"),
        "history_by_month": ("activities_history", "month, retracted"),
        "history_by_recorded_month": ("activities_history", "recorded_month, late"),
    }
    keys = {"activities": ("id",)}
    versioned = (VERSIONS,)

    # Folding

    def prefetch(self, rows: Rows, events: Sequence[Event]) -> None:
        """The activities the events change (a recording makes its own): one statement."""
        rows.load(
            "activities",
            "id",
            [
                uid(event.activity_id)
                for event, _ in events
                if not isinstance(event, Allocation.ActivityRecorded)
            ],
        )

    @handles(Allocation.ActivityRecorded)
    def _recorded(self, rows: Rows, event: Any, position: int) -> None:
        recorded_on = event.timestamp.date()
        rows.put(
            "activities",
            {
                "id": uid(event.activity_id),
                "allocation_id": uid(event.originator_id),
                "team_member": event.team_member,
                "units": event.units,
                "description": event.description,
                "date_from": day(event.date_from),
                "date_to": day(event.date_to),
                "month": month_of(event.date_to),
                "recorded_by": event.recorded_by,
                "recorded_at": moment(event.timestamp),
                "recorded_month": utc_month_of(event.timestamp),
                "late": int(is_late(event.date_to, recorded_on)),
                "days_late": days_late(event.date_to, recorded_on),
                "retracted": 0,
                "corrections": 0,
                "after_close": int(event.after_close),
                "imported": int(event.imported),
                "position": position,
                "valid_from": position,
            },
        )

    @handles(Allocation.ActivityCorrected)
    def _corrected(self, rows: Rows, event: Any, position: int) -> None:
        current = rows.get("activities", uid(event.activity_id))
        if current is None:
            return
        changes = {k: v for k, v in event.changes.items() if k in CORRECTABLE}
        values = {k: day(v) if k.startswith("date_") else v for k, v in changes.items()}
        if "date_to" in changes:
            recorded_on = to_moment(current["recorded_at"]).date()
            values["month"] = month_of(changes["date_to"])
            values["late"] = int(is_late(changes["date_to"], recorded_on))
            values["days_late"] = days_late(changes["date_to"], recorded_on)
        values["corrections"] = current["corrections"] + 1
        _change(rows, current, event, position, **values)

    @handles(Allocation.ActivityRetracted)
    def _retracted(self, rows: Rows, event: Any, position: int) -> None:
        current = rows.get("activities", uid(event.activity_id))
        if current is not None:
            _change(rows, current, event, position, retracted=1)

    @handles(Allocation.ActivityMoved)
    def _moved(self, rows: Rows, event: Any, position: int) -> None:
        """A move changes the activity's allocation, nothing else: its recording, and so
        its `late`, stay. The same event is on both allocations; the one it joins acts,
        and the row's earlier version keeps the allocation it left (reports as of then)."""
        if event.originator_id != event.to_allocation_id:
            return
        current = rows.get("activities", uid(event.activity_id))
        if current is not None:
            _change(rows, current, event, position, allocation_id=uid(event.originator_id))

    # Reads

    def of_allocation(self, allocation_id: str) -> list[dict[str, Any]]:
        """Every activity recorded on the allocation, in the order recorded."""
        with self.reading() as tx:
            return tx.rows(
                "SELECT * FROM {activities} WHERE allocation_id = :a ORDER BY position",
                a=allocation_id,
            )

    def page_of_member(
        self,
        member: str,
        *,
        limit: int | None,
        offset: int = 0,
        **only: Any,
    ) -> tuple[list[dict[str, Any]], int]:
        """The member's activities (retracted ones too) by the date of the work, newest
        first, that match `only` (MEMBER_FILTERS: each given one narrows them), `limit`
        of them from `offset` (every one from there without a limit), and how many
        match in all."""
        conditions, params = ["team_member = :m"], {"m": member}
        for name, value in only.items():
            if value is not None:
                conditions.append(MEMBER_FILTERS[name])
                params[name] = int(value) if isinstance(value, bool) else str(value)
        where = " AND ".join(conditions)
        page, paging = "", {}
        if limit is not None:
            page, paging = " LIMIT :limit OFFSET :offset", {"limit": limit, "offset": offset}
        with self.reading() as tx:
            rows = tx.rows(
                f"SELECT * FROM {{activities}} WHERE {where} "
                f"ORDER BY date_from DESC, date_to DESC, position DESC{page}",
                **params,
                **paging,
            )
            count = tx.row(f"SELECT COUNT(*) AS n FROM {{activities}} WHERE {where}", **params)
        return rows, count["n"] if count else 0

    def of_member(self, member: str, activity_id: str) -> dict[str, Any] | None:
        """One of the member's activities; None when it is not theirs (or none)."""
        with self.reading() as tx:
            return tx.row(
                "SELECT * FROM {activities} WHERE id = :id AND team_member = :m",
                id=activity_id,
                m=member,
            )

    def of_member_between(self, member: str, first: date, last: date) -> list[dict[str, Any]]:
        """The member's activities that count and touch the days `first` to `last`, in
        the order recorded: a week of their work (My week)."""
        with self.reading() as tx:
            return tx.rows(
                "SELECT * FROM {activities} WHERE team_member = :m AND retracted = 0 "
                "AND date_to >= :first AND date_from <= :last ORDER BY position",
                m=member,
                first=day(first),
                last=day(last),
            )

    def allocation_ids_of_member(self, member: str) -> list[str]:
        """The allocations the member has recorded work on (retracted entries too: the
        member once recorded there), each once, in the order first recorded: with the
        allocations they provide, what the member records on."""
        with self.reading() as tx:
            return [
                row["allocation_id"]
                for row in tx.rows(
                    "SELECT allocation_id, MIN(position) AS first FROM {activities} "
                    "WHERE team_member = :m GROUP BY allocation_id ORDER BY first",
                    m=member,
                )
            ]

    def live_in_month(self, month: Month, as_of: int | None = None) -> list[dict[str, Any]]:
        """The activities that count in the month, in date order; with `as_of`, as
        they stood at that log position. Sorted here, not by the database: PostgreSQL
        compares text under the database's collation (strcoll), Python compares code
        points, the same order for these ISO dates, times and ids; a month's 3,400
        activities came 40% sooner on PostgreSQL, as soon on SQLite."""
        rows = self._select(LIVE_IN_MONTH, None, month, as_of, MONTHLY_COLUMNS)
        return sorted(rows, key=itemgetter("date_from", "date_to", "recorded_at", "id"))

    def recorded_late_in(self, month: Month, as_of: int | None = None) -> list[dict[str, Any]]:
        """Live activities recorded late during the month (UTC); with `as_of`, as they
        stood at that log position."""
        return self._select(LATE_IN_MONTH, "recorded_at, id", month, as_of)

    def units_by_member(self, month: Month, as_of: int) -> dict[str, int]:
        """team member -> units of the live activities counting in the month, as they
        stood at log position `as_of`: the `usage` view's sums per member, as of then."""
        with self.reading() as tx:
            return {
                row["team_member"]: row["units"]
                for row in tx.rows(
                    "SELECT team_member, SUM(units) AS units "
                    f"FROM ({VERSIONS.rows_as_of(LIVE_IN_MONTH)}) AS v GROUP BY team_member",
                    month=str(month),
                    as_of=as_of,
                )
            }

    def units_by_allocation_and_member(
        self, month: Month, as_of: int | None = None
    ) -> dict[tuple[str, str], int]:
        """(allocation id, team member) -> units of the live activities counting in the
        month; with `as_of`, as they stood at that log position. Who recorded on what: the
        late report's silent providers."""
        source, params = "{activities}", {"month": str(month)}
        if as_of is not None:
            source, params["as_of"] = f"({VERSIONS.rows_as_of(LIVE_IN_MONTH)}) AS v", as_of
        with self.reading() as tx:
            return {
                (row["allocation_id"], row["team_member"]): row["units"]
                for row in tx.rows(
                    "SELECT allocation_id, team_member, SUM(units) AS units "
                    f"FROM {source} WHERE {LIVE_IN_MONTH} GROUP BY allocation_id, team_member",
                    **params,
                )
            }

    def last_days_worked(self) -> dict[tuple[str, str], str]:
        """(allocation id, team member) -> the latest last day of their live activities
        on it: how long a provider has been quiet (notice planning)."""
        with self.reading() as tx:
            return {
                (row["allocation_id"], row["team_member"]): row["last_day"]
                for row in tx.rows(
                    "SELECT allocation_id, team_member, MAX(date_to) AS last_day "
                    "FROM {activities} WHERE retracted = 0 GROUP BY allocation_id, team_member"
                )
            }

    def live_since(self, first_day: date, recorded_from: datetime) -> list[dict[str, Any]]:
        """The live activities whose last day is `first_day` or later, or recorded from
        `recorded_from` on: the recent work notice planning reads."""
        with self.reading() as tx:
            return tx.rows(
                "SELECT allocation_id, team_member, date_from, date_to, recorded_at, late "
                "FROM {activities} WHERE retracted = 0 "
                "AND (date_to >= :first_day OR recorded_at >= :recorded_from)",
                first_day=day(first_day),
                recorded_from=moment(recorded_from),
            )

    def _select(
        self,
        condition: str,
        order: str | None,
        month: Month,
        as_of: int | None,
        columns: str = "*",
    ) -> list[dict[str, Any]]:
        source, params = "{activities}", {"month": str(month)}
        if as_of is not None:
            source, params["as_of"] = f"({VERSIONS.rows_as_of(condition)}) AS v", as_of
        with self.reading() as tx:
            ordered = f" ORDER BY {order}" if order else ""
            return tx.rows(f"SELECT {columns} FROM {source} WHERE {condition}{ordered}", **params)


def _change(rows: Rows, current: dict[str, Any], event: Any, position: int, **values: Any) -> None:
    """Change the activity at `position`, keeping its earlier version. An activity
    changed in a closed month stays flagged, whatever changes it later."""
    after_close = 1 if event.after_close else current["after_close"]
    rows.revise("activities", (current["id"],), position, after_close=after_close, **values)
