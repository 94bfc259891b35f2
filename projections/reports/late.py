"""The late-activities report, for line managers.

- `late`: the live activities recorded during the month (UTC) more than 14 days after
  their last day, by line manager and member. Bucketing by the month of recording
  makes a past month's list final: what was recorded late in May is known on 1 June.
  `days_late` counts the days past the 14-day window.
- `silent_members`: the provider of each allocation active in the month who recorded
  nothing on it that counts in that month (no live activity of theirs whose last day
  falls in it), whether or not colleagues recorded on it: a provider who leaves the
  work to others is what a line manager wants to see. Only over the days of the
  allocation's period in the month that have passed (calendar.py `has_passed_days_in`):
  an allocation that has not begun, or began today, lists no one.

- `provider_departed`: the allocations active in the month whose provider has left
  (departed.py), for BD to hand to someone else.

`line_manager` and `member` narrow every list to exact handles (both given: both must
hold): a late entry by its team member and their line manager, a silent or departed
provider by their handle and line manager. A handle nobody has gives empty lists, as a
filter that matches nothing does.

With `as_of` (a log position), everything is read as it stood when the log ended
there, and `today` is the today of that moment (reports/as_of.py).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from projections.engine.catalog import Projections
from projections.engine.encoding import to_day, to_moment
from projections.reports.declared import reads
from projections.reports.departed import departed_providers
from service.domain.calendar import Month, has_passed_days_in


@reads("team", "activities", "balances", "usage")
def late_report(
    projections: Projections,
    month: Month,
    today: date,
    as_of: int | None = None,
    *,
    line_manager: str | None = None,
    member: str | None = None,
) -> dict[str, Any]:
    members = projections.view("team").members(as_of)

    def manager_of(handle: str) -> str | None:
        found = members.get(handle)
        return found.line_manager if found else None

    def kept(handle: str, manager: str | None) -> bool:
        return (member is None or handle == member) and (
            line_manager is None or manager == line_manager
        )

    late = [
        {
            "activity_id": row["id"],
            "allocation_id": row["allocation_id"],
            "team_member": row["team_member"],
            "line_manager": manager_of(row["team_member"]),
            "date_to": to_day(row["date_to"]),
            "recorded_at": to_moment(row["recorded_at"]),
            "days_late": row["days_late"],
        }
        for row in projections.view("activities").recorded_late_in(month, as_of)
        if kept(row["team_member"], manager_of(row["team_member"]))
    ]
    late.sort(
        key=lambda e: (e["line_manager"] or "", e["team_member"], e["date_to"], e["recorded_at"])
    )

    silent = []
    recorded = projections.view("activities").units_by_allocation_and_member(month, as_of)
    balances = projections.view("balances")
    for allocation in balances.allocations_overlapping(month, as_of=as_of):
        provider = allocation["provider"]
        start, end = to_day(allocation["start_date"]), to_day(allocation["end_date"])
        if (
            provider
            and kept(provider, manager_of(provider))
            and has_passed_days_in(start, end, to_day(allocation["cancelled_on"]), month, today)
            and recorded.get((allocation["id"], provider), 0) <= 0
        ):
            silent.append(
                {
                    "handle": provider,
                    "line_manager": manager_of(provider),
                    "allocation_id": allocation["id"],
                }
            )
    silent.sort(key=lambda e: (e["line_manager"] or "", e["handle"]))
    return {
        "month": str(month),
        "late": late,
        "silent_members": silent,
        "provider_departed": departed_providers(projections, month, today, as_of, members, kept),
    }
