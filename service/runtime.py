"""What one process runs on: its ledger, read models and background workers, for every
entry point (gunicorn's workers, `flask --app wsgi …`, tests).

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

The web app, the CLI groups and the HubSpot worker never import this module: the
composition root (service/bootstrap.py) hands them the runtime, or a ledger callable.
"""

from __future__ import annotations

import atexit
import os
import threading
from collections.abc import Callable
from typing import Any

from projections import Projections
from projections.audit.checkpoints import Checkpointer
from projections.engine.heartbeat import Heartbeat, WorkerStatus
from service.application import Ledger
from service.application.clock import Clock
from service.infra.config import Settings
from service.infra.rendered_pdfs import RenderedPdfs
from service.infra.signing import Signer
from service.infra.store import prepare_storage
from service.notify.outbox import Notifier
from service.workers import (
    IN_PROCESS_POLL_SECONDS,
    ProjectionWorker,
    Worker,
    checkpoint_worker,
    heartbeat_worker,
    notifier,
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
        self._per_process: dict[str, Any] = {}
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
                    self._per_process = {}
                    self._workers = None
                    self._pid = os.getpid()
        assert self._ledger is not None
        return self._ledger

    def projections(self) -> Projections:
        """This process's read models (their followers run elsewhere or were started
        by a request: a CLI command reading them starts nothing)."""
        return self._once("projections", Projections)

    def worker_status(self) -> WorkerStatus:
        """Whether a process (this one or another) runs the background work: its
        heartbeat, read from the database (heartbeat.py)."""
        heartbeat = self._once("heartbeat", lambda ledger: _created(Heartbeat, ledger))
        return heartbeat.status(self.settings.worker_down_after_seconds)

    def rendered_pdfs(self) -> RenderedPdfs:
        """The PDFs the worker renders and the requests for them (rendered_pdfs.py)."""
        return self._once("rendered_pdfs", lambda ledger: _created(RenderedPdfs, ledger))

    def _once(self, name: str, make: Callable[[Ledger], Any]) -> Any:
        """`make(ledger)`, made once per process on first use (again after a fork, with
        the process's own ledger)."""
        ledger = self.ledger()
        made = self._per_process.get(name)
        if made is None:
            with self._lock:
                made = self._per_process.get(name)
                if made is None:
                    made = self._per_process[name] = make(ledger)
        return made

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

    def notifier(self) -> Notifier:
        """The notifier on this process's ledger: what /review shows would be sent."""
        return self._once("notifier", lambda ledger: notifier(self, ledger))

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


def _created(table: type[Heartbeat] | type[RenderedPdfs], ledger: Ledger) -> Any:
    """A side table in the event store's database, created if it is not there."""
    made = table(ledger.factory.datastore)
    made.create_table()
    return made
