"""PostgreSQL recorders for a web service: they give up quickly when the server is
unreachable, and hold the log's table lock only inside the server.

The library retries every database call ten times before it gives up; with the pool's
connect timeout that turns an outage into half-minute hangs for each web request, past
any client's patience. Here each call is tried twice, which still rides over a pooled
connection that broke, and the API answers 503 with Retry-After within seconds.

To keep the log gapless for followers, every insert takes an exclusive lock on the
events table until it commits. The library sends the lock, the insert and the commit
from the client in a pipelined transaction, so the lock is held across client round
trips and whatever delays the client process (on a busy machine, waiting for a CPU):
every other writer queues behind it. Here one function call does lock, notify and
insert, and commits as it returns: the lock is held for the server's work alone. The
NOTIFY is the library's (its channel, named after the events table): delivered when the
insert commits, it wakes the listening followers (projections/engine/listener.py)."""

import hashlib
from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import InterfaceError, OperationalError, StoredEvent
from eventsourcing.postgres import (
    PostgresAggregateRecorder,
    PostgresApplicationRecorder,
    PostgresFactory,
)
from eventsourcing.utils import retry
from psycopg.sql import SQL, Identifier

ATTEMPTS = 2


def _fail_fast(method):
    return retry((InterfaceError, OperationalError), max_attempts=ATTEMPTS, wait=0.1)(
        method.__wrapped__
    )


class CreatesTablesConcurrently:
    """Every process creates the tables at start-up, and the library's CREATE TYPE,
    CREATE TABLE IF NOT EXISTS and CREATE OR REPLACE FUNCTION race when processes start
    together on an empty database ("already exists", "tuple concurrently updated").
    An advisory lock makes them take turns; the later ones find everything made."""

    def create_table(self) -> None:
        key = int.from_bytes(
            hashlib.sha256(f"ces-create:{self.datastore.schema}".encode()).digest()[:8],
            "big",
            signed=True,
        )
        with self.datastore.get_connection() as conn:
            conn.execute("SELECT pg_advisory_lock(%s)", (key,))
            try:
                super().create_table()  # type: ignore[misc]
            finally:
                conn.execute("SELECT pg_advisory_unlock(%s)", (key,))


class FailFastAggregateRecorder(CreatesTablesConcurrently, PostgresAggregateRecorder):
    """Snapshots are read through this one."""

    insert_events = _fail_fast(PostgresAggregateRecorder.insert_events)
    select_events = _fail_fast(PostgresAggregateRecorder.select_events)


class FailFastApplicationRecorder(CreatesTablesConcurrently, PostgresApplicationRecorder):
    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.locked_insert_function = f"ces_locked_insert_{self.events_table_name}"
        names = {
            "schema": Identifier(self.datastore.schema),
            "function": Identifier(self.locked_insert_function),
            "table": Identifier(self.events_table_name),
            "event": Identifier(self.stored_event_type_name),
            "channel": Identifier(self.channel_name),
        }
        self.sql_create_statements.append(
            SQL(
                "CREATE OR REPLACE FUNCTION {schema}.{function}(events {schema}.{event}[]) "
                "RETURNS SETOF bigint LANGUAGE plpgsql AS $$ "
                "BEGIN "
                "  LOCK TABLE {schema}.{table} IN EXCLUSIVE MODE; "
                "  NOTIFY {channel}; "
                "  RETURN QUERY INSERT INTO {schema}.{table} AS t "
                "    (originator_id, originator_version, topic, state) "
                "    SELECT e.originator_id, e.originator_version, e.topic, e.state "
                "    FROM unnest(events) AS e RETURNING t.notification_id; "
                "END $$"
            ).format(**names)
        )
        self.locked_insert_statement = SQL("SELECT * FROM {schema}.{function}(%s)").format(**names)

    @retry((InterfaceError, OperationalError), max_attempts=ATTEMPTS, wait=0.1)
    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        events = [
            self.construct_pg_stored_event(
                originator_id=e.originator_id,
                originator_version=e.originator_version,
                topic=e.topic,
                state=e.state,
            )
            for e in stored_events
        ]
        with self.datastore.get_connection() as conn, conn.cursor() as cursor:
            # One statement in autocommit: locked, inserted and committed in the server.
            cursor.execute(self.locked_insert_statement, (events,), prepare=True)
            return [row[self.locked_insert_function] for row in cursor.fetchall()]

    select_events = _fail_fast(PostgresApplicationRecorder.select_events)
    select_notifications = _fail_fast(PostgresApplicationRecorder.select_notifications)
    max_notification_id = _fail_fast(PostgresApplicationRecorder.max_notification_id)


class FailFastPostgresFactory(PostgresFactory):
    aggregate_recorder_class = FailFastAggregateRecorder
    application_recorder_class = FailFastApplicationRecorder
