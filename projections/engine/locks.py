"""One writer per view at a time, across threads, processes and (on PostgreSQL)
hosts: a worker process (`worker run`, `projections run`), a second one on another
host, in-process threads and a `projections rebuild` all take the view's lock before writing to it.

Tracking alone already keeps an event from being applied twice; the lock keeps
writers from wasting work on each other, and keeps followers out while a rebuild
replays the log. It is held only while a writer has something to do, so a rebuild
can start while web processes are running.

- PostgreSQL: a session advisory lock, keyed by schema and view, released when the
  writer finishes or its connection dies (a killed process loses it at once).
- SQLite: an exclusive `flock` on a file beside the database, released by the kernel
  when the process dies. An in-memory database gets a lock within the process.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from typing import Any

from eventsourcing.postgres import PostgresDatastore

from projections.engine.views import lock_key

RETRY_SECONDS = 0.05
_memory_locks: dict[str, threading.Lock] = {}
_memory_guard = threading.Lock()


class ViewLocks:
    """Locks for the views of one event store."""

    def __init__(self, datastore: Any, namespace: str = ""):
        self.datastore = datastore
        self.namespace = namespace

    @contextmanager
    def hold(self, name: str, wait: float = 0.0) -> Iterator[bool]:
        """Yield True holding the view's lock, or False if another writer kept it
        for `wait` seconds."""
        if isinstance(self.datastore, PostgresDatastore):
            with self._advisory(name, wait) as held:
                yield held
        else:
            path = self._lock_path(name)
            lock = self._file(path, wait) if path else self._memory(name, wait)
            with lock as held:
                yield held

    @contextmanager
    def hold_free(self, names: list[str]) -> Iterator[list[str]]:
        """Hold the locks of those of `names` that no other writer holds, without
        waiting; yield their names. On PostgreSQL in one statement on one connection
        (not a pooled connection per lock)."""
        if not isinstance(self.datastore, PostgresDatastore):
            with ExitStack() as locks:
                yield [name for name in names if locks.enter_context(self.hold(name))]
            return
        keys = [self._key(name) for name in names]
        tries = ", ".join(f"pg_try_advisory_lock(%s) AS held{n}" for n in range(len(keys)))
        with self.datastore.get_connection() as conn:
            found = conn.execute(f"SELECT {tries}", keys).fetchone()
            held = [n for n in range(len(keys)) if found[f"held{n}"]]
            try:
                yield [names[n] for n in held]
            finally:
                if held:
                    unlocks = ", ".join("pg_advisory_unlock(%s)" for _ in held)
                    with suppress(Exception):
                        conn.execute(f"SELECT {unlocks}", [keys[n] for n in held])

    def _key(self, name: str) -> int:
        return lock_key(f"{self.datastore.schema}:view:{self.namespace}{name}")

    @contextmanager
    def _advisory(self, name: str, wait: float) -> Iterator[bool]:
        key = self._key(name)
        with self.datastore.get_connection() as conn:
            held = _retry_until(
                wait,
                lambda: conn.execute("SELECT pg_try_advisory_lock(%s) AS held", (key,)).fetchone()[
                    "held"
                ],
            )
            try:
                yield held
            finally:
                if held:
                    with suppress(Exception):
                        conn.execute("SELECT pg_advisory_unlock(%s)", (key,))

    @staticmethod
    @contextmanager
    def _file(path: str, wait: float) -> Iterator[bool]:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:

            def attempt() -> bool:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    return False
                return True

            held = _retry_until(wait, attempt)
            try:
                yield held
            finally:
                if held:
                    fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    @contextmanager
    def _memory(self, name: str, wait: float) -> Iterator[bool]:
        key = f"{id(self.datastore)}:{self.namespace}{name}"
        with _memory_guard:
            lock = _memory_locks.setdefault(key, threading.Lock())
        held = lock.acquire(timeout=wait) if wait > 0 else lock.acquire(blocking=False)
        try:
            yield held
        finally:
            if held:
                lock.release()

    def _lock_path(self, name: str) -> str | None:
        db_name = self.datastore.pool.db_name
        if self.datastore.pool.is_sqlite_memory_mode:
            return None
        path = db_name.removeprefix("file:").split("?", 1)[0]
        return f"{path}.{self.namespace}{name}.lock"


def _retry_until(wait: float, attempt: Any) -> bool:
    deadline = time.monotonic() + wait
    while True:
        if attempt():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(min(RETRY_SECONDS, max(deadline - time.monotonic(), 0)))
