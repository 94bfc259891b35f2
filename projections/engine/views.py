"""Views: each projection's own tables, kept by a tracking recorder of the
`eventsourcing` library, so that the rows an event changes and that event's position
in the log are committed in one transaction. An event is therefore applied exactly
once whatever crashes, and a view can be dropped and rebuilt by replaying the log.

A view's SQL is written once, portably: `:name` parameters, `{table}` names, TEXT,
INTEGER and BIGINT columns, dates and times as ISO text (which sorts as they do).
`SQLiteView` and `PostgresView` are the two dialects: they differ only in how they name
tables, pass parameters, write many rows and serialise DDL. A read model
(readmodel.py) is handed one of them, made from its declared tables (`spec`): the
dialect is chosen by composition, once, where the read model is bound to a store.

The tracking row is written first in each transaction (an event's, or a batch's
first event's, and again for its last): a second writer that somehow raced the first
would block on that row, then fail the library's "position must increase" check and
roll back, instead of applying an event twice. The views' locks (locks.py) keep that
from happening in the first place.
"""

from __future__ import annotations

import re
import threading
from abc import abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext
from typing import Any, ClassVar

from eventsourcing.persistence import Tracking, TrackingRecorder
from eventsourcing.postgres import PostgresDatastore, PostgresTrackingRecorder
from eventsourcing.sqlite import SQLiteDatastore, SQLiteTrackingRecorder
from psycopg.sql import SQL

from projections.engine.row_writes import PostgresRowWrites, RowWrites, column_names
from service.infra.side_table import PARAMETER, lock_key

IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")
TABLE = re.compile(r"\{(\w+)\}")


def lock_name(name: str, generation: int) -> str:
    """The name the writers of one generation of a read model lock (locks.py): one lock
    per generation, so that a rebuild writes the next one while followers write the
    serving one. Generation 0 keeps the lock of old."""
    return f"{name}_g{generation}" if generation else name


class Tx:
    """One transaction on a view: portable SQL in, rows out as dicts."""

    def __init__(self, view: View, cursor: Any):
        self.view = view
        self.cursor = cursor

    def run(self, sql: str, **params: Any) -> None:
        self.cursor.execute(self.view.compile(sql), params)

    def rows(self, sql: str, **params: Any) -> list[dict[str, Any]]:
        self.run(sql, **params)
        return [dict(row) for row in self.cursor.fetchall()]

    def row(self, sql: str, **params: Any) -> dict[str, Any] | None:
        self.run(sql, **params)
        found = self.cursor.fetchone()
        return None if found is None else dict(found)


class _Batch:
    def __init__(self, cursor: Any):
        self.cursor = cursor
        self.first: Tracking | None = None
        self.last: Tracking | None = None


