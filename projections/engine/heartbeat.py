"""The background worker's heartbeat: whether any process is advancing the views.

The process running the background work (`worker run`, or a single-process server's
threads) writes the time every few seconds into a one-row table, `worker_heartbeat`,
in the event store's database, so that every web process on every host reads the same
answer: /readyz and /metrics report it, and a read waiting on views that are behind
answers 503 at once when nobody is advancing them (service/web/http/reads.py).

Both the beat and its age are taken from the database's clock, so hosts whose clocks
disagree still agree on the age. The worker is "down" once its last beat is older than
WORKER_DOWN_AFTER_SECONDS (or there never was one); it beats three times in that time.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from eventsourcing.postgres import PostgresDatastore

from projections.engine.views import PARAMETER, lock_key

log = logging.getLogger(__name__)

BEATS_PER_DOWN_AFTER = 3
STOP_CHECK_SECONDS = 0.25
COLUMNS = (
    "worker TEXT PRIMARY KEY, host TEXT NOT NULL, pid INTEGER NOT NULL, "
    "beat_at DOUBLE PRECISION NOT NULL"
)
# Seconds since the epoch by the database's clock.
POSTGRES_NOW = "EXTRACT(EPOCH FROM clock_timestamp())"
SQLITE_NOW = "((julianday('now') - 2440587.5) * 86400.0)"


@dataclass(frozen=True)
class WorkerStatus:
    up: bool
    last_seen: datetime | None
    """the last beat (None: no worker ever beat in this database)"""
    age_seconds: float | None
    host: str | None
    pid: int | None

    def as_json(self) -> dict[str, Any]:
        return {
            "status": "up" if self.up else "down",
            "last_seen": self.last_seen.isoformat() if self.last_seen else None,
            "age_seconds": None if self.age_seconds is None else round(self.age_seconds, 1),
            "host": self.host,
            "pid": self.pid,
        }


class Heartbeat:
    """The `worker_heartbeat` table of one event store."""

    def __init__(self, datastore: Any):
        self.datastore = datastore
        self.is_postgres = isinstance(datastore, PostgresDatastore)
        if self.is_postgres:
            self.table = '"' + datastore.schema.replace('"', '""') + '".worker_heartbeat'
            self.now = POSTGRES_NOW
        else:
            self.table = "worker_heartbeat"
            self.now = SQLITE_NOW

    def create_table(self) -> None:
        with self.datastore.transaction(commit=True) as cursor:
            if self.is_postgres:  # CREATE TABLE IF NOT EXISTS races itself (see views.py)
                key = lock_key(f"{self.datastore.schema}:ddl")
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", (key,))
            cursor.execute(f"CREATE TABLE IF NOT EXISTS {self.table} ({COLUMNS})")

    def beat(self, host: str, pid: int) -> None:
        """Record that the worker `pid` on `host` is alive now."""
        sql = (
            f"INSERT INTO {self.table} (worker, host, pid, beat_at) "
            f"VALUES ('worker', :host, :pid, {self.now}) "
            "ON CONFLICT (worker) DO UPDATE SET host = excluded.host, pid = excluded.pid, "
            "beat_at = excluded.beat_at"
        )
        with self.datastore.transaction(commit=True) as cursor:
            cursor.execute(self._compiled(sql), {"host": host, "pid": pid})

    def status(self, down_after: float) -> WorkerStatus:
        """The worker's last beat, and whether it is recent enough to call it up."""
        sql = f"SELECT host, pid, beat_at, {self.now} - beat_at AS age FROM {self.table}"
        if self.is_postgres:  # one statement in autocommit (see catalog.py's _read)
            with self.datastore.get_connection() as conn, conn.cursor() as cursor:
                cursor.execute(sql)
                row = cursor.fetchone()
        else:
            with self.datastore.transaction(commit=False) as cursor:
                cursor.execute(sql)
                row = cursor.fetchone()
        if row is None:
            return WorkerStatus(False, None, None, None, None)
        age = max(float(row["age"]), 0.0)
        return WorkerStatus(
            up=age <= down_after,
            last_seen=datetime.fromtimestamp(float(row["beat_at"]), UTC),
            age_seconds=age,
            host=row["host"],
            pid=int(row["pid"]),
        )

    def _compiled(self, sql: str) -> str:
        return PARAMETER.sub(r"%(\1)s", sql) if self.is_postgres else sql


class HeartbeatWorker:
    """A background worker (service/workers.py) beating every `down_after / 3`
    seconds while its process runs the background work: the first beat as it starts,
    so a read arriving just after sees the worker up; a failed beat (the database gone)
    is logged and tried again at the next. It opens its connections of its own and
    stops with `stop()` or when `external_stop` is set (its process's Ledger closing)."""

    def __init__(
        self,
        open_heartbeat: Callable[[], tuple[Heartbeat, Callable[[], None]]],
        down_after: float,
        external_stop: threading.Event,
    ):
        self.open_heartbeat = open_heartbeat
        self.interval = down_after / BEATS_PER_DOWN_AFTER
        self.external_stop = external_stop
        self.stopping = threading.Event()
        self.host = socket.gethostname()
        self.thread = threading.Thread(target=self._run, name="worker-heartbeat", daemon=True)
        self.heartbeat: Heartbeat | None = None
        self.table_made = False
        self.close: Callable[[], None] = lambda: None

    def start(self) -> None:
        self._beat()
        self.thread.start()

    def stop(self, timeout: float = 15.0) -> None:
        """Stop, waiting for the beat in hand."""
        self.stopping.set()
        if self.thread.is_alive():
            self.thread.join(timeout)

    def _run(self) -> None:
        try:
            while not self._wait():
                self._beat()
        finally:
            self.close()

    def _wait(self) -> bool:
        """Pause until the next beat; True once the worker or its process is stopping
        (looked at every quarter second, so a closed process stops beating promptly)."""
        deadline = time.monotonic() + self.interval
        while not (self.stopping.is_set() or self.external_stop.is_set()):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            self.stopping.wait(min(remaining, STOP_CHECK_SECONDS))
        return True

    def _beat(self) -> None:
        try:
            if self.heartbeat is None:
                self.heartbeat, self.close = self.open_heartbeat()
            if not self.table_made:
                self.heartbeat.create_table()
                self.table_made = True
            self.heartbeat.beat(self.host, os.getpid())
        except Exception:
            log.exception(
                "worker heartbeat: could not record it; trying again in %.0fs", self.interval
            )
