"""The composition root: the one place that builds the ledger, the read models and the
background workers, for every entry point (gunicorn's workers, `flask --app wsgi …`,
tests).

A `Runtime` is what one process runs on. Gunicorn forks its workers after importing
the app, and a database pool made before the fork would be shared by all of them, so
the Ledger is made lazily and made again when the process id changes. Background
workers (the projection follower with PROJECTIONS_IN_PROCESS=true, the default; the
checkpoint worker; the HubSpot deal follower when an access token is set) start the
same way: once per process, on its first request or read, and stop at exit.

The packages below never import this module: the web app, the CLI groups and the
HubSpot worker are handed the runtime (or a ledger callable) here.
"""

from __future__ import annotations

import atexit
import os
import threading
from collections.abc import Callable
from typing import Protocol

from flask import Flask

from integrations.hubspot import HubSpotIntegration
from projections import Projections
from projections.checkpoints import Checkpointer, CheckpointWorker
from projections.cli import projections_cli
from projections.engine.follower import Follower
from service.application import Ledger
from service.application.clock import Clock
from service.audit_cli import audit_cli
from service.cli import tokens_cli
from service.demo_cli import demo_cli
from service.imports_cli import imports_cli
from service.infra.config import Settings
from service.infra.signing import Signer
from service.infra.store import prepare_storage
from service.web.app import build_web_app

# The follower needs at most a connection holding a view's lock and one writing it.
FOLLOWER_POOL = {"POSTGRES_POOL_SIZE": "1", "POSTGRES_MAX_OVERFLOW": "2"}


class Worker(Protocol):
    """A background thread of a process: the projection follower, the HubSpot deal
    follower. Started once per process, stopped at exit."""

    def start(self) -> None: ...

    def stop(self) -> None: ...


class ProjectionWorker:
    """Keeps the read models up to date from inside a web process. It owns its own
    Ledger (its own connections: closing a connection under a thread that uses it
    crashes SQLite) and stops when the process's Ledger closes, or at exit."""

    def __init__(self, runtime: Runtime):
        self.web_ledger = runtime.ledger()
        self.own = runtime.new_ledger(**FOLLOWER_POOL)
        self.follower = Follower(Projections(self.own), listen=runtime.settings.projections_listen)

    def start(self) -> None:
        threading.Thread(target=self._run, name="projections-follower", daemon=True).start()

    def stop(self) -> None:
        self.follower.stopping.set()
        self.follower.nudge()

    def _run(self) -> None:
        try:
            self.follower.run(self.web_ledger.closing)
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


class Runtime:
    """One process's Ledger, read models and background workers."""

    def __init__(self, settings: Settings, clock: Clock | None = None):
        self.settings = settings
        self.clock = clock or Clock()
        self.worker_factories: list[Callable[[Runtime], Worker]] = []
        if settings.projections_in_process:
            self.worker_factories.append(ProjectionWorker)
        self.worker_factories.append(checkpoint_worker)
        self._signer: Signer | None = None
        self._lock = threading.RLock()
        self._pid: int | None = None
        self._ledger: Ledger | None = None
        self._projections: Projections | None = None
        self._workers: list[Worker] | None = None

    def new_ledger(self, **overrides: str) -> Ledger:
        """A Ledger with connections of its own."""
        prepare_storage(self.settings.persistence)
        return Ledger(env={**self.settings.persistence, **overrides}, clock=self.clock)

    def ledger(self) -> Ledger:
        if self._pid != os.getpid():
            with self._lock:
                if self._pid != os.getpid():
                    self._ledger = self.new_ledger()
                    self._projections = None
                    self._workers = None
                    self._pid = os.getpid()
        assert self._ledger is not None
        return self._ledger

    def projections(self) -> Projections:
        """This process's read models, with its workers running."""
        ledger = self.ledger()
        self.start_workers()
        if self._projections is None:
            with self._lock:
                if self._projections is None:
                    self._projections = Projections(ledger)
        return self._projections

    def start_workers(self) -> None:
        """Start this process's background workers, once (after a gunicorn fork too:
        the app is not preloaded, and a thread started before the fork would stay in
        the master). Called on every request and read; cheap once started."""
        if self._workers is not None and self._pid == os.getpid():
            return
        self.ledger()
        with self._lock:
            if self._workers is not None:
                return
            self._workers = [make(self) for make in self.worker_factories]
            for worker in self._workers:
                worker.start()
                atexit.register(worker.stop)

    @property
    def runner_mode(self) -> str:
        return "in-process" if self.settings.projections_in_process else "separate process"

    def nudge(self) -> None:
        """A write just happened: have the projection follower look at the log now."""
        self.start_workers()
        for worker in self._workers or ():
            if isinstance(worker, ProjectionWorker):
                worker.follower.nudge()

    def signer(self) -> Signer:
        """The checkpoint signing key (CHECKPOINT_SIGNING_KEY_FILE, or the dev key)."""
        if self._signer is None:
            with self._lock:
                if self._signer is None:
                    self._signer = Signer.from_file(self.settings.checkpoints.signing_key_file)
        return self._signer

    def checkpointer(self, projections: Projections | None = None) -> Checkpointer:
        """Signs and stores checkpoints of the log's Merkle tree; its
        `make_checkpoint()` is the one a statement records."""
        return Checkpointer(
            projections or self.projections(), self.signer(), self.settings.checkpoints.origin
        )

    def close(self) -> None:
        if self._ledger is not None:
            self._ledger.close()


def create_app(settings: Settings | None = None, clock: Clock | None = None) -> Flask:
    """The service as gunicorn and `flask --app wsgi` run it."""
    runtime = Runtime(settings or Settings.from_environment(), clock)
    app = build_web_app(runtime)
    hubspot = HubSpotIntegration(runtime.settings.hubspot, runtime.ledger)
    hubspot.install(app)
    if hubspot.follower is not None:
        runtime.worker_factories.append(lambda _: hubspot.follower)
    app.cli.add_command(tokens_cli(runtime.ledger, runtime.settings.web))
    app.cli.add_command(projections_cli(runtime.ledger, runtime.settings.projections_listen))
    app.cli.add_command(audit_cli(runtime))
    app.cli.add_command(demo_cli(runtime.ledger))
    app.cli.add_command(imports_cli(runtime.ledger))
    return app