class View(RowWrites, TrackingRecorder):
    """A projection's tables and its tracking table, in the event store's database."""

    name: ClassVar[str]
    tables: ClassVar[dict[str, str]]
    """logical table name -> column definitions"""
    indexes: ClassVar[dict[str, tuple[str, str]]] = {}
    """index name -> (logical table name, indexed columns)"""
    version: ClassVar[int] = 1
    """Raised when the tables change shape. A version past 1 is part of the tables'
    names (`balances_v2_allocations`, `balances_v2_tracking`): a deployment of new code
    builds its tables beside the earlier version's, which stay untouched for processes
    still running the earlier code (generations.py)."""

    clustered: tuple[str, ...] = ()
    """tables stored in key order where the store can (`clustering`)"""
    kept_tables: ClassVar[dict[str, str]] = {}
    """tables named without version or generation, never dropped (readmodel.py)"""
    binary: ClassVar[str]
    """the store's column type for bytes, for `{binary}` in a table's definition"""
    clustering: ClassVar[str] = ""

    namespace: str
    generation: int
    """Which build of this version the tables hold: a rebuild makes the next one beside
    the serving one (blue/green, generations.py). Past 0 it is part of the tables'
    names (`balances_v4_g1_allocations`); generation 0 keeps the names of old."""

    def _init_view(self, namespace: str, generation: int = 0, spec: Any = None) -> None:
        if spec is not None:
            # The tables of a read model class (readmodel.py), not of a View subclass.
            self.name, self.version = spec.name, spec.version
            self.tables = {t: c.replace("{binary}", self.binary) for t, c in spec.tables.items()}
            self.indexes, self.clustered = spec.indexes, spec.clustered
            self.kept_tables = spec.kept_tables
        if not IDENTIFIER.match(namespace + self.name):
            raise ValueError(f"bad view name {namespace + self.name!r}")
        self.namespace = namespace
        self.generation = generation
        self._compiled: dict[str, str] = {}
        self._local = threading.local()

    # Naming and SQL

    def raw_name(self, logical: str) -> str:
        if logical in self.kept_tables:
            return f"{self.namespace}{self.name}_{logical}"
        version = f"_v{self.version}" if self.version > 1 else ""
        generation = f"_g{self.generation}" if self.generation else ""
        return f"{self.namespace}{self.name}{version}{generation}_{logical}"

    @property
    def lock_name(self) -> str:
        return lock_name(self.name, self.generation)

    def relations(self) -> list[str]:
        """The raw names of the tables it owns (indexes go with them), tracking last."""
        return [self.raw_name(logical) for logical in [*self.tables, "tracking"]]

    @abstractmethod
    def table(self, logical: str) -> str:
        """The table's name as SQL refers to it (qualified on PostgreSQL)."""

    def compile(self, sql: str) -> str:
        compiled = self._compiled.get(sql)
        if compiled is None:
            compiled = self._parameters(TABLE.sub(lambda m: self.table(m[1]), sql))
            self._compiled[sql] = compiled
        return compiled

    @abstractmethod
    def _parameters(self, sql: str) -> str:
        """Rewrite `:name` parameters in the store's own style."""

    def view_ddl(self) -> list[str]:
        statements = [
            f"CREATE TABLE IF NOT EXISTS {self.table(logical)} ({columns})"
            + (self.clustering if logical in self.clustered else "")
            for logical, columns in self.tables.items()
        ]
        statements += [
            f"CREATE TABLE IF NOT EXISTS {self.table(logical)} ({columns})"
            for logical, columns in self.kept_tables.items()
        ]
        statements += [
            f"CREATE INDEX IF NOT EXISTS {self.raw_name(index)} "
            f"ON {self.table(logical)} ({columns})"
            for index, (logical, columns) in self.indexes.items()
        ]
        return statements

    def logical_relations(self) -> list[str]:
        """Every table and index `view_ddl()` and the tracking table make."""
        return [*self.tables, *self.kept_tables, *self.indexes, "tracking"]

    # Transactions

    @contextmanager
    def transaction(self, tracking: Tracking) -> Iterator[Tx]:
        """Apply one event: its rows and its tracking record commit together (or,
        inside `batch()`, with the rest of the batch)."""
        batch = getattr(self._local, "batch", None)
        if batch is not None:
            if batch.first is None:
                # Tracking first: a writer that raced us would wait here, then fail.
                self.write_tracking(batch.cursor, tracking)
                batch.first = tracking
            batch.last = tracking
            yield Tx(self, batch.cursor)
            return
        with self.datastore.transaction(commit=True) as cursor:
            self._insert_tracking(cursor, tracking)
            yield Tx(self, cursor)

    def track(self, tracking: Tracking) -> None:
        """Record that an event that changes nothing here has been seen."""
        with self.transaction(tracking):
            pass

    @contextmanager
    def batch(self, cursor: Any = None) -> Iterator[None]:
        """Apply several events in one transaction: a replay commits once per batch
        instead of once per event, and a crash loses the whole batch or none of it.
        The tracking record is written for the batch's first event (which also locks
        out any other writer until commit) and its last. With `cursor`, in that
        transaction (`batch_transaction()`, shared by the views of a follower's pass)."""
        with nullcontext(cursor) if cursor is not None else self.batch_transaction() as cursor:
            batch = _Batch(cursor)
            self._local.batch = batch
            try:
                yield
                if batch.last is not None and batch.last is not batch.first:
                    self.write_tracking(cursor, batch.last)
            finally:
                self._local.batch = None

    @contextmanager
    def batch_transaction(self) -> Iterator[Any]:
        with self.datastore.transaction(commit=True) as cursor:
            yield cursor

    def write_tracking(self, cursor: Any, tracking: Tracking) -> None:
        """Record a batch's position in its transaction; fails it unless it increases."""
        self._insert_tracking(cursor, tracking)

    @contextmanager
    def reading(self) -> Iterator[Tx]:
        with self.datastore.transaction(commit=False) as cursor:
            yield Tx(self, cursor)

    # Maintenance

    def position(self, application_name: str) -> int:
        return self.max_tracking_id(application_name) or 0

    def drop(self) -> None:
        """Remove the view's tables and its tracking; `create_table()` makes them anew."""
        with self.datastore.transaction(commit=True) as cursor:
            self._serialise_ddl(cursor)
            for logical in [*self.tables, "tracking"]:
                cursor.execute(f"DROP TABLE IF EXISTS {self.table(logical)}")
        self.tracking_table_exists = False
        self.tracking_migration_previous = self.tracking_migration_current = None

    def dump(self) -> dict[str, list[dict[str, Any]]]:
        """Every row of every table, in a stable order: for comparing two views."""
        with self.reading() as tx:
            return {
                logical: tx.rows(f"SELECT * FROM {{{logical}}} ORDER BY {column_names(columns)}")
                for logical, columns in self.tables.items()
            }

    def _serialise_ddl(self, cursor: Any) -> None:
        """Keep concurrent processes from creating or dropping tables at once."""

    @abstractmethod
    def write_rows(
        self, cursor: Any, logical: str, columns: Sequence[str], rows: list[tuple[Any, ...]]
    ) -> None:
        """Insert many rows into a table at once, the fastest way the store has."""


