"""What a write answers: the aggregate as the command left it (and, for `as_of`, an
allocation as history rebuilt it). Every other read comes from the read models
(projections/reports/resources.py); both compute balances with the domain's one
`balance()` function."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from service.domain import Allocation, Engagement, TeamMember
from service.domain.balance import balance, is_late


def allocation_receipt(
    allocation: Allocation, on: date, provider_departed_on: date | None = None
) -> dict[str, Any]:
    """`provider_departed_on`: the provider's departure, if recorded (the ledger's
    `departure_of`); a caller that shows no `provider_departed` may leave it out."""
    return {
        "id": allocation.id,
        "engagement_id": allocation.engagement_id,
        "project_id": allocation.project_id,
        "start_date": allocation.start_date,
        "end_date": allocation.end_date,
        "description": allocation.description,
        "provider": allocation.provider,
        "provider_departed": provider_departed_on is not None and provider_departed_on <= on,
        "cancelled": allocation.cancelled,
        "cancel_reason": allocation.cancel_reason,
        "version": allocation.version,
        "as_of": allocation.modified_on,
        **balance(
            start=allocation.start_date,
            end=allocation.end_date,
            units=allocation.units,
            used=allocation.units_used,
            cancelled=allocation.cancelled,
            on=on,
        ),
    }


def activity_receipt(allocation: Allocation, activity_id: UUID | str) -> dict[str, Any]:
    """The activity as the write left it, with its allocation's `units_remaining` then
    (a member sees at once what is left, without a second read)."""
    activity = allocation.activity(UUID(str(activity_id)))
    return {
        "id": UUID(str(activity_id)),
        "allocation_id": allocation.id,
        **activity.stated(),
        "late": is_late(activity.date_to, activity.recorded_at.date()),
        "retracted": activity.retracted,
        "units_remaining": allocation.units_remaining,
    }


def engagement_receipt(engagement: Engagement) -> dict[str, Any]:
    return {
        "id": engagement.id,
        "name": engagement.name,
        "community": engagement.community,
        "description": engagement.description,
        "start_date": engagement.start_date,
        "end_date": engagement.end_date,
        "contacts": engagement.contacts,
        "source": engagement.source,
        "hubspot": (
            {
                "portal_id": engagement.portal_id,
                "deal_id": engagement.deal_id,
                "amount": engagement.amount,
                "currency": engagement.currency,
                "stage": engagement.deal_stage,
                "stage_changed_at": engagement.deal_stage_at,
                "details": engagement.deal_details,
            }
            if engagement.deal_id is not None
            else None
        ),
        "deal_reopened": engagement.deal_reopened,
        "closed": engagement.closed,
        "created_on": engagement.created_on,
    }


def member_receipt(member: TeamMember) -> dict[str, Any]:
    return {
        "handle": member.handle,
        "name": member.name,
        "line_manager": member.line_manager,
        "fte": member.fte,
        "capacity_history": [
            {"effective_date": day, "fte": fte} for day, fte in member.capacity_history
        ],
        "departed_on": member.departed_on,
        "email": member.email,
    }
