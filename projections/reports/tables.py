"""Reports as CSV: one row per allocation (monthly), per member (capacity), or per
entry (late activities, with `kind` telling a late activity from a silent member),
the columns named as the JSON fields. Totals stay in the JSON form, so every CSV row
is of one kind and sums cleanly in a spreadsheet."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

MONTHLY_COLUMNS = (
    "month",
    "engagement_id",
    "engagement_name",
    "community",
    "project_id",
    "project_name",
    "id",
    "description",
    "start_date",
    "end_date",
    "units_granted",
    "units_used_month",
    "units_used_to_date",
    "units_remaining",
    "percent_used",
    "percent_elapsed",
    "status",
    "pace",
    "overrun",
)
CAPACITY_COLUMNS = ("month", "handle", "fte", "capacity_units", "units_used", "fraction")
LATE_COLUMNS = (
    "month",
    "kind",
    "activity_id",
    "allocation_id",
    "team_member",
    "line_manager",
    "date_to",
    "recorded_at",
    "days_late",
)


def monthly_rows(report: dict[str, Any]) -> Iterable[dict[str, Any]]:
    for engagement in report["engagements"]:
        for project in engagement["projects"]:
            for allocation in project["allocations"]:
                yield {
                    "month": report["month"],
                    "engagement_id": engagement["id"],
                    "engagement_name": engagement["name"],
                    "community": engagement["community"],
                    "project_id": project["id"],
                    "project_name": project["name"],
                    **{k: v for k, v in allocation.items() if k != "activities"},
                }


def capacity_rows(report: dict[str, Any]) -> Iterable[dict[str, Any]]:
    for member in report["members"]:
        yield {"month": report["month"], **member}


def late_rows(report: dict[str, Any]) -> Iterable[dict[str, Any]]:
    for entry in report["late"]:
        yield {"month": report["month"], "kind": "late", **entry}
    for entry in report["silent_members"]:
        yield {
            "month": report["month"],
            "kind": "silent",
            "team_member": entry["handle"],
            "line_manager": entry["line_manager"],
            "allocation_id": entry["allocation_id"],
        }


def to_csv(columns: tuple[str, ...], rows: Iterable[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="raise", lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _cell(row.get(k)) for k in columns})
    return out.getvalue()


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value.isoformat() if hasattr(value, "isoformat") else value
