"""Waking the follower when events are committed (PostgreSQL's LISTEN/NOTIFY), so the
views apply a write at once instead of at the follower's next poll.

The notification is the library's: every insert into the log notifies the channel
named after the events table, in the insert's own transaction (our insert function in
service/infra/postgres_failfast.py does it as the library's does), so PostgreSQL
delivers it only once the events are committed, and to every process listening. It
carries no payload: the follower reads the log's head itself, and a bare NOTIFY costs
the writers least. The channel is per events table, not per schema, so services kept in
several schemas of one database wake each other's followers, which then find nothing
to do. SQLite has no such thing; its followers keep polling.

Why not the library's `subscribe()`: its subscription listens on a pooled connection
(the follower's pool is sized for its own work), and stops for good, raising, when
that connection breaks. A follower must ride over a database restart, so this
listener holds a dedicated autocommit connection, reconnects with backoff (1 s
doubling to 30 s), logs once when it loses the connection and once when it is back,
and never ends before its follower stops. Meanwhile the follower's timed poll goes on,
and after each reconnection it is woken once for what was committed unheard.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

import psycopg
from psycopg.sql import SQL, Identifier

log = logging.getLogger(__name__)

APPLICATION_NAME = "ces-projections-listener"  # how it shows in pg_stat_activity
WAIT_SECONDS = 0.5  # between looks at `stopping` while no notification comes
FIRST_RETRY_SECONDS = 1.0
MAX_RETRY_SECONDS = 30.0
# TCP keepalives: a peer gone without a word (a host lost) is noticed within a minute
# or so, rather than the listener waiting on a dead socket until the kernel gives up.
KEEPALIVES = {"keepalives": 1, "keepalives_idle": 20, "keepalives_interval": 5}


class CommitListener:
    """Calls `wake` whenever events are committed to the log of `datastore` (a
    PostgresDatastore), from a thread of its own, until `stopping` is set."""

    def __init__(
        self,
        datastore: Any,
        channel: str,
        wake: Callable[[], None],
        stopping: threading.Event,
        first_retry: float = FIRST_RETRY_SECONDS,
        max_retry: float = MAX_RETRY_SECONDS,
    ):
        self.datastore = datastore
        self.channel = channel
        self.wake = wake
        self.stopping = stopping
        self.first_retry = first_retry
        self.max_retry = max_retry
        self.backend_pid: int | None = None  # the listening server process, when connected
        self.thread = threading.Thread(target=self.run, name="projections-listener", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def join(self) -> None:
        """Wait for the thread to close its connection (it looks at `stopping` often)."""
        if self.thread.is_alive():
            self.thread.join(timeout=WAIT_SECONDS + 5)

    def run(self) -> None:
        """Listen and wake the follower on each notification; when the connection
        breaks, or cannot be made, try again with backoff until `stopping`."""
        failures = 0
        while not self.stopping.is_set():
            try:
                with self._connect() as conn:
                    conn.execute(SQL("LISTEN {}").format(Identifier(self.channel)))
                    self.backend_pid = conn.info.backend_pid
                    if failures:
                        log.warning("projections: listening for commits again")
                    failures = 0
                    self.wake()  # whatever was committed before the LISTEN took effect
                    while not self.stopping.is_set():
                        for _ in conn.notifies(timeout=WAIT_SECONDS):
                            self.wake()
            except Exception as error:  # noqa: BLE001 - the thread must outlive any fault
                if self.stopping.is_set():
                    break
                failures += 1
                if failures == 1:
                    log.warning(
                        "projections: not listening for commits (%s); polling meanwhile, "
                        "reconnecting with backoff",
                        (str(error).strip() or type(error).__name__).splitlines()[0],
                    )
                self.stopping.wait(min(self.first_retry * 2 ** (failures - 1), self.max_retry))
            finally:
                self.backend_pid = None

    def _connect(self) -> psycopg.Connection[Any]:
        """A connection of its own, outside the pool: it sits in LISTEN for as long
        as the process runs, and autocommit, so LISTEN takes effect at once."""
        pool = self.datastore.pool
        params = {key: value for key, value in pool.kwargs.items() if key != "row_factory"}
        if pool.get_password_func is not None:
            params["password"] = pool.get_password_func()
        return psycopg.connect(
            autocommit=True,
            connect_timeout=max(int(pool.timeout), 1),
            application_name=APPLICATION_NAME,
            **KEEPALIVES,
            **params,
        )
