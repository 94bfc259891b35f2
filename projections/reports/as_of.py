"""Reports as of a log position (docs/explanation/projections.md): every report, given
`as_of=N`, answers what it answered when the log ended at N.

The views keep every version of the rows the reports read, each stamped with the log
positions it is valid between (engine/history.py), so a report as of N is the same
function reading the versions valid at N: as cheap as the report now, and nothing is
replayed.

What the views cannot know is "today", on which the status and pace of the month
under way, and whether a month has begun, depend. As of N, today is the UTC date of
the event at position N (of the last event before N when no event holds N, a gap
PostgreSQL's sequence may leave): the day the log ended there, so that the report
reads as it did that day, whenever it is asked for. An empty log (N = 0) has no
such day: the caller's today stands in (every report of it is empty anyway).
"""

from __future__ import annotations

from datetime import UTC, date

from projections.engine.catalog import Projections
from projections.engine.freshness import PositionBeyondLog

FIELD = "as_of_position"


def as_of_target(projections: Projections, as_of: int, min_position: int | None) -> int:
    """The position the views must reach before a report as of `as_of` is read:
    `as_of` itself (or `min_position`, when the client asks for more); a position
    beyond the end of the log is refused, naming the parameter."""
    head = projections.head()
    if as_of > head:
        raise PositionBeyondLog(
            f"{FIELD} {as_of} is beyond the end of the log ({head})", field=FIELD
        )
    return as_of if min_position is None else max(as_of, min_position)


def day_at(projections: Projections, position: int) -> date | None:
    """The UTC date of the last event at or before `position`; None before the first.
    Looks back through windows growing sixteenfold, so a gap costs a query or two."""
    app = projections.app
    window = 1
    while True:
        start = max(position - window + 1, 1)
        found = app.recorder.select_notifications(start=start, limit=window, stop=position)
        if found:
            return app.mapper.to_domain_event(found[-1]).timestamp.astimezone(UTC).date()
        if start == 1:
            return None
        window *= 16
