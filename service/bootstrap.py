"""The composition root: the one place that builds the ledger, the read models and the
background workers, for every entry point (gunicorn's workers, `flask --app wsgi …`,
tests).

A `Runtime` is what one process runs on. Gunicorn forks its workers after importing
the app, and a database pool made before the fork would be shared by all of them, so
the Ledger is made lazily and made again when the process id changes.

The background work (the projection follower, the checkpoint worker, the PDF
renderer, the HubSpot deal follower when an access token is set, and whatever else is in
`Runtime.background_factories`) runs in ONE place, so that nothing is done once per
web worker and the HubSpot follower never runs twice:

- the worker process, `flask --app wsgi worker run` (`projections run` is the same
  command), with PROJECTIONS_IN_PROCESS=false for the web processes; or
- with PROJECTIONS_IN_PROCESS=true (`make run`, tests): a single-process server (a test
  client, `flask run`) starts it in threads on its first request; under gunicorn the
  master starts one `worker run` child beside its web workers instead, and the web
  workers start none (service/infra/gunicorn_conf.py).

CLI commands never start it: only a served request or `worker run` does, so a command
exits at once instead of waiting at exit for a follower to finish its deal.

The packages below never import this module: the web app, the CLI groups and the
HubSpot worker are handed the runtime (or a ledger callable) here.
"""

from __future__ import annotations

import atexit
import os
import signal
import threading
from collections.abc import Callable
from functools import partial
from typing import Protocol

import click
from flask import Flask
from flask.cli import AppGroup

from integrations.hubspot import HubSpotIntegration
from projections import Projections
from projections.audit.checkpoints import Checkpointer, CheckpointWorker
from projections.cli import RUN_POLL_SECONDS, projections_cli
from projections.engine.follower import Follower
from projections.engine.heartbeat import Heartbeat, HeartbeatWorker, WorkerStatus
from service.application import Ledger
from service.application.clock import Clock
from service.cli.audit import audit_cli
from service.cli.demo import demo_cli
from service.cli.imports import imports_cli
from service.cli.tokens import tokens_cli
from service.infra.config import Settings
from service.infra.rendered_pdfs import RenderedPdfs
from service.infra.signing import Signer
from service.infra.store import prepare_storage
from service.web.app import build_web_app
from service.web.documents.pdf_renderer import PdfRenderer

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


