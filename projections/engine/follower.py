"""Following the event log: each view reads the events after its tracked position
and applies them in batches, each batch one transaction with its tracking record.

Why not the library's `ProjectionRunner`? It applies one event per transaction, needs
a recorder that can `subscribe()` (the SQLite one cannot), runs one subscription and
one application (with its own connection pool) per projection, and has no notion of
a lock shared with other processes. This loop keeps the library's contract (a
read model applies each event with its tracking record in one transaction, so an
event is applied exactly once) and adds batching, the per-view lock and a
shared, cheap poll of the log's head. The log is read once per pass for all the views
going together, filtered by their topics (log_reads.py), each event decoded once; a
read model (readmodel.py) writes each batch in a fixed number of statements.

Each view is caught up on its own: when applying an event to one view raises (other
than the database being unreachable, which would fail every view alike and stops the
pass), its batch is rolled back, the batch is applied again one event at a time to
find the event at fault (the ones before it commit), the failure is recorded
(failures.py) and the other views go on. The failed view is retried with exponential
backoff (1 s doubling to 5 min), and its failure cleared once it gets past the event.

On PostgreSQL (with `listen`, PROJECTIONS_LISTEN) the follower is also woken as soon as
events are committed, by any process (listener.py), and its timed poll stays as the
fallback for when the listening connection is down; on SQLite it polls.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any

from eventsourcing.persistence import Tracking

from projections.engine.catalog import Projections
from projections.engine.failures import (
    FIRST_RETRY_SECONDS,
    MAX_RETRY_SECONDS,
    EventFailed,
    Failure,
    backoff_seconds,
    now_utc,
)
from projections.engine.listener import CommitListener
from projections.engine.locks import ViewLocks
from projections.engine.log_reads import LogReads, topics_of
from projections.engine.readmodel import ReadModel
from service.infra.store_errors import DATABASE_UNAVAILABLE

log = logging.getLogger(__name__)

BATCH_SIZE = 500
# Woken by every commit, the follower of a busy log would start a pass every commit or
# two, each with its fixed round trips per view, and take the writers' CPU on a small
# machine. Passes start at most this often: a quiet log is followed at once, a busy one
# in batches (bench/lag.py on 2 cores: at most every 25 ms, the follower took 0.37 of a
# core against polling's 0.17, and the writes fell to 0.7x; at 50 ms, 0.27 and 0.8-0.9x,
# the lag about 40 ms against polling's 90).
MIN_PASS_SECONDS = 0.05
Progress = Callable[[int], None]


class Follower:
    """Brings a set of views up to the end of the log, and keeps them there."""

    def __init__(
        self,
        projections: Projections,
        batch_size: int = BATCH_SIZE,
        first_retry: float = FIRST_RETRY_SECONDS,
        max_retry: float = MAX_RETRY_SECONDS,
        clock: Callable[[], datetime] = now_utc,
        listen: bool = False,
    ):
        self.projections = projections
        self.app = projections.app
        self.locks = ViewLocks(projections.datastore, projections.namespace)
        self.failure_log = projections.failure_log
        self.batch_size = batch_size
        self.first_retry = first_retry
        self.max_retry = max_retry
        self.clock = clock
        self.wake = threading.Event()
        self.stopping = threading.Event()
        self.listener = (
            CommitListener(
                projections.datastore, self.app.recorder.channel_name, self.nudge, self.stopping
            )
            if listen and projections.is_postgres
            else None
        )

    def catch_up(self, names: Iterable[str] | None = None) -> bool:
        """Bring each view whose lock is free up to the log's head as it is now (not
        beyond: under a steady stream of writes every view gets its turn). A view that
        fails on an event is recorded as failed and left there until its next retry
        is due; the others go on. True when every view was reachable, False when
        another writer held one of them. Raises only when the database does."""
        head, positions, failing = self.projections.head_and_positions(names)
        for name, position in positions.items():
            self._promote_if_caught_up(name, position, head)
        behind = [name for name, position in positions.items() if position < head]
        if not behind:
            return True
        failed = self.failure_log.read(behind) if failing else {}
        reads = LogReads(self.app.recorder, self.batch_size)
        together = self._catch_up_together(behind, failed, positions, head, reads)
        complete = True
        for name in behind:
            if self.stopping.is_set():
                break
            if name in together:
                continue
            if self._waiting(failed.get(name), positions[name]):
                continue  # not on every poll: its backoff has not run out
            projection = self.projections.projections[name]
            with self.locks.hold(projection.lock_name) as held:
                if not held:
                    complete = False
                    continue
                self._catch_up_view(name, projection, head, reads)
        return complete

    def _catch_up_together(
        self,
        behind: list[str],
        failed: dict[str, Failure],
        positions: dict[str, int],
        head: int,
        reads: LogReads,
    ) -> set[str]:
        """The usual pass: the views, none failed, at one position and less than a
        batch behind, brought to the head in ONE transaction (one commit, one read of
        their positions under their locks), each view's rows with its own tracking.
        Returns the views it brought there; the others (and these, if anything went
        wrong, rolled back whole) are caught up one by one."""
        start = positions[behind[0]]
        group = [name for name in behind if name not in failed and positions[name] == start]
        if len(group) < 2 or head - start > self.batch_size:
            return set()
        lock_names = {self.projections.projections[name].lock_name: name for name in group}
        with self.locks.hold_free(list(lock_names)) as free:
            held = [lock_names[lock_name] for lock_name in free]
            # Read again under the locks: another process may have moved them on.
            if len(held) < 2 or set(self.projections.positions(held).values()) != {start}:
                return set()
            writers = [self.projections.projections[n] for n in held]
            notifications = reads.after(start, head, topics_of(writers))
            if reads.reached(start, head) < head:
                return set()
            try:
                self._apply_together(writers, notifications, head)
            except DATABASE_UNAVAILABLE:
                raise
            except Exception:
                return set()
        for name in held:
            self._promote_if_caught_up(name, head, head)
        return set(held)

    def _apply_together(
        self, models: list[ReadModel], notifications: Sequence[Any], reached: int
    ) -> None:
        """One batch for several views in one transaction: each event decoded once."""
        events = self._decoded(models, notifications)
        tracking = Tracking(self.app.name, reached)
        with models[0].batch_transaction() as cursor:
            for model in models:
                stored = model.reads_stored_records
                model.apply(
                    cursor, tracking, [(n, n.id) for n in notifications] if stored else events
                )

    def _decoded(self, models: list[ReadModel], notifications: Sequence[Any]) -> list[Any]:
        """The batch's events decoded once, if any of `models` reads domain events
        (the Merkle tree reads the stored records as they are)."""
        if all(model.reads_stored_records for model in models):
            return []
        return [(self.app.mapper.to_domain_event(n), n.id) for n in notifications]

    def _waiting(self, failure: Failure | None, position: int) -> bool:
        return failure is not None and failure.stops(position) and not failure.due(self.clock())

    def _catch_up_view(self, name: str, projection: ReadModel, head: int, reads: LogReads) -> None:
        """Catch one view up, holding its lock; record its failure or clear it."""
        # Read again under the lock: another process may have just failed on it.
        failure = self.failure_log.get(name)
        position = projection.position(self.app.name)
        if self._waiting(failure, position):
            return
        try:
            self.apply_to(projection, until=head, after=position, reads=reads)
        except EventFailed as error:
            recorded = self.failure_log.record(
                name, error.position, error.error, self.clock(), self.first_retry, self.max_retry
            )
            log.error(
                "projections: %s (attempt %d); the other views go on, this one is retried in %.0fs",
                error,
                recorded.attempts,
                backoff_seconds(recorded.attempts, self.first_retry, self.max_retry),
                exc_info=error.error,
            )
            return
        position = projection.position(self.app.name)
        self._promote_if_caught_up(name, position, head)
        if failure is not None and not failure.stops(position):
            self.failure_log.clear(name)
            log.warning(
                "projections: the %s view got past log position %d, where it had failed",
                name,
                failure.position,
            )

    def _promote_if_caught_up(self, name: str, position: int, head: int) -> None:
        """The first generation of a new version serves once it has caught up."""
        if not self.projections.serving[name] and position >= head:
            self.projections.promote(name)
            version = self.projections.views[name].version
            log.warning("projections: %s version %d has caught up and serves", name, version)

    def apply_pending(self, name: str, progress: Progress | None = None) -> int:
        """Apply the events after the serving view's position (the caller holds its lock)."""
        return self.apply_to(self.projections.projections[name], progress)

    def apply_to(
        self,
        projection: ReadModel,
        progress: Progress | None = None,
        until: int | None = None,
        after: int | None = None,
        reads: LogReads | None = None,
    ) -> int:
        """Apply the events after the position of the view `projection` writes (`after`,
        when the caller has just read it), up to `until` or the end of the log (the
        caller holds the view's lock), reading the log through `reads` when given;
        return the number of log positions it moved on (`progress` is told them too).
        Raises EventFailed naming the event a batch failed on, the events before it
        applied; database errors as they are."""
        position = projection.position(self.app.name) if after is None else after
        until = self.projections.head() if until is None else until
        reads = reads or LogReads(self.app.recorder, self.batch_size)
        topics = topics_of([projection])
        applied = 0
        while position < until and not self.stopping.is_set():
            notifications = reads.after(position, until, topics)
            reached = reads.reached(position, until)
            try:
                self._apply(projection, notifications, reached)
            except DATABASE_UNAVAILABLE:
                raise
            except Exception:
                if not notifications:
                    raise
                # The batch rolled back whole: apply it one event at a time to find the
                # event at fault, committing the ones before it.
                self._apply_one_by_one(projection, notifications, position, reached)
            if progress is not None:
                progress(reached - position)
            applied += reached - position
            position = reached
        return applied

    def _apply(self, projection: ReadModel, notifications: Sequence[Any], reached: int) -> None:
        """One batch, one transaction."""
        self._apply_together([projection], notifications, reached)

    def _apply_one_by_one(
        self, projection: ReadModel, notifications: Sequence[Any], position: int, reached: int
    ) -> None:
        """Apply a batch read from `position` to `reached` one event at a time, each
        tracked up to the log position before the next one: when one fails, the view
        stands just before it. Raises EventFailed naming it."""
        if notifications[0].id - 1 > position:
            self._apply(projection, [], notifications[0].id - 1)
        ends = [notification.id - 1 for notification in notifications[1:]] + [reached]
        for notification, end in zip(notifications, ends, strict=True):
            try:
                self._apply(projection, [notification], end)
            except (*DATABASE_UNAVAILABLE, EventFailed):
                raise
            except Exception as error:
                raise EventFailed(projection.name, notification.id, error) from error

    def run(
        self, stop: threading.Event, idle_seconds: float = 0.25, busy_seconds: float = 0.02
    ) -> None:
        """Follow the log until `stop` is set (checked between batches, each of which
        commits whole): a pass every `idle_seconds`, or at once when woken by a commit
        (listening) or a nudge, but never sooner than MIN_PASS_SECONDS after the last
        pass began. A view failing on an event is recorded and retried by
        `catch_up`; other errors (the database gone) are logged and retried with a
        growing pause, a failed batch rolled back whole."""
        watcher = threading.Thread(target=self._stop_on, args=(stop,), daemon=True)
        watcher.start()
        if self.listener is not None:
            self.listener.start()
        try:
            self._follow(idle_seconds, busy_seconds)
        finally:
            if self.listener is not None:
                self.listener.join()

    def _follow(self, idle_seconds: float, busy_seconds: float) -> None:
        failures = 0
        pause = idle_seconds
        while not self.stopping.is_set():
            started = time.monotonic()
            complete = True
            try:
                complete = self.catch_up()
                if complete:
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
            # While another writer holds a view, it is applying the log (and is woken by
            # the same commits): sit the short pause out rather than wake on each commit,
            # or every follower of a busy log would spin against that writer's lock.
            (self.wake if complete else self.stopping).wait(pause)
            self.stopping.wait(started + MIN_PASS_SECONDS - time.monotonic())
            self.wake.clear()

    def _stop_on(self, stop: threading.Event) -> None:
        stop.wait()
        self.stopping.set()
        self.wake.set()

    def nudge(self) -> None:
        """Look at the log now rather than at the next poll (a write just happened)."""
        self.wake.set()
