"""The monthly report: for each engagement, project and allocation active in the
month, the units granted, used in the month and up to its end, the balance and pace
as they stood at the end of the month (or today, for the month under way), and the
month's activities.

Decisions (docs/reference/reports.md):
- An allocation appears when its period overlaps the month.
- Figures use the allocation's current terms (amendments apply to every month) and
  every activity's current state (corrections and retractions apply to the month
  the activity now counts in).
- An allocation shows `cancelled` from the day it was cancelled; before that day it
  shows the status it had. Totals leave out the units granted on allocations
  cancelled by the report's day, but count the units used on them: that work was done.
- With `as_of` (a log position), every figure is read as it stood when the log ended
  there; the caller passes the today of that moment (reports/as_of.py).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from projections.engine.catalog import Projections
from projections.engine.encoding import to_day
from projections.reports.declared import reads
from projections.reports.resources import activity_entry
from service.domain.balance import balance
from service.domain.calendar import Month, report_day

TOTALS = ("units_granted", "units_used_month", "units_used_to_date")


@reads("balances", "usage", "activities")
def monthly_report(
    projections: Projections,
    month: Month,
    today: date,
    engagement_id: str | None = None,
    as_of: int | None = None,
) -> dict[str, Any]:
    on = report_day(month, today)
    balances = projections.view("balances")
    allocations = balances.allocations_overlapping(month, engagement_id, as_of)
    engagements, projects = balances.engagements_and_projects(engagement_id, as_of)
    usage = projections.view("usage").by_allocation_until(month, as_of)
    activities: dict[str, list[dict[str, Any]]] = {}
    for row in projections.view("activities").live_in_month(month, as_of):
        activities.setdefault(row["allocation_id"], []).append(activity_entry(row))

    tree: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for row in allocations:
        entry = allocation_entry(row, usage.get(row["id"], {}), on, activities.get(row["id"], []))
        tree.setdefault(row["engagement_id"], {}).setdefault(row["project_id"], []).append(entry)

    shown = [
        engagement
        for engagement in engagements.values()
        if engagement["id"] in tree or engagement["id"] == engagement_id
    ]
    report_engagements = []
    for engagement in shown:
        by_project = tree.get(engagement["id"], {})
        report_projects = [
            {"id": project_id, "name": projects[project_id]["name"], "allocations": entries}
            for project_id, entries in sorted(
                by_project.items(), key=lambda item: projects[item[0]]["position"]
            )
        ]
        report_engagements.append(
            {
                "id": engagement["id"],
                "name": engagement["name"],
                "community": engagement["community"],
                "projects": report_projects,
                "totals": totals(a for p in report_projects for a in p["allocations"]),
            }
        )
    return {
        "month": str(month),
        "engagements": report_engagements,
        "totals": totals(
            a for e in report_engagements for p in e["projects"] for a in p["allocations"]
        ),
    }


def allocation_entry(
    row: dict[str, Any], used: dict[str, int], on: date, activities: list[dict[str, Any]]
) -> dict[str, Any]:
    cancelled_on = to_day(row["cancelled_on"])
    figures = balance(
        start=to_day(row["start_date"]),
        end=to_day(row["end_date"]),
        units=row["units"],
        used=used.get("to_date", 0),
        cancelled=cancelled_on is not None and cancelled_on <= on,
        on=on,
    )
    return {
        "id": row["id"],
        "description": row["description"],
        "start_date": to_day(row["start_date"]),
        "end_date": to_day(row["end_date"]),
        "units_granted": figures["units_granted"],
        "units_used_month": used.get("month", 0),
        "units_used_to_date": figures["units_used"],
        "units_remaining": figures["units_remaining"],
        "percent_used": figures["percent_used"],
        "percent_elapsed": figures["percent_elapsed"],
        "status": figures["status"],
        "pace": figures["pace"],
        "overrun": figures["overrun"],
        "activities": activities,
    }


def totals(allocations: Any) -> dict[str, int]:
    sums = dict.fromkeys(TOTALS, 0)
    for allocation in allocations:
        if allocation["status"] != "cancelled":
            sums["units_granted"] += allocation["units_granted"]
        sums["units_used_month"] += allocation["units_used_month"]
        sums["units_used_to_date"] += allocation["units_used_to_date"]
    return sums
