"""Allocation balances and engagement summaries: what `GET /api/allocations` and
`GET /api/engagements` list, and the terms the monthly and capacity reports use.

Each allocation row holds its current terms and the units used (recorded minus
retracted, corrections applied); status, pace and percentages depend on the day
asked about, so they are computed when read, with the same `balance()` function the
write side uses. The events that keep these tables are in balances_projection.py.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from projections.engine.encoding import (
    day,
)
from projections.engine.history import STAMP, Versioned
from projections.engine.views import PostgresView, SQLiteView, View
from service.domain.calendar import Month

STATUS_SQL = (
    "CASE WHEN cancelled_on IS NOT NULL THEN 'cancelled' "
    "WHEN start_date > :today THEN 'upcoming' "
    "WHEN end_date < :today THEN 'completed' "
    "WHEN units_used >= units THEN 'exhausted' ELSE 'active' END"
)
"""`service.domain.balance.status` in SQL, so that lists filter and page in the
database; a test holds the two to the same answers."""

ENGAGEMENT_FIELDS = ("name", "community", "description", "start_date", "end_date", "contacts")

ENGAGEMENTS = (
    "id TEXT PRIMARY KEY, name TEXT NOT NULL, community TEXT NOT NULL, "
    "description TEXT NOT NULL, start_date TEXT, end_date TEXT, contacts TEXT NOT NULL, "
    "portal_id BIGINT, deal_id TEXT, amount TEXT, deal_details TEXT NOT NULL, "
    "closed INTEGER NOT NULL, created_on TEXT NOT NULL, position BIGINT NOT NULL, "
    "currency TEXT, deal_stage TEXT, deal_stage_at TEXT, deal_reopened INTEGER NOT NULL, " + STAMP
)
"""`currency`: the deal's, with its `amount` (a decimal string); `deal_stage`, `deal_stage_at`:
where the deal stands, as the latest stage change recorded says (DealClosedWon, DealReopened,
DealWonAgain) and when it happened; `deal_reopened`: the won deal has moved out of closed-won
(version 4 added these four)."""
ALLOCATIONS = (
    "id TEXT PRIMARY KEY, engagement_id TEXT NOT NULL, project_id TEXT NOT NULL, "
    "start_date TEXT NOT NULL, end_date TEXT NOT NULL, description TEXT NOT NULL, "
    "provider TEXT, units INTEGER NOT NULL, units_used INTEGER NOT NULL, "
    "cancelled_on TEXT, cancel_reason TEXT, version INTEGER NOT NULL, "
    "modified_on TEXT NOT NULL, position BIGINT NOT NULL, provider_departed_on TEXT, " + STAMP
)
"""`provider_departed_on`: the date the provider's departure takes effect, if recorded
(kept from the view's `members`, so `provider_departed` is read with the row); current rows'
only, not versioned: the reports as of a position take departures from the team view."""
ENGAGEMENT_VERSIONS = Versioned(
    "engagements",
    key=("id",),
    columns=(
        "id", "name", "community", "description", "start_date", "end_date", "contacts",
        "portal_id", "deal_id", "amount", "deal_details", "closed", "created_on", "position",
        "currency", "deal_stage", "deal_stage_at", "deal_reopened",
    ),
)  # fmt: skip
ALLOCATION_TERMS = Versioned(
    "allocations",
    key=("id",),
    columns=(
        "id", "engagement_id", "project_id", "start_date", "end_date", "description",
        "provider", "units", "cancelled_on", "cancel_reason", "position",
    ),
)  # fmt: skip
"""An allocation's terms are versioned, not its units used (changed by every activity):
the reports take the units used from `usage`, itself versioned."""


class BalancesView(View):
    """Projects are never changed: as of N, those defined at or before N. Engagements
    and allocation terms keep their versions (history.py)."""

    name = "balances"
    version = 4
    tables = {
        "engagements": ENGAGEMENTS,
        "engagements_history": ENGAGEMENT_VERSIONS.history_definitions(ENGAGEMENTS),
        "projects": (
            "id TEXT PRIMARY KEY, engagement_id TEXT NOT NULL, name TEXT NOT NULL, "
            "outcome TEXT NOT NULL, position BIGINT NOT NULL"
        ),
        "allocations": ALLOCATIONS,
        "allocations_history": ALLOCATION_TERMS.history_definitions(ALLOCATIONS),
        # Each activity's units as they now stand, to turn a correction or a
        # retraction into a change of the allocation's units used.
        "activity_units": (
            "id TEXT PRIMARY KEY, allocation_id TEXT NOT NULL, units INTEGER NOT NULL, "
            "live INTEGER NOT NULL"
        ),
        # The team's handles and departures, for the allocations they provide (a
        # departure event names the member's stream, not their handle).
        "members": "member_id TEXT PRIMARY KEY, handle TEXT NOT NULL, departed_on TEXT",
    }
    indexes = {
        "engagements_in_order": ("engagements", "position"),
        "projects_by_engagement": ("projects", "engagement_id, position"),
        "allocations_in_order": ("allocations", "position"),
        "allocations_by_engagement": ("allocations", "engagement_id, position"),
        "allocations_by_end": ("allocations", "end_date, start_date"),
        "allocations_by_provider": ("allocations", "provider"),
        "members_by_handle": ("members", "handle"),
        "engagements_history_by_id": ("engagements_history", "id, valid_to"),
        "allocations_history_by_end": ("allocations_history", "end_date, start_date"),
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


class SQLiteBalancesView(BalancesView, SQLiteView):
    pass


class PostgresBalancesView(BalancesView, PostgresView):
    pass