class Runtime:
    """One process's Ledger, read models and background workers."""

    def __init__(self, settings: Settings, clock: Clock | None = None):
        self.settings = settings
        self.clock = clock or Clock()
        # What the worker process runs (see the module's docstring); create_app adds
        # the HubSpot workers when HubSpot is configured.
        self.background_factories: list[Callable[[Runtime], Worker]] = [
            ProjectionWorker,
            checkpoint_worker,
            heartbeat_worker,
        ]
        # Whether a served request starts them in this process: PROJECTIONS_IN_PROCESS,
        # turned off in gunicorn's web workers (their master runs one worker process).
        self.background_in_web = settings.projections_in_process
        self.projection_poll_seconds = IN_PROCESS_POLL_SECONDS
        self._signer: Signer | None = None
        self._lock = threading.RLock()
        self._pid: int | None = None
        self._ledger: Ledger | None = None
        self._projections: Projections | None = None
        self._rendered_pdfs: RenderedPdfs | None = None
        self._heartbeat: Heartbeat | None = None
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
                    self._rendered_pdfs = None
                    self._heartbeat = None
                    self._workers = None
                    self._pid = os.getpid()
        assert self._ledger is not None
        return self._ledger

    def projections(self) -> Projections:
        """This process's read models (their followers run elsewhere or were started
        by a request: a CLI command reading them starts nothing)."""
        ledger = self.ledger()
        if self._projections is None:
            with self._lock:
                if self._projections is None:
                    self._projections = Projections(ledger)
        return self._projections

    def worker_status(self) -> WorkerStatus:
        """Whether a process (this one or another) runs the background work: its
        heartbeat, read from the database (heartbeat.py)."""
        ledger = self.ledger()
        if self._heartbeat is None:
            with self._lock:
                if self._heartbeat is None:
                    heartbeat = Heartbeat(ledger.factory.datastore)
                    heartbeat.create_table()
                    self._heartbeat = heartbeat
        return self._heartbeat.status(self.settings.worker_down_after_seconds)

    def rendered_pdfs(self) -> RenderedPdfs:
        """The PDFs the worker renders and the requests for them (rendered_pdfs.py)."""
        ledger = self.ledger()
        if self._rendered_pdfs is None:
            with self._lock:
                if self._rendered_pdfs is None:
                    rendered = RenderedPdfs(ledger.factory.datastore)
                    rendered.create_table()
                    self._rendered_pdfs = rendered
        return self._rendered_pdfs

    def start_workers(self) -> None:
        """Start the background workers in this process, once: called by `worker run`,
        and on every request when `background_in_web` (cheap once started). They stop
        at exit, so a process never ends in the middle of a ledger write."""
        if self._workers is not None and self._pid == os.getpid():
            return
        self.ledger()
        with self._lock:
            if self._workers is not None:
                return
            self._workers = [make(self) for make in self.background_factories]
            for worker in self._workers:
                worker.start()
                atexit.register(worker.stop)

    def run_workers(self, stop: threading.Event) -> None:
        """The worker process: run the background workers until `stop` is set, then
        stop each (waiting for the batch or deal in hand) and close the ledger."""
        self.start_workers()
        while not stop.wait(0.5):
            pass
        self.close()

    @property
    def runner_mode(self) -> str:
        return "in-process" if self.settings.projections_in_process else "separate process"

    def nudge(self) -> None:
        """A write just happened: have this process's projection follower, if it runs
        one, look at the log now (elsewhere, the follower is woken by the commit)."""
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
        """Stop this process's background workers (each waiting for the batch, beat or
        rendering in hand), then close the ledger: no worker is left in the middle of a
        statement on a database going away."""
        for worker in self._workers or ():
            worker.stop()
            atexit.unregister(worker.stop)
        self._workers = None
        if self._ledger is not None:
            self._ledger.close()


def create_app(settings: Settings | None = None, clock: Clock | None = None) -> Flask:
    """The service as gunicorn and `flask --app wsgi` run it."""
    runtime = Runtime(settings or Settings.from_environment(), clock)
    app = build_web_app(runtime)

    def pdf_renderer(runtime: Runtime) -> Worker:
        return PdfRenderer(app, runtime)

    runtime.background_factories.append(pdf_renderer)
    hubspot = HubSpotIntegration(runtime.settings.hubspot, runtime.ledger)
    hubspot.install(app)
    if hubspot.follower is not None:
        follower = hubspot.follower

        def hubspot_deal_follower(_: Runtime) -> Worker:
            return follower

        runtime.background_factories.append(hubspot_deal_follower)
    if hubspot.polling:  # the reconciliation poll: a token, the portal id, minutes above 0

        def hubspot_poll(_: Runtime) -> Worker:
            return hubspot.poll_worker()

        runtime.background_factories.append(hubspot_poll)
    app.cli.add_command(worker_cli(runtime))
    app.cli.add_command(tokens_cli(runtime.ledger, runtime.settings.web))
    app.cli.add_command(projections_cli(runtime.ledger, partial(run_worker_process, runtime)))
    app.cli.add_command(audit_cli(runtime))
    app.cli.add_command(demo_cli(runtime.ledger))
    app.cli.add_command(imports_cli(runtime.ledger))
    return app


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


def worker_cli(runtime: Runtime) -> AppGroup:
    group = AppGroup("worker", help="The background work: read models, checkpoints, HubSpot.")

    @group.command("run")
    @click.option(
        "--poll",
        default=WORKER_POLL_SECONDS,
        show_default=True,
        help="seconds between the projection follower's looks at the log "
        "(the fallback when woken by each commit)",
    )
    def run(poll: float) -> None:
        """Run every background worker (projection follower, checkpoints, HubSpot
        deal details) until SIGTERM or Ctrl-C; the web processes run none."""
        run_worker_process(runtime, poll)

    return group
