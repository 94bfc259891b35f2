"""The read models' rows as the API shows them: engagements, allocations, activities
and team members. The one mapper of each resource for every read (lists, one item,
reports), so the same figure is the same everywhere."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from projections.engine.encoding import from_json, to_day, to_moment, to_uuid
from projections.readmodels.team import Member
from service.domain.balance import balance

TOTALS = ("units_granted", "units_used", "units_remaining")


def allocation_balance(row: dict[str, Any], on: date) -> dict[str, Any]:
    """An allocation row as the API shows it (AllocationSchema), balanced on `on`."""
    return {
        "id": to_uuid(row["id"]),
        "engagement_id": to_uuid(row["engagement_id"]),
        "project_id": to_uuid(row["project_id"]),
        "start_date": to_day(row["start_date"]),
        "end_date": to_day(row["end_date"]),
        "description": row["description"],
        "provider": row["provider"],
        "provider_departed": _departed_by(row["provider_departed_on"], on),
        "cancelled": row["cancelled_on"] is not None,
        "cancel_reason": row["cancel_reason"],
        "version": row["version"],
        "as_of": to_moment(row["modified_on"]),
        **balance(
            start=to_day(row["start_date"]),
            end=to_day(row["end_date"]),
            units=row["units"],
            used=row["units_used"],
            cancelled=row["cancelled_on"] is not None,
            on=on,
        ),
    }


def _departed_by(departed_on: str | None, on: date) -> bool:
    """The provider has left by `on`: their departure takes effect on its date. Judged
    when read, so the flag turns on the day a departure recorded ahead comes."""
    departure = to_day(departed_on)
    return departure is not None and departure <= on


def allocation_label(row: dict[str, Any], engagements: dict, projects: dict) -> str:
    """engagement · project · description: how the pages and `GET /api/me/...` name an
    allocation (`engagements` and `projects` by id, as the balances view gives them)."""
    engagement = engagements.get(row["engagement_id"], {}).get("name", "?")
    project = projects.get(row["project_id"], {}).get("name", "?")
    return f"{engagement} · {project} · {row['description']}"


def engagement_summary(row: dict[str, Any]) -> dict[str, Any]:
    """An engagement row as `GET /api/engagements` lists it (EngagementSummarySchema)."""
    hubspot = None
    if row["deal_id"] is not None:
        hubspot = {
            "portal_id": row["portal_id"],
            "deal_id": row["deal_id"],
            "amount": None if row["amount"] is None else Decimal(row["amount"]),
            "currency": row["currency"],
            "stage": row["deal_stage"],
            "stage_changed_at": None
            if row["deal_stage_at"] is None
            else to_moment(row["deal_stage_at"]),
            "details": from_json(row["deal_details"]),
        }
    return {
        "id": to_uuid(row["id"]),
        "name": row["name"],
        "community": row["community"],
        "description": row["description"],
        "start_date": to_day(row["start_date"]),
        "end_date": to_day(row["end_date"]),
        "contacts": from_json(row["contacts"]),
        "source": "hubspot" if row["deal_id"] is not None else "manual",
        "hubspot": hubspot,
        "deal_reopened": bool(row["deal_reopened"]),
        "closed": bool(row["closed"]),
        "created_on": to_moment(row["created_on"]),
    }


def engagement_detail(
    row: dict[str, Any],
    projects: list[dict[str, Any]],
    allocations: list[dict[str, Any]],
    on: date,
) -> dict[str, Any]:
    """An engagement with its projects, every allocation's balance, and totals.

    Totals count the units granted on allocations still standing, but the units used
    on every allocation, cancelled ones included: that work was done. So they equal
    the monthly report's to-date totals, and remaining = granted − used."""
    by_project: dict[str, list[dict[str, Any]]] = {p["id"]: [] for p in projects}
    for allocation in allocations:
        by_project[allocation["project_id"]].append(allocation_balance(allocation, on))
    granted = sum(a["units_granted"] for a in _all(by_project) if a["status"] != "cancelled")
    used = sum(a["units_used"] for a in _all(by_project))
    return {
        **engagement_summary(row),
        "projects": [
            {
                "id": to_uuid(p["id"]),
                "name": p["name"],
                "outcome": p["outcome"],
                "allocations": by_project[p["id"]],
            }
            for p in projects
        ],
        "totals": {"units_granted": granted, "units_used": used, "units_remaining": granted - used},
    }


def _all(by_project: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    return [allocation for allocations in by_project.values() for allocation in allocations]


def activity_item(row: dict[str, Any]) -> dict[str, Any]:
    """An activity as `GET /api/allocations/{id}/activities` lists it (ActivitySchema):
    the monthly report's entry, and who recorded it, when and how."""
    return {
        **activity_entry(row),
        "id": to_uuid(row["id"]),
        "allocation_id": to_uuid(row["allocation_id"]),
        "recorded_by": row["recorded_by"],
        "recorded_at": to_moment(row["recorded_at"]),
        "retracted": bool(row["retracted"]),
        "corrections": row["corrections"],
        "imported": bool(row["imported"]),
    }


def activity_entry(row: dict[str, Any]) -> dict[str, Any]:
    """An activity as the monthly report lists it."""
    return {
        "id": row["id"],
        "date_from": to_day(row["date_from"]),
        "date_to": to_day(row["date_to"]),
        "team_member": row["team_member"],
        "units": row["units"],
        "description": row["description"],
        "late": bool(row["late"]),
        "after_close": bool(row["after_close"]),
    }


def member_item(member: Member) -> dict[str, Any]:
    """A team member as `GET /api/team-members` lists them (TeamMemberSchema)."""
    return {
        "handle": member.handle,
        "name": member.name,
        "line_manager": member.line_manager,
        "fte": member.capacity_history[-1][1] if member.capacity_history else Decimal(0),
        "capacity_history": [
            {"effective_date": day, "fte": fte} for day, fte in member.capacity_history
        ],
        "departed_on": member.departed_on,
        "email": member.email,
    }
