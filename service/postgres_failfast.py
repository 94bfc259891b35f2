"""PostgreSQL recorders that give up quickly when the server is unreachable.

The library retries every database call ten times before it gives up; with the pool's
connect timeout that turns an outage into half-minute hangs for each web request, past
any client's patience. Here each call is tried twice, which still rides over a pooled
connection that broke, and the API answers 503 with Retry-After within seconds."""

from eventsourcing.persistence import InterfaceError, OperationalError
from eventsourcing.postgres import (
    PostgresAggregateRecorder,
    PostgresApplicationRecorder,
    PostgresFactory,
)
from eventsourcing.utils import retry

ATTEMPTS = 2


def _fail_fast(method):
    return retry((InterfaceError, OperationalError), max_attempts=ATTEMPTS, wait=0.1)(
        method.__wrapped__
    )


class FailFastAggregateRecorder(PostgresAggregateRecorder):
    """Snapshots are read through this one."""

    insert_events = _fail_fast(PostgresAggregateRecorder.insert_events)
    select_events = _fail_fast(PostgresAggregateRecorder.select_events)


class FailFastApplicationRecorder(PostgresApplicationRecorder):
    insert_events = _fail_fast(PostgresApplicationRecorder.insert_events)
    select_events = _fail_fast(PostgresApplicationRecorder.select_events)
    select_notifications = _fail_fast(PostgresApplicationRecorder.select_notifications)
    max_notification_id = _fail_fast(PostgresApplicationRecorder.max_notification_id)


class FailFastPostgresFactory(PostgresFactory):
    aggregate_recorder_class = FailFastAggregateRecorder
    application_recorder_class = FailFastApplicationRecorder
