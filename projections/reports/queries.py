"""The reads of one read model that the API's lists and the pages make, each declaring
the read model it reads (declared.py), so that a caller waits for it by naming the
query (service/web/http/reads.py `read_fresh`), never the read model."""

from __future__ import annotations

from datetime import date
from typing import Any

from projections.engine.catalog import Projections
from projections.readmodels.access import Grant
from projections.readmodels.team import Member
from projections.reports.declared import reads
from projections.reports.resources import allocation_label

Row = dict[str, Any]


@reads("balances")
def engagements_page(
    projections: Projections, *, limit: int, offset: int, only: str | None = None
) -> tuple[list[Row], int]:
    """A page of engagements in the order opened (only one, with `only`), and the total."""
    return projections.view("balances").engagements_page(limit=limit, offset=offset, only=only)


@reads("balances")
def engagement_row(projections: Projections, engagement_id: str) -> Row | None:
    return projections.view("balances").engagement(engagement_id)


@reads("balances")
def engagement_with_allocations(
    projections: Projections, engagement_id: str
) -> tuple[Row, list[Row], list[Row]] | None:
    """The engagement's row, its projects and every allocation granted to them (the
    cancelled ones too), in the order made; None when there is no such engagement."""
    balances = projections.view("balances")
    row = balances.engagement(engagement_id)
    if row is None:
        return None
    return (row, *balances.projects_and_allocations(engagement_id))


@reads("balances")
def allocation_row(projections: Projections, allocation_id: str) -> Row | None:
    return projections.view("balances").allocation(allocation_id)


@reads("balances")
def allocations_page(projections: Projections, **page: Any) -> tuple[list[Row], int]:
    """A page of allocations in the order granted, and the total (`today`, `limit`,
    `offset`, and optionally `status` and `engagement_id`: the balances view's)."""
    return projections.view("balances").allocations_page(**page)


HANDED_OVER_STATUSES = ("upcoming", "active", "exhausted")
"""An allocation someone still answers for: not over, not cancelled."""


@reads("balances")
def allocations_to_hand_over(
    projections: Projections, handle: str, *, today: date, leaving: date
) -> list[Row]:
    """The allocations `handle` provides that someone still answers for on `today` and
    that run to `leaving` or past it (another member must take those on), in the order
    granted, each with its `label` (engagement · project · description)."""
    balances = projections.view("balances")
    ids = tuple(balances.allocation_ids_of_provider(handle))
    rows = balances.allocations_with_status(today=today, statuses=HANDED_OVER_STATUSES, ids=ids)
    engagements, projects = balances.engagements_and_projects()
    return [
        {**row, "label": allocation_label(row, engagements, projects)}
        for row in rows
        if date.fromisoformat(row["end_date"]) >= leaving
    ]


@reads("team")
def team_members(projections: Projections) -> dict[str, Member]:
    """handle -> member, everyone registered."""
    return projections.view("team").members()


@reads("access")
def access_grants(projections: Projections) -> list[Grant]:
    """Every API token issued, the latest first (no secrets: the log has none)."""
    return projections.view("access").grants()


@reads("team")
def member_names(projections: Projections) -> dict[str, str]:
    """handle -> name, everyone registered: pages and documents show people by name
    (a handle is the API's key for them)."""
    return {handle: member.name for handle, member in projections.view("team").members().items()}


@reads("activities")
def activities_of_allocation(projections: Projections, allocation_id: str) -> list[Row]:
    """Every activity of the allocation in the order recorded, in its current state."""
    return projections.view("activities").of_allocation(allocation_id)


@reads("merkle")
def merkle_tree(projections: Projections) -> Any:
    """The Merkle tree over the log (projections/audit/merkle.py): leaf hashes, proofs
    and what checkpoints sign."""
    return projections.view("merkle")
