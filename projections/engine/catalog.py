"""The read models there are, and `Projections`: all of them bound to one event
store, their views in the store's own database (so an event and a view row can be
compared, and a view rebuilt, with nothing else to configure)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from eventsourcing.application import Application
from eventsourcing.persistence import InterfaceError, OperationalError
from eventsourcing.postgres import PostgresDatastore
from eventsourcing.projection import Projection
from eventsourcing.sqlite import SQLiteDatastore
from eventsourcing.utils import retry

from projections.activities import (
    ActivityLedger,
    PostgresActivityLedgerView,
    SQLiteActivityLedgerView,
)
from projections.balances import PostgresBalancesView, SQLiteBalancesView
from projections.balances_projection import Balances
from projections.engine.failures import Failure, ViewFailures, current
from projections.engine.views import View
from projections.merkle import MerkleTree, PostgresMerkleView, SQLiteMerkleView
from projections.team import PostgresTeamView, SQLiteTeamView, Team
from projections.usage import MonthlyUsage, PostgresMonthlyUsageView, SQLiteMonthlyUsageView


@dataclass(frozen=True)
class Kind:
    projection: type[Projection[Any]]
    sqlite_view: type[View]
    postgres_view: type[View]
    description: str


CATALOG: dict[str, Kind] = {
    "balances": Kind(
        Balances,
        SQLiteBalancesView,
        PostgresBalancesView,
        "engagements, projects and allocation balances",
    ),
    "activities": Kind(
        ActivityLedger,
        SQLiteActivityLedgerView,
        PostgresActivityLedgerView,
        "each activity in its current state, with its late flag",
    ),
    "usage": Kind(
        MonthlyUsage,
        SQLiteMonthlyUsageView,
        PostgresMonthlyUsageView,
        "units per allocation and per member, by month",
    ),
    "team": Kind(
        Team, SQLiteTeamView, PostgresTeamView, "team members, line managers and FTE history"
    ),
    "merkle": Kind(
        MerkleTree,
        SQLiteMerkleView,
        PostgresMerkleView,
        "the Merkle tree over the log (RFC 9162) beside its signed checkpoints",
    ),
}
NAMES = tuple(CATALOG)

# A pooled connection broken by a database restart fails once and is discarded.
_once_more = retry((InterfaceError, OperationalError), max_attempts=2, wait=0.1)


class Projections:
    """Every read model of one application's event store.

    `namespace` prefixes the table names, so that a second, independent set of views
    (a fresh replay to compare with) can live beside the served one."""

    def __init__(self, app: Application[Any], namespace: str = "", names: Iterable[str] = NAMES):
        self.app = app
        self.application_name = app.name
        self.datastore = app.factory.datastore  # type: ignore[attr-defined]
        self.namespace = namespace
        self.views: dict[str, View] = {}
        self.projections: dict[str, Projection[Any]] = {}
        for name in names:
            view = self._view_class(CATALOG[name])(self.datastore, namespace=namespace)
            view.create_table()
            self.views[name] = view
            self.projections[name] = CATALOG[name].projection(view=view)
        self.failure_log = ViewFailures(self.datastore, namespace)
        self.failure_log.create_table()

    def _view_class(self, kind: Kind) -> type[View]:
        if isinstance(self.datastore, PostgresDatastore):
            return kind.postgres_view
        if isinstance(self.datastore, SQLiteDatastore):
            return kind.sqlite_view
        raise TypeError(f"no views for a {type(self.datastore).__name__}")

    @property
    def is_postgres(self) -> bool:
        return isinstance(self.datastore, PostgresDatastore)

    @_once_more
    def head(self) -> int:
        """The position of the last event in the log (0 when empty). One plain query,
        tried twice at most, so that an outage shows at once."""
        events = self.app.recorder.events_table_name  # type: ignore[attr-defined]
        if self.is_postgres:
            schema = self.datastore.schema.replace('"', '""')
            sql = f'SELECT MAX(notification_id) AS head FROM "{schema}"."{events}"'
        else:
            sql = f"SELECT MAX(rowid) AS head FROM {events}"
        return self._read(sql)[0]["head"] or 0

    @_once_more
    def positions(self, names: Iterable[str] | None = None) -> dict[str, int]:
        """The last position each view has processed, read in one query."""
        chosen = list(names) if names is not None else list(self.views)
        if not chosen:
            return {}
        app_name = self.application_name.replace("'", "''")
        sql = " UNION ALL ".join(
            f"SELECT '{name}' AS name, MAX(notification_id) AS position "
            f"FROM {self.views[name].table('tracking')} WHERE application_name = '{app_name}'"
            for name in chosen
        )
        return {row["name"]: row["position"] or 0 for row in self._read(sql)}

    def _read(self, sql: str) -> list[Any]:
        """The rows of one query. On PostgreSQL not in a transaction: one statement
        reads as consistently in autocommit, where a read-only transaction costs two
        more round trips (BEGIN, ROLLBACK) and, at its ROLLBACK, psycopg drops the
        connection's prepared statements (DEALLOCATE ALL, a third). The follower
        and every read waiting for its writes ask for the head and the positions
        often."""
        if self.is_postgres:
            with self.datastore.get_connection() as conn, conn.cursor() as cursor:
                cursor.execute(sql)
                return cursor.fetchall()
        with self.datastore.transaction(commit=False) as cursor:
            cursor.execute(sql)
            return cursor.fetchall()

    @_once_more
    def failures(
        self, names: Iterable[str] | None = None, positions: dict[str, int] | None = None
    ) -> dict[str, Failure]:
        """The views (of those named) stuck on an event they failed to apply, given
        their positions (read when not given): see failures.py."""
        chosen = list(names) if names is not None else list(self.views)
        recorded = self.failure_log.read(chosen)
        if not recorded:
            return {}
        if positions is None:
            positions = self.positions(list(recorded))
        return current(recorded, positions)

    def view(self, name: str) -> Any:
        return self.views[name]

    def dump(self) -> dict[str, Any]:
        """Every view's rows and position: equal for two sets built from one log."""
        positions = self.positions()
        return {
            name: {"position": positions[name], "tables": view.dump()}
            for name, view in self.views.items()
        }
