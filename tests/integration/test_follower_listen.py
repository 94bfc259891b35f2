"""Waking the follower on commit (PROJECTIONS_LISTEN): on PostgreSQL a follower whose
poll is ten minutes away still applies what another connection commits, every
listening follower is woken, the listener rides over its connection being killed,
and without it the follower polls; SQLite polls as before.

No timing is asserted: each wait has a deadline (20 s) that only a working listener
can meet, since the followers here poll every 600 s."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import psycopg
import pytest

from projections import Projections
from projections.engine.follower import Follower
from projections.engine.listener import CommitListener
from service.application import Ledger
from service.infra.config import ConfigurationError, Settings
from service.runtime import Runtime
from tests.support.postgres import PG_HOST, PG_PORT, postgres_url

NEVER = 600.0  # a poll that no deadline below could wait for
DEADLINE = 20.0


def wait_for(check: Callable[[], object], what: str, timeout: float = DEADLINE) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.02)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")


@pytest.fixture
def ledgers(pg_database: str, pg_schema: str) -> Iterator[Callable[[], Ledger]]:
    """Ledgers on PostgreSQL, each with connections of its own (as separate processes
    have), closed after the test."""
    url = postgres_url(pg_database, pg_schema)
    runtime = Runtime(Settings.from_environment({"DATABASE_URL": url}))
    made: list[Ledger] = []

    def new() -> Ledger:
        made.append(runtime.new_ledger())
        return made[-1]

    yield new
    for ledger in made:
        ledger.close()


@contextmanager
def following(projections: Projections, idle_seconds: float = NEVER) -> Iterator[Follower]:
    """A follower running in a thread, as a `projections run` process does."""
    follower = Follower(projections, listen=True)
    stop = threading.Event()
    thread = threading.Thread(
        target=follower.run, args=(stop,), kwargs={"idle_seconds": idle_seconds}, daemon=True
    )
    thread.start()
    try:
        yield follower
    finally:
        stop.set()
        thread.join(timeout=30)
        assert not thread.is_alive(), "the follower did not stop"


def write(ledger: Ledger) -> int:
    """One event committed on the ledger's own connections; its log position."""
    ledger.issue_token(role="viewer", member=None, engagement_id=None, name="V", actor="test")
    return ledger.recorder.max_notification_id()


def applied(projections: Projections, position: int) -> Callable[[], bool]:
    return lambda: min(projections.positions().values()) >= position


def listening(follower: Follower, other_than: int | None = None) -> Callable[[], int | None]:
    def check() -> int | None:
        pid = follower.listener.backend_pid
        return pid if pid is not None and pid != other_than else None

    return check


def logged_by(listener: CommitListener, caplog: pytest.LogCaptureFixture) -> list[str]:
    """What this listener's thread logged (not another test's follower still stopping)."""
    return [r.getMessage() for r in caplog.records if r.thread == listener.thread.ident]


def two_writes_applied(writer: Ledger, followed: list[Projections]) -> None:
    """The first write may ride on the wake the listener gives once it is listening;
    the second can only be seen through a notification."""
    for _ in range(2):
        position = write(writer)
        for projections in followed:
            wait_for(applied(projections, position), f"the views to reach {position}")


@pytest.mark.postgres
def test_every_listening_follower_applies_a_commit_long_before_its_poll(ledgers):
    followed = [Projections(ledgers(), namespace=prefix) for prefix in ("one_", "two_")]
    with following(followed[0]) as first, following(followed[1]) as second:
        wait_for(listening(first), "the first follower to listen")
        wait_for(listening(second), "the second follower to listen")
        two_writes_applied(ledgers(), followed)


@pytest.mark.postgres
def test_the_listener_reconnects_after_its_connection_is_killed(ledgers, pg_database, caplog):
    caplog.set_level(logging.WARNING, logger="projections.engine.listener")
    projections = Projections(ledgers())
    writer = ledgers()
    with following(projections) as follower:
        killed = wait_for(listening(follower), "the follower to listen")
        with psycopg.connect(
            host=PG_HOST, port=PG_PORT, user="postgres", dbname=pg_database, autocommit=True
        ) as admin:
            assert admin.execute("SELECT pg_terminate_backend(%s)", (killed,)).fetchone()[0]
        wait_for(listening(follower, other_than=killed), "the listener to reconnect")
        two_writes_applied(writer, [projections])
    messages = logged_by(follower.listener, caplog)
    assert sum("not listening for commits" in message for message in messages) == 1
    assert sum("listening for commits again" in message for message in messages) == 1


@pytest.mark.postgres
def test_without_its_listening_connection_the_follower_polls(ledgers, monkeypatch, caplog):
    attempts = []

    def refused(self: CommitListener) -> psycopg.Connection:
        attempts.append(1)
        raise psycopg.OperationalError("connection refused")

    monkeypatch.setattr(CommitListener, "_connect", refused)
    projections = Projections(ledgers())
    with following(projections, idle_seconds=0.1) as follower:
        follower.listener.first_retry = follower.listener.max_retry = 0.01
        position = write(ledgers())
        wait_for(applied(projections, position), "the polling follower to apply the write")
        wait_for(lambda: len(attempts) >= 3, "the listener to try again")
        assert follower.listener.thread.is_alive()
    warnings = [m for m in logged_by(follower.listener, caplog) if "not listening" in m]
    assert len(warnings) == 1, "logged once per outage, not on every attempt"


def test_sqlite_has_no_listener_and_polls(tmp_path):
    runtime = Runtime(
        Settings.from_environment({"DATABASE_URL": f"sqlite:///{tmp_path}/ledger.sqlite3"})
    )
    ledger = runtime.new_ledger()
    try:
        projections = Projections(ledger)
        with following(projections, idle_seconds=0.1) as follower:
            assert follower.listener is None
            position = write(ledger)
            wait_for(applied(projections, position), "the polling follower to apply the write")
    finally:
        ledger.close()


def test_projections_listen_is_on_by_default_and_checked():
    assert Settings.from_environment({}).projections_listen is True
    off = Settings.from_environment({"PROJECTIONS_LISTEN": "false"})
    assert off.projections_listen is False
    with pytest.raises(ConfigurationError, match="PROJECTIONS_LISTEN: must be true or false"):
        Settings.from_environment({"PROJECTIONS_LISTEN": "sometimes"})