class SQLiteView(View, SQLiteTrackingRecorder):
    """A view in the SQLite file of the event store, with a tracking table of its own
    (the library's SQLite recorder shares one table named `tracking`)."""

    binary = "BLOB"
    clustering = " WITHOUT ROWID"

    def __init__(
        self,
        datastore: SQLiteDatastore,
        *,
        namespace: str = "",
        generation: int = 0,
        spec: Any = None,
    ):
        self._init_view(namespace, generation, spec)
        super().__init__(datastore)
        tracking = self.table("tracking")
        self.insert_tracking_statement = (
            f"INSERT INTO {tracking} VALUES (:application_name, :notification_id) "
            "ON CONFLICT (application_name) DO UPDATE SET notification_id = :notification_id "
            f"WHERE {tracking}.notification_id < :notification_id RETURNING notification_id"
        )
        self.select_max_tracking_id_statement = (
            f"SELECT MAX(notification_id) FROM {tracking} WHERE application_name=?"
        )

    def construct_create_table_statements(self) -> list[str]:
        return [
            f"CREATE TABLE IF NOT EXISTS {self.table('tracking')} (application_name TEXT, "
            "notification_id INTEGER, PRIMARY KEY (application_name)) WITHOUT ROWID",
            *self.view_ddl(),
        ]

    def table(self, logical: str) -> str:
        return self.raw_name(logical)

    def write_rows(
        self, cursor: Any, logical: str, columns: Sequence[str], rows: list[tuple[Any, ...]]
    ) -> None:
        marks = ", ".join("?" for _ in columns)
        cursor.executemany(
            f"INSERT INTO {self.table(logical)} ({', '.join(columns)}) VALUES ({marks})", rows
        )

    def _parameters(self, sql: str) -> str:
        return sql


class PostgresView(PostgresRowWrites, View, PostgresTrackingRecorder):
    """A view in the event store's PostgreSQL schema."""

    binary = "BYTEA"

    def __init__(
        self,
        datastore: PostgresDatastore,
        *,
        namespace: str = "",
        generation: int = 0,
        spec: Any = None,
    ):
        self._init_view(namespace, generation, spec)
        super().__init__(datastore, tracking_table_name=self.raw_name("tracking"))
        self.sql_create_statements.extend(
            SQL(statement)
            for statement in self.view_ddl()  # type: ignore[arg-type]
        )

    def table(self, logical: str) -> str:
        return f"{_quoted(self.datastore.schema)}.{_quoted(self.raw_name(logical))}"

    def _parameters(self, sql: str) -> str:
        return PARAMETER.sub(r"%(\1)s", sql.replace("%", "%%"))

    def write_rows(
        self, cursor: Any, logical: str, columns: Sequence[str], rows: list[tuple[Any, ...]]
    ) -> None:
        with cursor.copy(f"COPY {self.table(logical)} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)

    def write_tracking(self, cursor: Any, tracking: Tracking) -> None:
        """Record the position in a batch's transaction without waiting for the answer
        (the library's statement is fetched, a round trip in pipeline mode): a position
        that does not increase divides by zero, which fails the transaction as the
        library's check would."""
        if not self.datastore.single_row_tracking:
            self._insert_tracking(cursor, tracking)
            return
        table = self.table("tracking")
        cursor.execute(
            f"INSERT INTO {table} VALUES (%(application_name)s, %(notification_id)s) "
            "ON CONFLICT (application_name) DO UPDATE SET notification_id = "
            f"EXCLUDED.notification_id / (CASE WHEN {table}.notification_id "
            "< EXCLUDED.notification_id THEN 1 ELSE 0 END)",
            {
                "application_name": tracking.application_name,
                "notification_id": tracking.notification_id,
            },
            prepare=True,
        )

    def _create_table(self, curs: Any) -> None:
        self._serialise_ddl(curs)
        if self.tracking_migration_previous and self._all_relations_exist(curs):
            return
        super()._create_table(curs)

    def _all_relations_exist(self, curs: Any) -> bool:
        """Whether the tables and indexes are all there already, read from the catalogue
        (which locks no table). `CREATE INDEX IF NOT EXISTS` takes a SHARE lock on its
        table before it finds the index made; a process starting while another one's
        follower writes two views in one transaction deadlocked on those locks."""
        names = [self.raw_name(logical) for logical in self.logical_relations()]
        curs.execute(
            "SELECT count(*) AS found FROM pg_class JOIN pg_namespace "
            "ON pg_namespace.oid = pg_class.relnamespace "
            "WHERE nspname = %s AND relname = ANY(%s)",
            (self.datastore.schema, names),
        )
        return curs.fetchone()["found"] == len(names)

    @contextmanager
    def batch_transaction(self) -> Iterator[Any]:
        # Pipeline mode sends a batch's statements without waiting for each answer:
        # a replay is bound by round trips otherwise.
        with self.datastore.transaction(commit=True) as cursor, cursor.connection.pipeline():
            yield cursor

    def _serialise_ddl(self, cursor: Any) -> None:
        # CREATE TABLE IF NOT EXISTS is not safe against itself run concurrently
        # (two gunicorn workers starting at once): take a transaction-scoped lock.
        cursor.execute(
            "SELECT pg_advisory_xact_lock(%s)", (lock_key(f"{self.datastore.schema}:ddl"),)
        )


def _quoted(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'
