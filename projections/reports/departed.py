"""Allocations whose provider has left, for the late-activities report (`provider_departed`)
and the Review page: nobody answers for the rest of their work until BD hands them to
someone else (`PATCH /api/allocations/{id}` with `provider`).

Listed: each allocation active in the month, not cancelled by the day the month is
judged on (its last day, or today if earlier: `report_day`), whose provider's departure
took effect by that day and before the allocation's end (an allocation that ended while
its provider was still there needs no one). A departure takes effect on its date, as
for capacity. `units_remaining` is the monthly report's: granted − used to the month's
end. With `as_of`, terms, sums and departures are read as they stood at that position.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from projections.engine.catalog import Projections
from projections.engine.encoding import to_day
from projections.readmodels.team import Member
from service.domain.calendar import Month, active_in, report_day


def departed_providers(
    projections: Projections,
    month: Month,
    today: date,
    as_of: int | None,
    members: dict[str, Member],
    kept: Callable[[str, str | None], bool],
) -> list[dict[str, Any]]:
    """`members`: the team (as of `as_of`); `kept(provider, their line manager)`: the
    report's `member` and `line_manager` filters, as for silent providers."""
    on = report_day(month, today)
    used = projections.view("usage").by_allocation_until(month, as_of)
    found = []
    for allocation in projections.view("balances").allocations_overlapping(month, as_of=as_of):
        member = members.get(allocation["provider"] or "")
        if member is None or member.departed_on is None:
            continue
        start, end = to_day(allocation["start_date"]), to_day(allocation["end_date"])
        cancelled_on = to_day(allocation["cancelled_on"])
        if (
            member.departed_on <= min(on, end)
            and active_in(start, end, cancelled_on, month)
            and (cancelled_on is None or cancelled_on > on)
            and kept(member.handle, member.line_manager)
        ):
            found.append(
                {
                    "allocation_id": allocation["id"],
                    "engagement_id": allocation["engagement_id"],
                    "project_id": allocation["project_id"],
                    "provider": member.handle,
                    "line_manager": member.line_manager,
                    "departed_on": member.departed_on,
                    "units_remaining": allocation["units"]
                    - used.get(allocation["id"], {}).get("to_date", 0),
                }
            )
    found.sort(key=lambda entry: (entry["line_manager"], entry["provider"]))
    return found
