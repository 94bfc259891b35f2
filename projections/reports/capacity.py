"""The capacity report: units each member used on enablement in the month against
their capacity (8 units per working day times the FTE in force that day), and the
units committed to the month against the team's capacity: each allocation's units
spread over the working days of its period, a cancelled one's only over those before
its cancellation (`committed_units`; per provider and over a range of months, the
planning report, planning.py).

A member appears when they had capacity in the month or recorded units in it.
`fte` is the month's average (equal to the FTE when it did not change mid-month).
With `as_of` (a log position), the team, the units and the allocations are read as
they stood when the log ended there; the units from the month's activities (the
`activities` view), which keep their versions, where `usage` keeps the present only.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from projections.engine.catalog import Projections
from projections.engine.encoding import to_day
from projections.reports.declared import reads
from service.domain.calendar import (
    Month,
    average_fte,
    capacity_units,
    committed_units,
    ratio,
    total,
)


@reads("team", "usage", "balances", as_of=("activities",))
def capacity_report(
    projections: Projections, month: Month, as_of: int | None = None
) -> dict[str, Any]:
    members = projections.view("team").members(as_of)
    if as_of is None:
        used = projections.view("usage").by_member_in(month)
    else:
        used = projections.view("activities").units_by_member(month, as_of)
    rows = []
    for handle in sorted(set(members) | set(used)):
        member = members.get(handle)
        history = member.capacity_history if member else ()
        departed_on = member.departed_on if member else None
        capacity = capacity_units(history, departed_on, month)
        units_used = used.get(handle, 0)
        if capacity == 0 and units_used == 0:
            continue
        rows.append(
            {
                "handle": handle,
                "fte": _rounded(average_fte(history, departed_on, month), 3),
                "capacity_units": _rounded(capacity, 2),
                "units_used": units_used,
                "fraction": ratio(units_used, capacity),
            }
        )
    team_capacity = total(
        capacity_units(m.capacity_history, m.departed_on, month) for m in members.values()
    )
    committed = total(
        committed_units(
            to_day(a["start_date"]),
            to_day(a["end_date"]),
            a["units"],
            month,
            to_day(a["cancelled_on"]),
        )
        for a in projections.view("balances").allocations_overlapping(month, as_of=as_of)
    )
    units_used = sum(row["units_used"] for row in rows)
    return {
        "month": str(month),
        "members": rows,
        "totals": {
            "capacity_units": _rounded(team_capacity, 2),
            "units_used": units_used,
            "fraction": ratio(units_used, team_capacity),
            "units_committed": _rounded(committed, 2),
            "committed_fraction": ratio(committed, team_capacity),
        },
    }


def _rounded(value: Decimal, places: int) -> float:
    return round(float(value), places)
