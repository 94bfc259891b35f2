"""Rebuilding by folding: a read model's next generation is built from the log in
memory, then written into its fresh tables at once.

The log is read in large pages, filtered by the read models' topics and each decoded
once through the application's mapper (or handed as stored to a read model that reads
the stored records, the Merkle tree). A `ReadModel` (readmodel.py) folds each page
with the same handlers the followers run, into its rows in memory (rows.py). So every
row, the as-of `_history` rows included, comes out as the live
follower writes it, and each row reaches the real tables once, in its final state,
however many events changed it (a month's usage sum written once, not once per
activity). The rows are then written in one transaction with the generation's tracking
record: `COPY` on PostgreSQL, `executemany` on SQLite. Nothing reads the generation
meanwhile (it is not serving, generations.py), so a crash loses the build, not data.

The rows in memory are the read model's whole state: memory grows with the read model
(a few hundred bytes per activity, per node of the Merkle tree).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import Tracking

from projections.engine.catalog import Projections
from projections.engine.log_reads import LogReads, topics_of
from projections.engine.readmodel import ReadModel

PAGE_SIZE = 10_000
"""Events read, decoded and folded per page."""


def fold(
    projections: Projections,
    buildings: Sequence[ReadModel],
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
    folds = [(model, model.new_rows()) for model in buildings]
    decode = not all(model.reads_stored_records for model in buildings)
    reads = LogReads(app.recorder, page_size)
    topics = topics_of(buildings)
    position, applied = 0, 0
    while position < until:
        page = reads.after(position, until, topics)
        reached = reads.reached(position, until)
        events = [app.mapper.to_domain_event(n) for n in page] if decode else page
        for model, rows in folds:
            records = page if model.reads_stored_records else events
            model.fold(rows, [(r, n.id) for r, n in zip(records, page, strict=True)])
        if progress is not None:
            progress(reached - position)
        position, applied = reached, applied + reached - position
    if position:
        for model, rows in folds:
            _write(model, rows, Tracking(app.name, position))
    return applied


def _write(model: ReadModel, rows: Any, tracking: Tracking) -> None:
    """Every row folded into the generation's tables, with its tracking, at once."""
    with model.view.datastore.transaction(commit=True) as cursor:
        model.view._insert_tracking(cursor, tracking)
        model.write_all(cursor, rows)
