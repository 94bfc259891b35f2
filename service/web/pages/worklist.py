"""What "My work" shows: the person's own allocations (theirs as provider and those
they have recorded on, active or exhausted), each balanced today by the API's own
mapper, the allocations its form records on, and their latest activities by the date of
the work. Read from the read models, after the caller's own writes (`fresh`). "My
allocations" on the page and `GET /api/me/allocations` are one function,
`own_allocations`: someone who is no team member (an admin, a manager recording for
others) has none of their own on both, and records for a member they pick on any active
allocation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from projections import Projections
from projections.reports.declared import reads
from projections.reports.member_activities import member_activities
from projections.reports.resources import allocation_balance, allocation_label
from service.domain.balance import is_late
from service.web.http.reads import fresh
from service.web.pages.wording import plural

RECORDABLE = ("active", "exhausted")
RECENT_ACTIVITIES = 20


@dataclass(frozen=True)
class Worklist:
    mine: list[dict[str, Any]]
    """The person's own allocations (`own_allocations`): none for someone no member."""
    allocations: list[dict[str, Any]]
    """What the form records on: the person's own; for someone no member, every active
    or exhausted allocation. AllocationSchema dicts, plus `label` (engagement · project ·
    description)."""
    recent: list[dict[str, Any]]
    """The latest of the member's activities by the date of the work, newest first
    (member_activities: ActivitySchema dicts plus `allocation_label`)."""
    members: list[tuple[str, str]]
    """(handle, name) of members to record for, when the person is not one of them."""

    def allocation(self, allocation_id: str) -> dict[str, Any] | None:
        return next((a for a in self.allocations if str(a["id"]) == allocation_id), None)

    @property
    def last_used(self) -> str | None:
        """The allocation of the latest activity, if it can still be recorded on."""
        for activity in self.recent:
            if self.allocation(str(activity["allocation_id"])) is not None:
                return str(activity["allocation_id"])
        return str(self.allocations[0]["id"]) if self.allocations else None


@reads("balances", "activities")
def recordable_allocations(
    read_models: Projections, member: str | None, on: date
) -> list[dict[str, Any]]:
    """The allocations `member` records on, active or exhausted on `on`, in the order
    granted: those they provide and those they have recorded on (with None, every
    recordable allocation). AllocationSchema dicts plus `label` (engagement · project ·
    description). `read_models`: fresh in "balances" and "activities"."""
    balances = read_models.view("balances")
    ids: tuple[str, ...] | None = None
    if member is not None:
        ids = tuple(
            dict.fromkeys(
                [
                    *balances.allocation_ids_of_provider(member),
                    *read_models.view("activities").allocation_ids_of_member(member),
                ]
            )
        )
    rows = balances.allocations_with_status(today=on, statuses=RECORDABLE, ids=ids)
    engagements, projects = balances.engagements_and_projects()
    return [
        {**allocation_balance(row, on), "label": allocation_label(row, engagements, projects)}
        for row in rows
    ]


@reads(through=(recordable_allocations,))
def own_allocations(read_models: Projections, member: str | None, on: date) -> list[dict[str, Any]]:
    """The person's own allocations, as "My allocations" and `GET /api/me/allocations`
    list them: those `member` provides or has recorded on, active or exhausted on `on`.
    Someone who is no member (`member` None) has none of their own."""
    return [] if member is None else recordable_allocations(read_models, member, on)


@reads("team", through=(recordable_allocations, member_activities))
def worklist(member: str | None, on: date, min_position: int | None = None) -> Worklist:
    """`member`: the person's handle; None for a manager or admin who is none, who has
    no allocations of their own and records for a member they pick, on any recordable
    allocation."""
    read_models = fresh(worklist, min_position)
    recent: list[dict[str, Any]] = []
    members: list[tuple[str, str]] = []
    if member is not None:
        recent, _ = member_activities(read_models, member, limit=RECENT_ACTIVITIES)
    else:
        members = [
            (handle, person.name)
            for handle, person in read_models.view("team").members().items()
            if person.departed_on is None
        ]
    allocations = recordable_allocations(read_models, member, on)
    mine = own_allocations(read_models, member, on)
    return Worklist(mine, allocations, recent, members)


def warnings_before_recording(
    allocation: dict[str, Any], units: int, date_to: date, on: date
) -> list[str]:
    """What a person should know before saving: the entry will be late, or it takes
    the allocation past its units (both are accepted, and shown to the partner)."""
    found = []
    if is_late(date_to, on):
        found.append(
            f"This activity will be marked late: its last day, {date_to.isoformat()}, "
            "is more than 14 days ago."
        )
    remaining = allocation["units_remaining"]
    if units > remaining:
        found.append(
            f"This takes the allocation past its units: {remaining} remaining, "
            f"{plural(units, 'unit')} to record (an overrun of {units - remaining})."
        )
    return found
