"""Rebuilding by folding: a read model's next generation is built from the log in a
scratch database in memory, then written into its fresh tables at once.

The log is read in large pages, each decoded through the application's mapper and
applied by the read model's own projection, the same code the followers run, to a
copy of its tables in an in-memory SQLite database (one transaction per page, no disk,
no round trip). So every row, the as-of `_history` rows included, comes out as the live
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

PAGE_SIZE = 10_000
"""Events read, decoded and applied per scratch transaction."""


def fold(
    projections: Projections,
    buildings: Sequence[Projection[Any]],
    progress: Any = None,
    until: int | None = None,
    page_size: int = PAGE_SIZE,
) -> int:
    """Apply the log (up to `until`) to the empty generations `buildings` write, by
    folding, reading and decoding each page once for all of them; return the number
    of events applied. Raises EventFailed naming the first event a read model fails
    on (nothing is written then)."""
    # A private in-memory database (twice as fast as a shared-cache one), so ONE
    # connection: a second would open another, empty, database.
    scratch = SQLiteDatastore(":memory:", pool_size=1, max_overflow=0)
    try:
        folded = []
        for building in buildings:
            scratch_view = CATALOG[building.name].sqlite_view(scratch)
            scratch_view.create_table()
            folded.append(CATALOG[building.name].projection(view=scratch_view))
        app = projections.app
        decode = not all(getattr(p, "reads_stored_records", False) for p in folded)
        position, applied = 0, 0
        while until is None or position < until:
            page = app.recorder.select_notifications(
                start=position, limit=page_size, stop=until, inclusive_of_start=False
            )
            if not page:
                break
            events = [app.mapper.to_domain_event(n) for n in page] if decode else page
            for projection in folded:
                _apply_page(app, projection, page, events)
            position, applied = page[-1].id, applied + len(page)
            if progress is not None:
                progress(len(page))
        if applied:
            for projection, building in zip(folded, buildings, strict=True):
                if projection.view.position(app.name) != position:
                    raise RuntimeError(f"the scratch copy of {building.name} was lost")
                _write(projection.view, building.view, Tracking(app.name, position))
        return applied
    finally:
        scratch.close()


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
