"""The planning report (`GET /api/reports/planning?from=YYYY-MM&to=YYYY-MM`): for each
month of a range (at most 24) and each member, the capacity, the units committed to
the member by the allocations they provide, the units they used and what is free
(capacity − committed); and the team's totals, with the units committed by
allocations that have no provider, shown apart as `no_provider`. The question it
answers is BD's: "can we commit 20 more hours next quarter, and with whom?"

Rules, the capacity report's (capacity.py, service/domain/calendar.py), per member:
- `capacity_units`: 8 units per working day (Mon–Fri) times the FTE in force that day.
- `committed_units`: each allocation's units spread evenly over the working days of its
  period, the month taking those falling in it, counted for its provider (its provider
  now: a reassignment moves the whole allocation); a cancelled allocation only over
  the working days before the day it was cancelled (`committed_units`). The members'
  figures and `no_provider` add up to the capacity report's `units_committed`.
- `used_units`: units of the activities counting in the month (their last day in it),
  by whoever recorded them, as the capacity report's `units_used`.
- `free_units`: capacity − committed; negative when a member is over-committed.

A member appears in a month when they have capacity, commitments or units used in it.
Figures are rounded to 2 places as the capacity report's; totals are summed before
rounding. With `as_of` (a log position), everything is read as it stood then.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from projections.engine.catalog import Projections
from projections.engine.encoding import to_day
from projections.reports.declared import reads
from service.domain.calendar import (
    Month,
    capacity_units,
    committed_units,
    months_between,
    ratio,
    total,
)

MAX_MONTHS = 24


def committed_by_provider(
    allocations: Iterable[dict[str, Any]], month: Month
) -> dict[str | None, Decimal]:
    """provider handle (None: no provider) -> units committed to `month` by their
    allocations (rows of the balances view, `allocations_overlapping(month)`), by the
    capacity report's rule. Providers whose allocations commit nothing are left out."""
    committed: dict[str | None, Decimal] = {}
    for row in allocations:
        share = committed_units(
            to_day(row["start_date"]),
            to_day(row["end_date"]),
            row["units"],
            month,
            to_day(row["cancelled_on"]),
        )
        if share:
            committed[row["provider"]] = committed.get(row["provider"], Decimal(0)) + share
    return committed


def planning_month(
    month: Month,
    members: dict[str, Any],
    allocations: Iterable[dict[str, Any]],
    used: dict[str, int],
) -> dict[str, Any]:
    """One month of the report from what the views hold: the team (`members`, handle ->
    member with `capacity_history` and `departed_on`), the allocations overlapping the
    month and the units used in it per member."""
    committed = committed_by_provider(allocations, month)
    capacity = {
        handle: capacity_units(m.capacity_history, m.departed_on, month)
        for handle, m in members.items()
    }
    handles = {h for h, units in capacity.items() if units} | {h for h in committed if h}
    handles |= {h for h, units in used.items() if units}
    rows = []
    for handle in sorted(handles):
        member_capacity = capacity.get(handle, Decimal(0))
        member_committed = committed.get(handle, Decimal(0))
        rows.append(
            {
                "handle": handle,
                "capacity_units": _rounded(member_capacity),
                "committed_units": _rounded(member_committed),
                "used_units": used.get(handle, 0),
                "free_units": _rounded(member_capacity - member_committed),
            }
        )
    team_capacity = total(capacity.values())
    team_committed = total(committed.values())
    return {
        "month": str(month),
        "members": rows,
        "no_provider": {"committed_units": _rounded(committed.get(None, Decimal(0)))},
        "totals": {
            "capacity_units": _rounded(team_capacity),
            "committed_units": _rounded(team_committed),
            "used_units": sum(row["used_units"] for row in rows),
            "free_units": _rounded(team_capacity - team_committed),
            "committed_fraction": ratio(team_committed, team_capacity),
        },
    }


@reads("team", "usage", "balances", as_of=("activities",))
def planning_report(
    projections: Projections, first: Month, last: Month, as_of: int | None = None
) -> dict[str, Any]:
    """The months `first` to `last` (the caller keeps the range to MAX_MONTHS)."""
    members = projections.view("team").members(as_of)
    balances = projections.view("balances")
    months = []
    for month in months_between(first, last):
        if as_of is None:
            used = projections.view("usage").by_member_in(month)
        else:
            used = projections.view("activities").units_by_member(month, as_of)
        allocations = balances.allocations_overlapping(month, as_of=as_of)
        months.append(planning_month(month, members, allocations, used))
    return {"from": str(first), "to": str(last), "months": months}


def _rounded(value: Decimal) -> float:
    return round(float(value), 2)
