"""A member's own activities, as `GET /api/me/activities` and the `/my/activities` page
list them: by the date of the work, newest first, narrowed by allocation, month, late
and corrected (the activities view's MEMBER_FILTERS), each as the API shows an
activity (`activity_item`) with its allocation's label (names and period)."""

from __future__ import annotations

from typing import Any

from projections.engine.catalog import Projections
from projections.engine.encoding import to_day
from projections.reports.declared import reads
from projections.reports.resources import activity_item, allocation_label

Row = dict[str, Any]


@reads("activities", "balances")
def member_activities(
    projections: Projections, member: str, *, limit: int | None, offset: int = 0, **only: Any
) -> tuple[list[Row], int]:
    """`limit` of the member's activities matching `only` from `offset` (all of them
    from there without a limit), and how many match in all."""
    rows, total = projections.view("activities").page_of_member(
        member, limit=limit, offset=offset, **only
    )
    labels = allocation_labels(projections, [row["allocation_id"] for row in rows])
    return [_labelled(row, labels) for row in rows], total


@reads("activities", "balances")
def member_activity(projections: Projections, member: str, activity_id: str) -> Row | None:
    """One of the member's activities; None when it is not theirs, or there is none."""
    row = projections.view("activities").of_member(member, activity_id)
    if row is None:
        return None
    return _labelled(row, allocation_labels(projections, [row["allocation_id"]]))


@reads("activities", "balances")
def member_allocations(projections: Projections, member: str) -> dict[str, str]:
    """allocation id -> label, of every allocation the member has recorded on, in the
    order first recorded: what their list can be narrowed to."""
    ids = projections.view("activities").allocation_ids_of_member(member)
    return allocation_labels(projections, ids)


def allocation_labels(projections: Projections, ids: list[str]) -> dict[str, str]:
    """allocation id -> label, of those of `ids` that exist, in the order given (each
    once): engagement · project · description, and its period, so an activity on an
    allocation since ended or cancelled still says which one it was (issue 21: it said
    "an allocation now closed"). A member's allocations are few: one read of each."""
    balances = projections.view("balances")
    engagements, projects = balances.engagements_and_projects()
    labels = {}
    for allocation_id in dict.fromkeys(ids):
        row = balances.allocation(allocation_id)
        if row is not None:
            period = (
                f"{to_day(row['start_date']).isoformat()} to {to_day(row['end_date']).isoformat()}"
            )
            labels[allocation_id] = f"{allocation_label(row, engagements, projects)}, {period}"
    return labels


def _labelled(row: Row, labels: dict[str, str]) -> Row:
    return {**activity_item(row), "allocation_label": labels.get(row["allocation_id"], "?")}
