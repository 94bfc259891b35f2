"""Where events are stored: the environment that points the eventsourcing library at
SQLite or PostgreSQL, and the two queries the library does not offer (the log position
of a given event; which of many streams exist)."""

from __future__ import annotations

import sys
from collections.abc import Collection, Mapping
from pathlib import Path
from urllib.parse import unquote, urlparse
from uuid import UUID

from eventsourcing.persistence import (
    ApplicationRecorder,
    InterfaceError,
    OperationalError,
    StoredEvent,
)
from eventsourcing.popo import POPOApplicationRecorder
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder
from eventsourcing.utils import retry

from service.infra.postgres_failfast import ATTEMPTS

DEFAULT_DATABASE_URL = "sqlite:///var/ledger.sqlite3"


class DatabaseURLError(ValueError):
    """DATABASE_URL is not a sqlite:/// or postgresql:// URL we can use."""


# Keep recently used aggregates in memory. Safe with several processes: every read
# fast-forwards the cached copy with the events stored since, and commands get a deep
# copy, so a refused or clashing command never leaves a mark on the cached one.
AGGREGATE_CACHE = {
    "AGGREGATE_CACHE_MAXSIZE": "2000",
    "AGGREGATE_CACHE_FASTFORWARD": "y",
    "DEEPCOPY_FROM_AGGREGATE_CACHE": "y",
}


def persistence_environment(database_url: str) -> dict[str, str]:
    """Translate DATABASE_URL into the eventsourcing library's settings."""
    url = urlparse(database_url)
    if url.scheme == "sqlite":
        # sqlite:///var/x is relative to the working directory, sqlite:////srv/x absolute.
        path = url.path[1:]
        if not path:
            raise DatabaseURLError(
                "a sqlite DATABASE_URL needs a file: sqlite:///var/ledger.sqlite3"
            )
        return {
            **AGGREGATE_CACHE,
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": path,
            "SQLITE_LOCK_TIMEOUT": "10",
        }
    if url.scheme in ("postgresql", "postgres"):
        if not url.path.strip("/"):
            raise DatabaseURLError("a postgresql DATABASE_URL needs a database name")
        env = {
            **AGGREGATE_CACHE,
            "PERSISTENCE_MODULE": "service.infra.postgres_failfast:FailFastPostgresFactory",
            "POSTGRES_DBNAME": unquote(url.path.strip("/")),
            "POSTGRES_HOST": url.hostname or "127.0.0.1",
            "POSTGRES_PORT": str(url.port or 5432),
            "POSTGRES_USER": unquote(url.username or "postgres"),
            "POSTGRES_PASSWORD": unquote(url.password or ""),
            # Fail fast (answered 503) rather than hang when the server is gone. No
            # pre-ping: it costs a round trip per query; a pooled connection broken by
            # a restart fails once, is discarded by the pool, and the call is retried
            # (see postgres_failfast), so the service recovers by itself.
            "POSTGRES_CONNECT_TIMEOUT": "2",
            "POSTGRES_POOL_SIZE": "2",
            "POSTGRES_MAX_OVERFLOW": "4",
            "POSTGRES_IDLE_IN_TRANSACTION_SESSION_TIMEOUT": "10",
        }
        schema = _query_param(url.query, "schema")
        if schema:
            env["POSTGRES_SCHEMA"] = schema
        return env
    raise DatabaseURLError(
        "DATABASE_URL must start with sqlite:/// or postgresql://, "
        f"not {url.scheme or database_url!r}"
    )


def prepare_storage(environment: dict[str, str]) -> None:
    """Make the folder of a SQLite file (var/ on a fresh clone)."""
    path = environment.get("SQLITE_DBNAME", "")
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)


def _query_param(query: str, name: str) -> str | None:
    for part in query.split("&"):
        key, _, value = part.partition("=")
        if key == name:
            return unquote(value)
    return None


