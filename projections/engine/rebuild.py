"""Rebuilding a view: drop its tables and tracking, make them anew, and replay the
whole log into them, holding the view's lock so no follower writes meanwhile.

While a rebuild runs the view is incomplete: reads that need it wait (min_position)
and `/readyz` shows its lag; other views are served as usual."""

from __future__ import annotations

from projections.engine.catalog import Projections
from projections.engine.follower import Follower, Progress

LOCK_WAIT_SECONDS = 30.0
BATCH_SIZE = 2000
"""Larger than a follower's: fewer commits, and each page of the view's indexes is
written once for more events (the tables of a replay grow fast)."""


class ViewBusy(RuntimeError):
    """Another writer kept the view's lock for longer than we were willing to wait."""


def rebuild(
    projections: Projections,
    name: str,
    progress: Progress | None = None,
    lock_wait: float = LOCK_WAIT_SECONDS,
    batch_size: int = BATCH_SIZE,
    until: int | None = None,
) -> int:
    """Replay the whole log (or its events up to position `until`) into a fresh copy
    of view `name`; return the number of events applied."""
    follower = Follower(projections, batch_size=batch_size)
    view = projections.views[name]
    with follower.locks.hold(name, wait=lock_wait) as held:
        if not held:
            raise ViewBusy(
                f"the {name} view stayed locked by another writer for {lock_wait:.0f}s; "
                "try again, or stop the process that is rebuilding it"
            )
        view.drop()
        view.create_table()
        return follower.apply_pending(name, progress, until=until)
