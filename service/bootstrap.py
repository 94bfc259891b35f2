"""The composition root: the one place that builds the ledger, the read models and the
background workers, for every entry point (gunicorn's workers, `flask --app wsgi …`,
tests).

A `Runtime` is what one process runs on. Gunicorn forks its workers after importing
the app, and a database pool made before the fork would be shared by all of them, so
the Ledger is made lazily and made again when the process id changes. The read models
follow the process's Ledger; with PROJECTIONS_IN_PROCESS=true (the default) the
process also runs a follower thread that keeps them up to date, started on first use.

The packages below never import this module: the web app, the CLI groups and the
HubSpot worker are handed the runtime (or a ledger callable) here.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading

from flask import Flask

from integrations.hubspot import HubSpotIntegration
from projections import Projections
from projections.cli import projections_cli
from projections.engine.follower import Follower
from service.application import Ledger
from service.application.clock import Clock
from service.cli import tokens_cli
from service.infra.config import Settings
from service.infra.store import prepare_storage
from service.web.app import build_web_app

log = logging.getLogger(__name__)

# The follower needs at most a connection holding a view's lock and one writing it.
FOLLOWER_POOL = {"POSTGRES_POOL_SIZE": "1", "POSTGRES_MAX_OVERFLOW": "2"}


class Runtime:
    """One process's Ledger, read models and projection follower."""

    def __init__(self, settings: Settings, clock: Clock | None = None):
        self.settings = settings
        self.clock = clock or Clock()
        self._lock = threading.Lock()
        self._pid: int | None = None
        self._ledger: Ledger | None = None
        self._projections: Projections | None = None
        self._follower: Follower | None = None

    def new_ledger(self, **overrides: str) -> Ledger:
        """A Ledger with its own connections (a worker thread must not share the
        web's: closing a connection under a thread that uses it crashes SQLite)."""
        prepare_storage(self.settings.persistence)
        return Ledger(env={**self.settings.persistence, **overrides}, clock=self.clock)

    def ledger(self) -> Ledger:
        if self._pid != os.getpid():
            with self._lock:
                if self._pid != os.getpid():
                    self._ledger = self.new_ledger()
                    self._projections = None
                    self._follower = None
                    self._pid = os.getpid()
        assert self._ledger is not None
        return self._ledger

    def projections(self) -> Projections:
        """This process's read models; in-process, with its follower running."""
        ledger = self.ledger()
        if self._projections is None:
            with self._lock:
                if self._projections is None:
                    self._projections = Projections(ledger)
        if self.settings.projections_in_process and self._follower is None:
            self._start_follower(ledger)
        return self._projections

    @property
    def runner_mode(self) -> str:
        return "in-process" if self.settings.projections_in_process else "separate process"

    def nudge(self) -> None:
        """A write just happened: have the follower look at the log now (starting it
        if this process has not read yet, so the first read finds no backlog)."""
        if self.settings.projections_in_process and self._follower is None:
            self.projections()
        if self._follower is not None:
            self._follower.nudge()

    def close(self) -> None:
        if self._ledger is not None:
            self._ledger.close()

    def _start_follower(self, web_ledger: Ledger) -> None:
        with self._lock:
            if self._follower is not None:
                return
            own = self.new_ledger(**FOLLOWER_POOL)
            follower = Follower(Projections(own))
            self._follower = follower

        def follow() -> None:
            try:
                follower.run(web_ledger.closing)
            finally:
                own.close()

        threading.Thread(target=follow, name="projections-follower", daemon=True).start()


def create_app(settings: Settings | None = None, clock: Clock | None = None) -> Flask:
    """The service as gunicorn and `flask --app wsgi` run it."""
    runtime = Runtime(settings or Settings.from_environment(), clock)
    app = build_web_app(runtime)
    hubspot = HubSpotIntegration(runtime.settings.hubspot, runtime.ledger)
    hubspot.install(app)
    if hubspot.follower is not None:
        hubspot.follower.start()
        atexit.register(hubspot.follower.stop)
    app.cli.add_command(tokens_cli(runtime.ledger))
    app.cli.add_command(projections_cli(runtime.ledger))
    return app
