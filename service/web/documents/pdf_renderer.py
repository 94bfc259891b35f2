"""The worker's PDF renderer: renders the PDFs requests queued (service/web/documents/pdf_files.py)
and stores them (service/infra/rendered_pdfs.py), PDF_RENDERS at a time.

It runs where the other background work runs (service/runtime.py): in the worker
process, or in a single-process server's threads. Each of its threads claims a
queued rendering, draws the HTML from the read models once they have reached the
position asked for (in the app's context, for its templates), has a printer process
lay it out (service/infra/pdf_printing.py), and stores the file with the position
the read models had. A rendering that fails is retried with a growing pause; one
held by a renderer that died is taken over when its lease ends.

It reads on a Ledger of its own, as the projection follower does, so that nothing
closes its connections under it, and stops when the process's Ledger closes.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask import Flask

from projections import Projections
from projections.engine.failures import backoff_seconds, describe
from projections.engine.freshness import ProjectionsBehind, await_position
from projections.reports.declared import read_models_of
from projections.reports.queries import member_names
from service.domain.calendar import Month
from service.infra.pdf_printing import print_pdf, printer_pool
from service.infra.rendered_pdfs import Job, RenderedPdfs
from service.web.api.statements import statement_html
from service.web.documents.pdf_files import PdfDocument
from service.web.pages.report_pages import report_context, report_pdf_html

log = logging.getLogger(__name__)

POLL_SECONDS = 0.5
"""How often an idle renderer looks for queued renderings."""
LEASE = timedelta(minutes=5)
"""How long a claimed rendering is a renderer's before another may take it over."""
REPORT_VIEWS = read_models_of(report_context)
"""The read models a report's PDF is drawn from (report_pdf_html draws report_context)."""
VIEWS_WAIT_SECONDS = 5.0
"""How long a rendering waits for the read models to reach its position, before it
goes back to the queue (they are behind: the follower is catching up)."""


class PdfRenderer:
    """A background worker (start/stop) of `renders` threads and as many printers."""

    def __init__(self, app: Flask, runtime: Any):
        self.app = app
        self.renders = runtime.settings.pdf_renders
        self.closing = runtime.ledger().closing
        self.own = runtime.new_ledger(
            POSTGRES_POOL_SIZE="1", POSTGRES_MAX_OVERFLOW=str(self.renders + 1)
        )
        self.read_models = Projections(self.own, names=REPORT_VIEWS)
        self.store = RenderedPdfs(self.own.factory.datastore)
        self.store.create_table()
        self.stopping = threading.Event()
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()
        self._running = 0
        self._closed = False
        self.threads = [
            threading.Thread(target=self._run, name=f"pdf-renderer-{n}", daemon=True)
            for n in range(self.renders)
        ]

    def start(self) -> None:
        # The deployment's background work runs in one process: a lease left is a dead
        # renderer's, and its rendering need not wait for the lease to end.
        self.store.release_all()
        self._running = len(self.threads)
        for thread in self.threads:
            thread.start()

    def stop(self, timeout: float = 15.0) -> None:
        """Stop taking renderings; wait a little for those in hand (one cut short is
        taken over by the next renderer once its lease ends)."""
        self.stopping.set()
        deadline = time.monotonic() + timeout
        for thread in self.threads:
            if thread.is_alive():
                thread.join(max(0.0, deadline - time.monotonic()))
        if not self._running:  # never started, or every thread has ended
            self._close()

    def render_next(self) -> bool:
        """Claim one queued rendering and do it; False when none is waiting."""
        job = self.store.claim(_now(), LEASE)
        if job is None:
            return False
        started = time.perf_counter()
        try:
            with self.app.app_context():
                html, position = self._html(job)
            pdf = self._printers().submit(print_pdf, html).result()
        except ProjectionsBehind as behind:
            log.info("pdfs: %s waits for the read models: %s", job.document, behind)
            self.store.release(job, _now())
            return True
        except Exception as error:
            retry = backoff_seconds(job.attempts)
            log.exception("pdfs: could not render %s; retrying in %.0f s", job.document, retry)
            self.store.release(job, _now() + timedelta(seconds=retry), describe(error))
            return True
        self.store.store(job, pdf, position, _now())
        log.info(
            "pdfs: rendered %s (log position %d, %d bytes) in %.2f s",
            job.document,
            position,
            len(pdf),
            time.perf_counter() - started,
        )
        return True

    def _html(self, job: Job) -> tuple[str, int]:
        """The document's HTML, and the log position it reflects."""
        document = PdfDocument.parse(job.document)
        await_position(self.read_models, REPORT_VIEWS, job.min_position, VIEWS_WAIT_SECONDS)
        if document.kind == "statement":  # as issued, whatever was written since
            statement = self.own.statement(document.subject)
            return statement_html(statement, member_names(self.read_models)), job.min_position
        position = min(self.read_models.positions(REPORT_VIEWS).values())
        month, day = Month.parse(document.month), date.fromisoformat(job.day)
        return report_pdf_html(self.read_models, document.subject, month, day), position

    def _printers(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = printer_pool(self.renders)
            return self._pool

    def _run(self) -> None:
        try:
            while not (self.stopping.is_set() or self.closing.is_set()):
                try:
                    busy = self.render_next()
                except Exception:  # the database is away: look again after a pause
                    log.exception("pdfs: could not look for renderings to do")
                    busy = False
                if not busy:
                    self.stopping.wait(POLL_SECONDS)
        finally:
            self._thread_ended()

    def _thread_ended(self) -> None:
        """The last thread to end closes the printers and the Ledger."""
        with self._lock:
            self._running -= 1
        if not self._running:
            self._close()

    def _close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            if self._pool is not None:
                self._pool.shutdown(wait=False, cancel_futures=True)
        self.own.close()


def _now() -> datetime:
    return datetime.now(UTC)