def position_of(recorder: ApplicationRecorder, originator_id: UUID, version: int) -> int | None:
    """The log position (notification id) of one stored event, used to answer a
    retried request with the position of the write it repeats."""
    if isinstance(recorder, SQLiteApplicationRecorder):
        with recorder.datastore.transaction(commit=False) as cursor:
            cursor.execute(
                f"SELECT rowid FROM {recorder.events_table_name} "  # noqa: S608 - library's own table name
                "WHERE originator_id = ? AND originator_version = ?",
                (originator_id.hex, version),
            )
            row = cursor.fetchone()
            return row[0] if row else None
    if isinstance(recorder, PostgresApplicationRecorder):
        from psycopg.sql import SQL, Identifier

        statement = SQL(
            "SELECT notification_id FROM {}.{} WHERE originator_id = %s AND originator_version = %s"
        ).format(Identifier(recorder.datastore.schema), Identifier(recorder.events_table_name))
        with recorder.datastore.transaction(commit=False) as cursor:
            cursor.execute(statement, (originator_id, version))
            row = cursor.fetchone()
            return row["notification_id"] if row else None
    if isinstance(recorder, POPOApplicationRecorder):  # the in-memory store of unit tests
        for notification in recorder.select_notifications(start=1, limit=sys.maxsize):
            if notification.originator_id == originator_id:
                if notification.originator_version == version:
                    return notification.id
        return None
    raise TypeError(f"unsupported recorder {type(recorder).__name__}")


def existing_streams(recorder: ApplicationRecorder, ids: Collection[UUID]) -> set[UUID]:
    """Those of `ids` that have a stream: a query per 500 ids, where asking the library
    costs one per id (an import checks each of its rows' ids, 10,000 of them)."""
    wanted, found = list(ids), set()
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        if isinstance(recorder, SQLiteApplicationRecorder):
            with recorder.datastore.transaction(commit=False) as cursor:
                cursor.execute(
                    f"SELECT DISTINCT originator_id FROM {recorder.events_table_name} "  # noqa: S608 - library's own table name
                    f"WHERE originator_id IN ({', '.join('?' * len(chunk))})",
                    [stream_id.hex for stream_id in chunk],
                )
                found |= {UUID(row[0]) for row in cursor.fetchall()}
        elif isinstance(recorder, PostgresApplicationRecorder):
            from psycopg.sql import SQL, Identifier

            statement = SQL(
                "SELECT DISTINCT originator_id FROM {}.{} WHERE originator_id = ANY(%s)"
            )
            statement = statement.format(
                Identifier(recorder.datastore.schema), Identifier(recorder.events_table_name)
            )
            with recorder.datastore.transaction(commit=False) as cursor:
                cursor.execute(statement, (chunk,))
                found |= {row["originator_id"] for row in cursor.fetchall()}
        else:  # the in-memory store of unit tests
            found |= {
                stream_id for stream_id in chunk if recorder.select_events(stream_id, limit=1)
            }
    return found


def events_after(
    recorder: ApplicationRecorder, versions: Mapping[UUID, int]
) -> dict[UUID, list[StoredEvent]]:
    """The events stored after the given version of each stream, in version order: on
    PostgreSQL in one query, where the aggregate cache's fast-forward costs a round trip
    per stream (a recording brings three streams up to date: its engagement, its member
    and the calendar). Elsewhere (SQLite in the process, the in-memory store) a query
    per stream, as round trips cost next to nothing there."""
    if not isinstance(recorder, PostgresApplicationRecorder):
        return {
            stream_id: list(recorder.select_events(stream_id, gt=version))
            for stream_id, version in versions.items()
        }
    return _events_after_in_postgres(recorder, versions)


@retry((InterfaceError, OperationalError), max_attempts=ATTEMPTS, wait=0.1)
def _events_after_in_postgres(
    recorder: PostgresApplicationRecorder, versions: Mapping[UUID, int]
) -> dict[UUID, list[StoredEvent]]:
    """Tried as often as the recorder's own reads (service/infra/postgres_failfast.py)."""
    from psycopg.sql import SQL, Identifier

    statement = SQL(
        "SELECT e.originator_id, e.originator_version, e.topic, e.state FROM {}.{} e "
        "JOIN unnest(%s::uuid[], %s::bigint[]) AS known (id, version) "
        "ON e.originator_id = known.id AND e.originator_version > known.version "
        "ORDER BY e.originator_id, e.originator_version"
    ).format(Identifier(recorder.datastore.schema), Identifier(recorder.events_table_name))
    found: dict[UUID, list[StoredEvent]] = {stream_id: [] for stream_id in versions}
    # A connection in autocommit, as the library's own reads: a transaction would cost a
    # BEGIN and a ROLLBACK, two more round trips than the one this saves.
    with recorder.datastore.get_connection() as conn, conn.cursor() as cursor:
        cursor.execute(statement, (list(versions), list(versions.values())), prepare=True)
        for row in cursor.fetchall():
            found[row["originator_id"]].append(
                StoredEvent(
                    originator_id=row["originator_id"],
                    originator_version=row["originator_version"],
                    topic=row["topic"],
                    state=bytes(row["state"]),
                )
            )
    return found
