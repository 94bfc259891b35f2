"""Rebuilding a read model, blue/green (generations.py): its next generation is built
from the whole log beside the serving one, which keeps answering every read and is
kept up to date by the followers meanwhile; once the new one has caught up with it,
reads switch to it in one transaction. No read waits on, fails during, or sees part of
a rebuild; the retired generation's tables go at the next rebuild or `projections
prune`. The log as it stands is folded into the new tables (fold.py); the events
written meanwhile are applied as a follower does."""

from __future__ import annotations

from collections.abc import Sequence

from projections.engine.catalog import Projections
from projections.engine.fold import PAGE_SIZE, fold
from projections.engine.follower import Follower, Progress


def rebuild(
    projections: Projections,
    name: str,
    progress: Progress | None = None,
    batch_size: int = PAGE_SIZE,
    until: int | None = None,
) -> int:
    """Rebuild one read model (see `rebuild_many`); return the number of events applied."""
    return rebuild_many(projections, [name], progress, batch_size, until)


def rebuild_many(
    projections: Projections,
    names: Sequence[str],
    progress: Progress | None = None,
    batch_size: int = PAGE_SIZE,
    until: int | None = None,
) -> int:
    """Replay the whole log, read once, into a new generation of each read model
    named, and serve each once it has caught up with the one serving; return the
    number of events folded. With `until`, replay the log's events up to that position
    only and serve that (a replica of the log cut there, to compare with: the reports
    as of a position)."""
    follower = Follower(projections, batch_size=batch_size)
    buildings = {name: projections.begin_generation(name) for name in names}
    app_name = projections.application_name
    lock_names = {building.view.lock_name: name for name, building in buildings.items()}
    # One connection holds every new generation's lock: a lock per pooled connection
    # would take as many connections as read models, more than the pool has.
    with follower.locks.hold_free(list(lock_names)) as held:
        if taken := [lock_names[lock] for lock in lock_names if lock not in held]:
            raise RuntimeError(
                f"the new generation of {', '.join(taken)} is locked by another writer"
            )
        applied = fold(projections, list(buildings.values()), progress, until, batch_size)
        for name, building in buildings.items():
            # The serving generation went on meanwhile: follow the log until caught up.
            while until is None and (
                building.view.position(app_name) < projections.positions([name])[name]
            ):
                follower.apply_to(building)
            projections.switch(name, building)
    return applied
