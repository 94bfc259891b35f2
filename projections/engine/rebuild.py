"""Rebuilding a read model, blue/green (generations.py): its next generation is built
from the whole log beside the serving one, which keeps answering every read and is
kept up to date by the followers meanwhile; once the new one has caught up with it,
reads switch to it in one transaction. No read waits on, fails during, or sees part of
a rebuild; the retired generation's tables go at the next rebuild or `projections
prune`."""

from __future__ import annotations

from projections.engine.catalog import Projections
from projections.engine.follower import Follower, Progress

BATCH_SIZE = 2000
"""Larger than a follower's: fewer commits, and each page of the view's indexes is
written once for more events (the tables of a replay grow fast)."""


def rebuild(
    projections: Projections,
    name: str,
    progress: Progress | None = None,
    batch_size: int = BATCH_SIZE,
    until: int | None = None,
) -> int:
    """Replay the whole log into a new generation of read model `name` and serve it
    once it has caught up with the serving one; return the number of events applied.
    With `until`, replay the log's events up to that position only and serve that (a
    replica of the log cut there, to compare with: the reports as of a position)."""
    follower = Follower(projections, batch_size=batch_size)
    building = projections.begin_generation(name)
    app_name = projections.application_name
    with follower.locks.hold(building.view.lock_name) as held:
        if not held:
            raise RuntimeError(f"the new generation of {name} is locked by another writer")
        applied = follower.apply_to(building, progress, until=until)
        # The serving generation went on meanwhile: follow the log until caught up with it.
        while until is None and (
            building.view.position(app_name) < projections.positions([name])[name]
        ):
            applied += follower.apply_to(building, progress)
        projections.switch(name, building)
    return applied
