"""Review (`/review?month=YYYY-MM[&line_manager=HANDLE]`), for managers: the month's
late entries, its silent providers, the allocations whose provider has left, and each
member's units against their capacity.

Every figure comes from the API's reports (`late_report`, `capacity_report`, the same
functions `GET /api/reports/late-activities` and `/capacity` answer with), computed
for the same month and today. The page only adds what a person reading it needs
beside the report's rows: the entry's units and description and the allocation's
label (from the same read models), and each member's committed units (planning.py,
the capacity report's own rule per provider).

The line-manager filter is applied here, to the reports' rows: late entries, silent
and departed providers by their `line_manager`, members by the team's line manager of
each; the whole team's totals stay the report's, and the filtered members' sums are
shown beside them. Unknown query parameters are ignored (people, not programs, write
these addresses); a month that is not one re-renders the form with the message (422).

People are named, not handled: each row links to the person's page (`/team/{handle}`),
to the allocation on its engagement's page, and a late entry to where the monthly report
of its month lists it and to its own history (entry_history.py; and, for those who may
open the audit, to its allocation's stream there).
"""

from __future__ import annotations

from datetime import UTC
from decimal import Decimal
from typing import Any

from flask import g, render_template, request

from projections import Projections
from projections.reports import capacity_report, late_report
from projections.reports.declared import reads
from service.application.permissions import allows
from service.domain.calendar import Month, ratio
from service.web.http.reads import fresh
from service.web.http.runtime import today
from service.web.pages.blueprints import page_blueprint
from service.web.pages.forms import Errors
from service.web.pages.notification_review import notifications_to_review
from service.web.pages.people import page
from service.web.pages.planning import (
    allocation_label,
    committed_by_provider,
    parse_month,
    rounded,
)

blp = page_blueprint("review", __name__)

ALL = ("", "all")


@blp.route("/review", methods=["GET"])
@page("page:review")
def review():
    month, month_errors = parse_month(request.args.get("month"), Month.of(today()))
    line_manager = request.args.get("line_manager", "").strip()
    if line_manager in ALL:
        line_manager = ""
    read_models = fresh(_review, None)
    team = read_models.view("team").members()
    managers = sorted(
        {(member.line_manager, _name_of(team, member.line_manager)) for member in team.values()}
    )
    errors: Errors = {}
    if month_errors:
        errors["month"] = month_errors
    if line_manager and line_manager not in dict(managers):
        errors["line_manager"] = [f"{line_manager} is not the line manager of anyone in the team"]
    values = {"month": request.args.get("month", str(month)), "line_manager": line_manager}
    if errors:
        return _render(values, managers, errors=errors), 422
    return _render(
        values,
        managers,
        review=_review(read_models, team, month, line_manager),
        notifications=notifications_to_review(),
    )


@reads("team", "activities", "balances", through=(late_report, capacity_report))
def _review(
    read_models: Projections, team: dict[str, Any], month: Month, line_manager: str
) -> dict[str, Any]:
    def kept(manager: str | None) -> bool:
        return not line_manager or manager == line_manager

    def manager_of(handle: str) -> str | None:
        return team[handle].line_manager if handle in team else None

    def name_of(handle: str) -> str:
        return _name_of(team, handle)

    def people(row: dict[str, Any], handle: str) -> dict[str, Any]:
        """Who a row is about and their line manager, by name; `known`: on the team
        (their page exists)."""
        return {
            "name": name_of(handle),
            "known": handle in team,
            "manager_name": name_of(row["line_manager"]) if row["line_manager"] else None,
        }

    late = late_report(read_models, month, today())
    capacity = capacity_report(read_models, month)
    balances = read_models.view("balances")
    entries = {row["id"]: row for row in read_models.view("activities").recorded_late_in(month)}
    overlapping = balances.allocations_overlapping(month)
    committed = committed_by_provider(overlapping, month)
    allocations = _allocations(read_models, overlapping, late)

    late_rows = [
        {
            **row,
            **people(row, row["team_member"]),
            **allocations.get(row["allocation_id"], UNKNOWN),
            "units": entries[row["activity_id"]]["units"],
            "description": entries[row["activity_id"]]["description"],
            "date_from": entries[row["activity_id"]]["date_from"],
            "recorded_at": row["recorded_at"].astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        }
        for row in late["late"]
        if kept(row["line_manager"])
    ]
    silent = [
        {**row, **people(row, row["handle"]), **allocations.get(row["allocation_id"], UNKNOWN)}
        for row in late["silent_members"]
        if kept(row["line_manager"])
    ]
    departed = [
        {**row, **people(row, row["provider"]), **allocations.get(row["allocation_id"], UNKNOWN)}
        for row in late["provider_departed"]
        if kept(row["line_manager"])
    ]
    members = [
        {
            **row,
            "name": name_of(row["handle"]),
            "known": row["handle"] in team,
            "line_manager": manager_of(row["handle"]),
            "manager_name": name_of(manager_of(row["handle"]) or "") or None,
            "units_committed": rounded(committed.get(row["handle"], Decimal(0))),
            "over": row["fraction"] is not None and row["fraction"] > 1,
        }
        for row in capacity["members"]
        if kept(manager_of(row["handle"]))
    ]
    shown_committed = sum(
        (units for handle, units in committed.items() if handle and kept(manager_of(handle))),
        Decimal(0),
    )
    shown_capacity = rounded(sum(row["capacity_units"] for row in members))
    shown_used = sum(row["units_used"] for row in members)
    return {
        "month": str(month),
        "begun": month.first_day <= today(),
        "line_manager": line_manager,
        "late": late_rows,
        "silent": silent,
        "departed": departed,
        "members": members,
        "totals": capacity["totals"],
        "shown": {
            "capacity_units": shown_capacity,
            "units_used": shown_used,
            "fraction": ratio(shown_used, Decimal(str(shown_capacity))),
            "units_committed": rounded(shown_committed),
            "committed_fraction": ratio(shown_committed, Decimal(str(shown_capacity))),
        },
    }


UNKNOWN = {"allocation": "an allocation", "engagement_id": None}


def _name_of(team: dict[str, Any], handle: str) -> str:
    return team[handle].name if handle in team else handle


def _allocations(
    read_models: Projections, overlapping: list[dict[str, Any]], late: dict[str, Any]
) -> dict[str, dict[str, Any]]:
    """allocation id -> its label (`allocation`) and `engagement_id`, for the
    allocations the report names."""
    balances = read_models.view("balances")
    engagements, projects = balances.engagements_and_projects()
    rows = {row["id"]: row for row in overlapping}
    for entry in late["late"]:
        if entry["allocation_id"] not in rows:
            found = balances.allocation(entry["allocation_id"])
            if found is not None:
                rows[found["id"]] = found
    return {
        key: {
            "allocation": allocation_label(row, engagements, projects),
            "engagement_id": row["engagement_id"],
        }
        for key, row in rows.items()
    }


def _render(
    values: dict[str, str],
    managers: list[str],
    *,
    errors: Errors | None = None,
    review: dict[str, Any] | None = None,
    notifications: dict[str, Any] | None = None,
) -> str:
    return render_template(
        "pages/review.html",
        values=values,
        managers=managers,
        errors=errors or {},
        review=review,
        notifications=notifications,
        principal=g.principal,
        may_audit=allows(g.principal.role, "page:audit"),
    )
