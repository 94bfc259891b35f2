"""What the API and the reports ask of the balances read model (balances.py): pages of
engagements and allocations, an allocation's status on a day, and terms as of a log
position. Status, pace and percentages depend on the day asked about, so they are
computed when read, with the same rules the write side uses."""

from __future__ import annotations

from datetime import date
from typing import Any

from projections.engine.encoding import day
from projections.readmodels.balances_tables import ALLOCATION_TERMS, ENGAGEMENT_VERSIONS
from service.domain.calendar import Month

STATUS_SQL = (
    "CASE WHEN cancelled_on IS NOT NULL THEN 'cancelled' "
    "WHEN start_date > :today THEN 'upcoming' "
    "WHEN end_date < :today THEN 'completed' "
    "WHEN units_used >= units THEN 'exhausted' ELSE 'active' END"
)
"""`service.domain.balance.status` in SQL, so that lists filter and page in the
database; a test holds the two to the same answers."""


class BalancesReads:
    """The reads of `Balances`, on its tables (mixed into it: `self.reading()` is
    the read model's)."""

    def engagements_page(
        self, *, limit: int, offset: int, only: str | None = None
    ) -> tuple[list[dict[str, Any]], int]:
        where, params = ("WHERE id = :only", {"only": only}) if only else ("", {})
        return self._page("engagements", where, params, limit=limit, offset=offset)

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
        return self._page("allocations", where, params, limit=limit, offset=offset)

    def _page(
        self, table: str, where: str, params: dict[str, Any], *, limit: int, offset: int
    ) -> tuple[list[dict[str, Any]], int]:
        """One page of `table`'s rows that match `where`, in the order they came, and how
        many match in all (for the page's total)."""
        with self.reading() as tx:
            rows = tx.rows(
                f"SELECT * FROM {{{table}}} {where} ORDER BY position LIMIT :limit OFFSET :offset",
                limit=limit,
                offset=offset,
                **params,
            )
            count = tx.row(f"SELECT COUNT(*) AS n FROM {{{table}}} {where}", **params)
        return rows, count["n"] if count else 0

    def allocations_with_status(
        self, *, today: date, statuses: tuple[str, ...], ids: tuple[str, ...] | None = None
    ) -> list[dict[str, Any]]:
        """Allocations in one of `statuses` on `today`, in the order granted; with
        `ids`, only those (a member's page: theirs and those they recorded on)."""
        params: dict[str, Any] = {"today": day(today)}
        params.update({f"s{i}": status for i, status in enumerate(statuses)})
        condition = f"{STATUS_SQL} IN ({', '.join(f':s{i}' for i in range(len(statuses)))})"
        if ids is not None:
            if not ids:
                return []
            params.update({f"i{i}": allocation_id for i, allocation_id in enumerate(ids)})
            condition += f" AND id IN ({', '.join(f':i{i}' for i in range(len(ids)))})"
        with self.reading() as tx:
            return tx.rows(
                f"SELECT * FROM {{allocations}} WHERE {condition} ORDER BY position", **params
            )

    def allocations_ending_from(self, first_day: date) -> list[dict[str, Any]]:
        """Allocations whose period ends on `first_day` or later, in the order granted."""
        with self.reading() as tx:
            return tx.rows(
                "SELECT * FROM {allocations} WHERE end_date >= :first ORDER BY position",
                first=day(first_day),
            )

    def allocation_ids_of_provider(self, member: str) -> list[str]:
        with self.reading() as tx:
            return [
                row["id"]
                for row in tx.rows("SELECT id FROM {allocations} WHERE provider = :m", m=member)
            ]

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
        self, month: Month, engagement_id: str | None = None, as_of: int | None = None
    ) -> list[dict[str, Any]]:
        """Allocations whose period touches the month, in the order granted; with
        `as_of`, their terms as they stood at that log position (history.py)."""
        condition = "end_date >= :first AND start_date <= :last"
        params: dict[str, Any] = {"first": day(month.first_day), "last": day(month.last_day)}
        if engagement_id:
            condition += " AND engagement_id = :engagement_id"
            params["engagement_id"] = engagement_id
        source = "{allocations}"
        if as_of is not None:
            source, params["as_of"] = f"({ALLOCATION_TERMS.rows_as_of(condition)}) AS v", as_of
        with self.reading() as tx:
            return tx.rows(f"SELECT * FROM {source} WHERE {condition} ORDER BY position", **params)

    def engagements_and_projects(
        self, engagement_id: str | None = None, as_of: int | None = None
    ) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
        """Engagements and projects by id (in the order made); with `as_of`, as they
        stood at that log position."""
        engagement_filter, project_filter, params = "1 = 1", "1 = 1", {}
        if engagement_id:
            engagement_filter, project_filter = "id = :e", "engagement_id = :e"
            params = {"e": engagement_id}
        engagements = "{engagements}"
        if as_of is not None:
            engagements = f"({ENGAGEMENT_VERSIONS.rows_as_of(engagement_filter)}) AS v"
            project_filter += " AND position <= :as_of"
            params["as_of"] = as_of
        with self.reading() as tx:
            found = tx.rows(
                f"SELECT * FROM {engagements} WHERE {engagement_filter} ORDER BY position",
                **params,
            )
            projects = tx.rows(
                f"SELECT * FROM {{projects}} WHERE {project_filter} ORDER BY position", **params
            )
        return {e["id"]: e for e in found}, {p["id"]: p for p in projects}
