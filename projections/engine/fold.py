"""Rebuilding by folding: a read model's next generation is built from the log in
memory, then written into its fresh tables at once.

The log is read in large pages, filtered by the read models' topics and each decoded
once through the application's mapper. A `ReadModel` (readmodel.py) folds each page
with the same handlers the followers run, into its rows in memory (rows.py). A
projection not moved onto that base yet applies it, the same code the followers run,
to a copy of its tables in an in-memory SQLite database (one transaction per page, no
disk, no round trip). So every row, the as-of `_history` rows included, comes out as the live
follower writes it, and each row reaches the real tables once, in its final state,
however many events changed it (a month's usage sum written once, not once per
activity). The rows are then written in one transaction with the generation's tracking
record: `COPY` on PostgreSQL, `executemany` on SQLite. Nothing reads the generation
meanwhile (it is not serving, generations.py), so a crash loses the build, not data.

The scratch copy holds the read model's whole state: memory grows with the read model
(a few hundred bytes per activity).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import Tracking
from eventsourcing.projection import Projection
from eventsourcing.sqlite import SQLiteDatastore

from projections.catalog import CATALOG
from projections.engine.catalog import Projections
from projections.engine.failures import EventFailed
from projections.engine.log_reads import LogReads, topics_of
from projections.engine.readmodel import ReadModel

PAGE_SIZE = 10_000
"""Events read, decoded and applied per scratch transaction."""


def fold(
    projections: Projections,
    buildings: Sequence[Any],
    progress: Any = None,
    until: int | None = None,
    page_size: int = PAGE_SIZE,
) -> int:
    """Apply the log (up to `until`, or its head now) to the empty generations
    `buildings` write, by folding, reading and decoding each page once for all of them
    (filtered by their topics); return the number of log positions folded (events
    read, whether or not these read models care for them). Raises EventFailed
    naming the first event a read model fails on (nothing is written then)."""
    app = projections.app
    until = projections.head() if until is None else until
    # A private in-memory database (twice as fast as a shared-cache one), so ONE
    # connection: a second would open another, empty, database.
    scratch = SQLiteDatastore(":memory:", pool_size=1, max_overflow=0)
    try:
        folds = [_Fold.of(building, scratch) for building in buildings]
        decode = not all(f.stored for f in folds)
        reads = LogReads(app.recorder, page_size)
        topics = topics_of(buildings)
        position, applied = 0, 0
        while position < until:
            page = reads.after(position, until, topics)
            reached = reads.reached(position, until)
            events = [app.mapper.to_domain_event(n) for n in page] if decode else page
            for folding in folds:
                folding.page(app, page, events)
            if progress is not None:
                progress(reached - position)
            position, applied = reached, applied + reached - position
        if position:
            for folding in folds:
                folding.write(app, position)
        return applied
    finally:
        scratch.close()


class _Fold:
    """One read model's fold: its rows in memory (a `ReadModel`), or, for a
    projection not moved onto that base yet, a copy of its tables in the scratch
    database that its own projection writes."""

    def __init__(self, building: Any, folded: Any, rows: Any):
        self.building = building
        self.folded = folded
        self.rows = rows
        self.stored = getattr(folded, "reads_stored_records", False)

    @classmethod
    def of(cls, building: Any, scratch: SQLiteDatastore) -> _Fold:
        if isinstance(building, ReadModel):
            return cls(building, building, building.new_rows())
        scratch_view = CATALOG[building.name].sqlite_view(scratch)  # type: ignore[misc]
        scratch_view.create_table()
        projection = CATALOG[building.name].projection(view=scratch_view)  # type: ignore[misc]
        return cls(building, projection, None)

    def page(self, app: Any, page: Sequence[Any], events: Sequence[Any]) -> None:
        if self.rows is not None:
            self.folded.fold(self.rows, [(e, n.id) for e, n in zip(events, page, strict=True)])
        else:
            _apply_page(app, self.folded, page, events)

    def write(self, app: Any, position: int) -> None:
        tracking = Tracking(app.name, position)
        if self.rows is not None:
            with self.building.view.datastore.transaction(commit=True) as cursor:
                self.building.view._insert_tracking(cursor, tracking)
                self.building.write_all(cursor, self.rows)
            return
        if self.folded.view.position(app.name) != position:
            raise RuntimeError(f"the scratch copy of {self.building.name} was lost")
        _write(self.folded.view, self.building.view, tracking)


def _apply_page(
    app: Any, folded: Projection[Any], page: Sequence[Any], events: Sequence[Any]
) -> None:
    """One page, one scratch transaction: each event decoded, or as stored for a read
    model that hashes the stored records (the Merkle tree)."""
    stored = getattr(folded, "reads_stored_records", False)

    def apply(indexes: Sequence[int]) -> None:
        with folded.view.batch():
            for index in indexes:
                event = page[index] if stored else events[index]
                folded.process_event(event, Tracking(app.name, page[index].id))

    try:
        apply(range(len(page)))
    except Exception:
        # The page rolled back whole: find the event at fault, for the operator.
        for index in range(len(page)):
            try:
                apply([index])
            except Exception as error:
                raise EventFailed(folded.name, page[index].id, error) from error
        raise


def _write(scratch_view: Any, view: Any, tracking: Tracking) -> None:
    """Every scratch row into the generation's tables, with its tracking, at once."""
    with view.datastore.transaction(commit=True) as cursor:
        view._insert_tracking(cursor, tracking)
        for logical in view.tables:
            with scratch_view.reading() as scratch:
                scratch.run(f"SELECT * FROM {{{logical}}}")
                found = scratch.cursor.fetchall()
            if found:
                view.write_rows(cursor, logical, found[0].keys(), [tuple(row) for row in found])
