"""A table of the service's own beside the event store's, in the same database (and, on
PostgreSQL, the same schema): browser sessions, rendered PDFs, views' failures. Each
is bookkeeping every process must see, not a fact of the ledger, so it lives next to
the log rather than in it.

One way to talk to such a table on both stores: portable SQL with `:name` parameters
(rewritten to psycopg's `%(name)s` on PostgreSQL), its name quoted with the schema on
PostgreSQL, and its DDL made once however many processes start together.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from eventsourcing.postgres import PostgresDatastore

PARAMETER = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")


def lock_key(text: str) -> int:
    """A stable signed 64-bit key for PostgreSQL advisory locks."""
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big", signed=True)


def quoted(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


class SideTable:
    """One such table of one event store's database, named `name`."""

    def __init__(self, datastore: Any, name: str):
        self.datastore = datastore
        self.is_postgres = isinstance(datastore, PostgresDatastore)
        self.table = f"{quoted(datastore.schema)}.{quoted(name)}" if self.is_postgres else name

    def create(self, columns: str) -> None:
        """CREATE TABLE IF NOT EXISTS races itself on PostgreSQL when processes start
        together, so it runs under the schema's DDL lock (the read models' too)."""
        with self.transaction(commit=True) as sql:
            if self.is_postgres:
                sql.run(
                    "SELECT pg_advisory_xact_lock(:key)",
                    key=lock_key(f"{self.datastore.schema}:ddl"),
                )
            sql.run(f"CREATE TABLE IF NOT EXISTS {self.table} ({columns})")

    @contextmanager
    def transaction(self, commit: bool) -> Iterator[Statements]:
        """Statements in one transaction, committed when `commit`. On PostgreSQL a read
        (commit=False) is one statement in autocommit instead: without the BEGIN,
        ROLLBACK and lost prepared statements of a read-only transaction."""
        if self.is_postgres and not commit:
            with self.datastore.get_connection() as conn, conn.cursor() as cursor:
                yield Statements(cursor, self.is_postgres)
            return
        with self.datastore.transaction(commit=commit) as cursor:
            yield Statements(cursor, self.is_postgres)


class Statements:
    """Portable SQL (`:name` parameters) on one cursor."""

    def __init__(self, cursor: Any, is_postgres: bool):
        self.cursor = cursor
        self.is_postgres = is_postgres

    def run(self, sql: str, **params: Any) -> None:
        self.cursor.execute(PARAMETER.sub(r"%(\1)s", sql) if self.is_postgres else sql, params)

    def row(self, sql: str, **params: Any) -> dict[str, Any] | None:
        self.run(sql, **params)
        found = self.cursor.fetchone()
        return None if found is None else dict(found)

    def rows(self, sql: str, **params: Any) -> list[dict[str, Any]]:
        self.run(sql, **params)
        return [dict(row) for row in self.cursor.fetchall()]
