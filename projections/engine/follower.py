"""Following the event log: each view reads the events after its tracked position
and applies them in batches, each batch one transaction with its tracking record.

Why not the library's `ProjectionRunner`? It applies one event per transaction, needs
a recorder that can `subscribe()` (the SQLite one cannot), runs one subscription and
one application (with its own connection pool) per projection, and has no notion of
a lock shared with other processes. This loop keeps the library's contract (a
`Projection` processes `(domain_event, Tracking)` pairs into a tracking recorder,
so an event is applied exactly once) and adds batching, the per-view lock and a
shared, cheap poll of the log's head.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable

from eventsourcing.persistence import Tracking

from projections.engine.catalog import Projections
from projections.engine.locks import ViewLocks

log = logging.getLogger(__name__)

BATCH_SIZE = 500
Progress = Callable[[int], None]


class Follower:
    """Brings a set of views up to the end of the log, and keeps them there."""

    def __init__(self, projections: Projections, batch_size: int = BATCH_SIZE):
        self.projections = projections
        self.app = projections.app
        self.locks = ViewLocks(projections.datastore, projections.namespace)
        self.batch_size = batch_size
        self.wake = threading.Event()
        self.stopping = threading.Event()

    def catch_up(self, names: Iterable[str] | None = None) -> bool:
        """Bring each view whose lock is free up to the log's head as it is now (not
        beyond: under a steady stream of writes every view gets its turn). True when
        every view was reachable, False when another writer held one of them."""
        head = self.projections.head()
        positions = self.projections.positions(names)
        complete = True
        for name, position in positions.items():
            if position >= head:
                continue
            with self.locks.hold(name) as held:
                if not held:
                    complete = False
                    continue
                self.apply_pending(name, until=head)
        return complete

    def apply_pending(
        self, name: str, progress: Progress | None = None, until: int | None = None
    ) -> int:
        """Apply the events after the view's position, up to `until` or the end of
        the log (the caller holds the view's lock)."""
        view = self.projections.views[name]
        projection = self.projections.projections[name]
        position = view.position(self.app.name)
        applied = 0
        while (until is None or position < until) and not self.stopping.is_set():
            notifications = self.app.recorder.select_notifications(
                start=position, limit=self.batch_size, stop=until, inclusive_of_start=False
            )
            if not notifications:
                break
            with view.batch():
                for notification in notifications:
                    domain_event = self.app.mapper.to_domain_event(notification)
                    projection.process_event(domain_event, Tracking(self.app.name, notification.id))
            position = notifications[-1].id
            applied += len(notifications)
            if progress is not None:
                progress(len(notifications))
        return applied

    def run(
        self, stop: threading.Event, idle_seconds: float = 0.25, busy_seconds: float = 0.02
    ) -> None:
        """Follow the log until `stop` is set (checked between batches, each of which
        commits whole). Errors (the database gone, a bad event) are logged and retried
        with a growing pause; a failed batch is rolled back whole."""
        watcher = threading.Thread(target=self._stop_on, args=(stop,), daemon=True)
        watcher.start()
        failures = 0
        pause = idle_seconds
        while not self.stopping.is_set():
            try:
                if self.catch_up():
                    pause = idle_seconds
                else:  # another writer had a view: look again soon, then less often
                    pause = busy_seconds if pause >= idle_seconds else min(pause * 2, idle_seconds)
                failures = 0
            except Exception:
                if self.stopping.is_set():
                    break
                failures += 1
                pause = min(idle_seconds * 2**failures, 30.0)
                log.exception("projections: catching up failed; retrying in %.1fs", pause)
            self.wake.wait(pause)
            self.wake.clear()

    def _stop_on(self, stop: threading.Event) -> None:
        stop.wait()
        self.stopping.set()
        self.wake.set()

    def nudge(self) -> None:
        """Look at the log now rather than at the next poll (a write just happened)."""
        self.wake.set()
