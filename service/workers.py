"""The background workers of a process (the projection follower, the checkpoint and
heartbeat workers) and `worker run`, the process that runs them all for a deployment.

Where they run, and why in ONE place, is told in service/runtime.py."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

import click

from projections import Projections
from projections.audit.checkpoints import Checkpointer, CheckpointWorker
from projections.cli import RUN_POLL_SECONDS
from projections.engine.follower import Follower
from projections.engine.heartbeat import Heartbeat, HeartbeatWorker
from service.application import Ledger
from service.notify.outbox import Notifier
from service.notify.worker import NotifyWorker

if TYPE_CHECKING:
    from service.runtime import Runtime

# The follower needs at most a connection holding a view's lock and one writing it.
FOLLOWER_POOL = {"POSTGRES_POOL_SIZE": "1", "POSTGRES_MAX_OVERFLOW": "2"}
# The projection follower's fallback poll in a web process; `worker run --poll` sets
# the worker process's (woken by each commit on PostgreSQL, the poll is the fallback).
IN_PROCESS_POLL_SECONDS = 0.25
WORKER_POLL_SECONDS = RUN_POLL_SECONDS


class Worker(Protocol):
    """A background thread of a process: the projection follower, the HubSpot deal
    follower. Started once per process, stopped at exit."""

    def start(self) -> None: ...

    def stop(self) -> None: ...


class ProjectionWorker:
    """Keeps the read models up to date. It owns its own Ledger (its own connections:
    closing a connection under a thread that uses it crashes SQLite) and stops when the
    process's Ledger closes, or at exit."""

    def __init__(self, runtime: Runtime):
        self.web_ledger = runtime.ledger()
        self.own = runtime.new_ledger(**FOLLOWER_POOL)
        self.follower = Follower(Projections(self.own), listen=runtime.settings.projections_listen)
        self.poll_seconds = runtime.projection_poll_seconds
        self.thread = threading.Thread(target=self._run, name="projections-follower", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self, timeout: float = 15.0) -> None:
        """Stop between batches (each commits whole), waiting for the one in hand."""
        self.follower.stopping.set()
        self.follower.nudge()
        if self.thread.is_alive():
            self.thread.join(timeout)

    def _run(self) -> None:
        try:
            self.follower.run(self.web_ledger.closing, idle_seconds=self.poll_seconds)
        finally:
            self.own.close()


def checkpoint_worker(runtime: Runtime) -> CheckpointWorker:
    """Stores a checkpoint every few minutes while the log grows, on connections of its
    own (opened on its first look), stopping with the process's Ledger."""

    def open_checkpointer() -> tuple[Checkpointer, Callable[[], None]]:
        own = runtime.new_ledger(**FOLLOWER_POOL)
        return runtime.checkpointer(Projections(own, names=["merkle"])), own.close

    settings = runtime.settings.checkpoints
    return CheckpointWorker(open_checkpointer, settings.interval_seconds, runtime.ledger().closing)


def heartbeat_worker(runtime: Runtime) -> HeartbeatWorker:
    """Tells every process that this one runs the background work (heartbeat.py), on
    connections of its own, stopping with the process's Ledger."""

    def open_heartbeat() -> tuple[Heartbeat, Callable[[], None]]:
        own = runtime.new_ledger(**FOLLOWER_POOL)
        return Heartbeat(own.factory.datastore), own.close

    return HeartbeatWorker(
        open_heartbeat, runtime.settings.worker_down_after_seconds, runtime.ledger().closing
    )


def notifier(runtime: Runtime, ledger: Ledger) -> Notifier:
    """The notifier on `ledger` (service/notify/outbox.py), as the settings configure it."""
    settings = runtime.settings
    return Notifier(
        ledger,
        Projections(ledger),
        settings.notify,
        public_url=settings.web.public_url,
        secret_key=settings.secret_key,
    )


def notify_worker(runtime: Runtime) -> NotifyWorker:
    """Plans, records and sends notifications every NOTIFY_INTERVAL_SECONDS, on
    connections of its own, stopping with the process's Ledger."""

    def open_notifier() -> tuple[Notifier, Callable[[], None]]:
        own = runtime.new_ledger(**FOLLOWER_POOL)
        return notifier(runtime, own), own.close

    return NotifyWorker(
        open_notifier, runtime.settings.notify.interval_seconds, runtime.ledger().closing
    )


def run_worker_process(runtime: Runtime, poll: float = WORKER_POLL_SECONDS) -> None:
    """`worker run` (and `projections run`): the background work of the whole
    deployment in this process, until SIGTERM or Ctrl-C."""
    runtime.projection_poll_seconds = poll
    stop = threading.Event()

    def request_stop(signum, frame):  # noqa: ARG001 - signal handler signature
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    runtime.start_workers()
    for worker in runtime._workers or ():
        if isinstance(worker, ProjectionWorker):  # the line tests and benchmarks wait for
            woken = "woken by each commit" if worker.follower.listener else "polling"
            views = ", ".join(worker.follower.projections.views)
            click.echo(
                f"projections: following the log ({views}; {woken}, looking every {poll}s)",
                err=True,
            )
    names = ", ".join(make.__name__ for make in runtime.background_factories)
    click.echo(f"worker: running {names}", err=True)
    runtime.run_workers(stop)
    click.echo("worker: stopped", err=True)
