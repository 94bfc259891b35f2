"""Reports as CSV: one row per allocation (monthly), per member (capacity), per member
and month (planning, with `kind` telling a member from the allocations without a
provider), per entry (late activities, with `kind` telling a late activity from a
silent member or an allocation whose provider has left, the provider in `team_member`),
or per activity (a member's own list), the columns named as the JSON fields. Totals
stay in the JSON form, so every CSV row is of one kind and sums cleanly in a
spreadsheet.

Partners open these files in spreadsheets, and names and descriptions come from
clients and HubSpot. So no text cell may start a formula (OWASP "CSV Injection"): a
text cell starting with `=`, `+`, `-`, `@`, tab or carriage return is prefixed with a
single quote; and a text cell holding a quote, a line break or a separator (a comma,
or a semicolon or tab, which some spreadsheets split on as well) is quoted, its quotes
doubled, so that no part of it becomes a cell of its own. Numbers (int, float,
Decimal) are written bare: a negative balance stays the number -3, not the text '-3.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

ALLOCATION_MONTH_FIGURES = (
    "description",
    "start_date",
    "end_date",
    "units_granted",
    "units_used_month",
    "units_used_to_date",
    "units_remaining",
)
"""An allocation's figures for a month as the monthly report gives them, which a
statement's spreadsheet (service/web/documents/statement_files.py) names alike."""
MONTHLY_COLUMNS = (
    "month",
    "engagement_id",
    "engagement_name",
    "community",
    "project_id",
    "project_name",
    "id",
    *ALLOCATION_MONTH_FIGURES,
    "percent_used",
    "percent_elapsed",
    "status",
    "pace",
    "overrun",
)
CAPACITY_COLUMNS = ("month", "handle", "fte", "capacity_units", "units_used", "fraction")
PLANNING_COLUMNS = (
    "month",
    "kind",
    "handle",
    "capacity_units",
    "committed_units",
    "used_units",
    "free_units",
)
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
    "engagement_id",
    "project_id",
    "departed_on",
    "units_remaining",
)
MEMBER_ACTIVITY_COLUMNS = (
    "date_from",
    "date_to",
    "units",
    "description",
    "allocation_id",
    "allocation_label",
    "late",
    "corrections",
    "retracted",
    "after_close",
    "imported",
    "recorded_by",
    "recorded_at",
    "id",
)
"""A member's own activities (`GET /api/me/activities`, the `/my/activities` export):
one row per activity, as the JSON lists it; `retracted` ones are there, marked, so a
sum in a spreadsheet leaves them out by that column."""


def member_activity_rows(items: Iterable[dict[str, Any]]) -> Iterable[dict[str, Any]]:
    for item in items:
        yield {column: item[column] for column in MEMBER_ACTIVITY_COLUMNS}


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


def planning_rows(report: dict[str, Any]) -> Iterable[dict[str, Any]]:
    """A row per member and month (`kind` = `member`), and per month one for the units
    committed by allocations without a provider (`kind` = `no_provider`, its other
    figures empty), so that `committed_units` sums to the team's in a spreadsheet."""
    for month in report["months"]:
        for member in month["members"]:
            yield {"month": month["month"], "kind": "member", **member}
        if month["no_provider"]["committed_units"]:
            yield {
                "month": month["month"],
                "kind": "no_provider",
                "committed_units": month["no_provider"]["committed_units"],
            }


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
    for entry in report["provider_departed"]:
        provider = {key: value for key, value in entry.items() if key != "provider"}
        yield {
            "month": report["month"],
            "kind": "provider_departed",
            "team_member": entry["provider"],
            **provider,
        }


def to_csv(columns: tuple[str, ...], rows: Iterable[dict[str, Any]]) -> str:
    lines = [_line(columns)]
    for row in rows:
        unknown = row.keys() - set(columns)
        if unknown:
            raise ValueError(f"a row has fields that are no column: {sorted(unknown)}")
        lines.append(_line(_cell(row.get(k)) for k in columns))
    return "".join(lines)


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
NEEDS_QUOTES = frozenset('",;\t\r\n')


def neutralised(text: str) -> str:
    """The text as a spreadsheet shows it and never evaluates (the OWASP rule)."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _line(cells: Iterable[str]) -> str:
    return ",".join(_quoted(cell) for cell in cells) + "\r\n"


def _quoted(cell: str) -> str:
    if NEEDS_QUOTES.isdisjoint(cell):
        return cell
    return '"' + cell.replace('"', '""') + '"'


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | Decimal):
        return str(value)
    text = value.isoformat() if hasattr(value, "isoformat") else str(value)
    return neutralised(text)
