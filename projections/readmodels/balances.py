"""Allocation balances and engagement summaries: what `GET /api/allocations` and
`GET /api/engagements` list, and the terms the monthly and capacity reports use.

Each allocation row holds its current terms and the units used (recorded minus
retracted, corrections applied). Changes of an engagement or of an allocation's terms
keep the row's earlier version (history.py), so the reports can be read as of a log
position; an activity changes only the units used, which the reports read from `usage`
instead, so recording writes no history here. Its tables are in balances_tables.py,
its reads in balances_reads.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from projections.engine.encoding import day, decimal_text, moment, to_json, uid
from projections.engine.readmodel import Event, ReadModel, handles
from projections.engine.rows import Rows
from projections.readmodels.balances_reads import BalancesReads
from projections.readmodels.balances_tables import (
    ALLOCATION_TERMS,
    ENGAGEMENT_FIELDS,
    ENGAGEMENT_VERSIONS,
    INDEXES,
    KEYS,
    TABLES,
)
from service.domain import Allocation, Engagement, TeamMember


class Balances(BalancesReads, ReadModel):
    """Projects are never changed: as of N, those defined at or before N. Engagements
    and allocation terms keep their versions (history.py)."""

    name = "balances"
    version = 4
    tables = TABLES
    indexes = INDEXES
    keys = KEYS
    versioned = (ENGAGEMENT_VERSIONS, ALLOCATION_TERMS)

    def prefetch(self, rows: Rows, events: Sequence[Event]) -> None:
        """The rows the events name, by kind of stream, and the members whose
        handles the allocations name (one round trip); then the allocations the
        departing members provide (a second, only for a departure)."""
        streams: dict[str, set[Any]] = {
            "engagements": set(),
            "allocations": set(),
            "members": set(),
        }
        activities, providers = set(), set()
        for event, _ in events:
            if isinstance(event, Allocation.Event):
                streams["allocations"].add(uid(event.originator_id))
                activities.add(uid(getattr(event, "activity_id", None)))
                providers.add(getattr(event, "provider", None))
            elif isinstance(event, TeamMember.Event):
                streams["members"].add(uid(event.originator_id))
            else:
                streams["engagements"].add(uid(event.originator_id))
        rows.load_together(
            [
                ("engagements", "id", streams["engagements"]),
                ("allocations", "id", streams["allocations"]),
                ("activity_units", "id", activities),
                ("members", "member_id", streams["members"]),
                ("members", "handle", providers),
            ]
        )
        departing = [
            rows.get("members", uid(event.originator_id))
            for event, _ in events
            if isinstance(event, TeamMember.TeamMemberDeparted)
        ]
        rows.load("allocations", "provider", [m["handle"] for m in departing if m])

    # Engagements and projects

    @handles(Engagement.EngagementOpened)
    def _opened(self, rows: Rows, event: Any, position: int) -> None:
        _open_engagement(
            rows,
            event,
            position,
            name=event.name,
            community=event.community,
            description=event.description,
            start_date=day(event.start_date),
            end_date=day(event.end_date),
            contacts=to_json(event.contacts),
            portal_id=None,
            deal_id=None,
            amount=None,
            deal_stage=None,
            deal_stage_at=None,
        )

    @handles(Engagement.DealClosedWon)
    def _deal_won(self, rows: Rows, event: Any, position: int) -> None:
        _open_engagement(
            rows,
            event,
            position,
            name=event.name,
            community="",
            description="",
            start_date=None,
            end_date=None,
            contacts=to_json([]),
            portal_id=event.portal_id,
            deal_id=event.deal_id,
            amount=decimal_text(event.amount),
            deal_stage=event.stage,
            deal_stage_at=None if event.close_time is None else moment(event.close_time),
        )

    @handles(Engagement.EngagementDetailsUpdated)
    def _details_updated(self, rows: Rows, event: Any, position: int) -> None:
        changes = event.changes
        values: dict[str, Any] = {}
        for field in ENGAGEMENT_FIELDS:
            if field in changes:
                value = changes[field]
                values[field] = (
                    to_json(value)
                    if field == "contacts"
                    else day(value)
                    if field.endswith("_date")
                    else value
                )
        if "deal" in changes:
            values["deal_details"] = to_json(changes["deal"])
        if "amount" in changes:
            values["amount"] = decimal_text(changes["amount"])
        if "currency" in changes:
            values["currency"] = changes["currency"]
        if values:
            rows.revise("engagements", (uid(event.originator_id),), position, **values)

    @handles(Engagement.DealReopened, Engagement.DealWonAgain)
    def _deal_stage_changed(self, rows: Rows, event: Any, position: int) -> None:
        """The aggregate recorded the move only if it was newer than the last: the row
        simply takes it, so a rebuild ends where the live view did."""
        rows.revise(
            "engagements",
            (uid(event.originator_id),),
            position,
            deal_stage=event.stage,
            deal_stage_at=moment(event.occurred_at),
            deal_reopened=int(isinstance(event, Engagement.DealReopened)),
        )

    @handles(Engagement.EngagementClosed)
    def _closed(self, rows: Rows, event: Any, position: int) -> None:
        rows.revise("engagements", (uid(event.originator_id),), position, closed=1)

    @handles(Engagement.ProjectDefined)
    def _project_defined(self, rows: Rows, event: Any, position: int) -> None:
        rows.put(
            "projects",
            {
                "id": uid(event.project_id),
                "engagement_id": uid(event.originator_id),
                "name": event.name,
                "outcome": event.outcome,
                "position": position,
            },
        )

    # Allocations

    @handles(Allocation.AllocationGranted)
    def _granted(self, rows: Rows, event: Any, position: int) -> None:
        rows.put(
            "allocations",
            {
                "id": uid(event.originator_id),
                "engagement_id": uid(event.engagement_id),
                "project_id": uid(event.project_id),
                "start_date": day(event.start_date),
                "end_date": day(event.end_date),
                "description": event.description,
                "provider": event.provider,
                "units": event.units,
                "units_used": 0,
                "cancelled_on": None,
                "cancel_reason": None,
                "version": event.originator_version,
                "modified_on": moment(event.timestamp),
                "position": position,
                "provider_departed_on": _departure_of(rows, event.provider),
                "valid_from": position,
            },
        )

    @handles(Allocation.AllocationAmended)
    def _amended(self, rows: Rows, event: Any, position: int) -> None:
        row = rows.get("allocations", uid(event.originator_id))
        if row is None:
            return
        values: dict[str, Any] = {
            "units": row["units"] if event.units is None else event.units,
            "end_date": row["end_date"] if event.end_date is None else day(event.end_date),
            "description": row["description"] if event.description is None else event.description,
            **_versioned(event),
        }
        if event.provider is not None:
            values["provider"] = event.provider
            values["provider_departed_on"] = _departure_of(rows, event.provider)
        rows.revise("allocations", (row["id"],), position, **values)

    @handles(Allocation.AllocationCancelled)
    def _cancelled(self, rows: Rows, event: Any, position: int) -> None:
        rows.revise(
            "allocations",
            (uid(event.originator_id),),
            position,
            cancelled_on=day(event.timestamp.date()),
            cancel_reason=event.reason,
            **_versioned(event),
        )

    @handles(Allocation.ActivityRecorded)
    def _recorded(self, rows: Rows, event: Any, position: int) -> None:
        rows.put(
            "activity_units",
            {
                "id": uid(event.activity_id),
                "allocation_id": uid(event.originator_id),
                "units": event.units,
                "live": 1,
            },
        )
        _use(rows, event, event.units)

    @handles(Allocation.ActivityCorrected)
    def _corrected(self, rows: Rows, event: Any, position: int) -> None:
        delta = 0
        if "units" in event.changes:
            units = event.changes["units"]
            old = rows.get("activity_units", uid(event.activity_id))
            delta = units - (old["units"] if old else 0)
            rows.update("activity_units", (uid(event.activity_id),), units=units)
        _use(rows, event, delta)

    @handles(Allocation.ActivityRetracted)
    def _retracted(self, rows: Rows, event: Any, position: int) -> None:
        old = rows.get("activity_units", uid(event.activity_id))
        rows.update("activity_units", (uid(event.activity_id),), live=0)
        _use(rows, event, -(old["units"] if old else 0))

    @handles(Allocation.ActivityMoved)
    def _moved(self, rows: Rows, event: Any, position: int) -> None:
        """The same event on both allocations: the units leave one, join the other."""
        joins = event.originator_id == event.to_allocation_id
        if joins:
            rows.update(
                "activity_units", (uid(event.activity_id),), allocation_id=uid(event.originator_id)
            )
        _use(rows, event, event.units if joins else -event.units)

    # The team: whose departure flags the allocations they provide

    @handles(TeamMember.TeamMemberRegistered)
    def _member_registered(self, rows: Rows, event: Any, position: int) -> None:
        rows.put(
            "members",
            {"member_id": uid(event.originator_id), "handle": event.handle, "departed_on": None},
        )

    @handles(TeamMember.TeamMemberDeparted)
    def _member_departed(self, rows: Rows, event: Any, position: int) -> None:
        departed_on = day(event.effective_date)
        member = rows.update("members", (uid(event.originator_id),), departed_on=departed_on)
        if member is None:
            return
        for allocation in rows.all("allocations"):
            if allocation["provider"] == member["handle"]:
                rows.update("allocations", (allocation["id"],), provider_departed_on=departed_on)


def _open_engagement(rows: Rows, event: Any, position: int, **fields: Any) -> None:
    rows.put(
        "engagements",
        {
            "id": uid(event.originator_id),
            **fields,
            "deal_details": "{}",
            "closed": 0,
            "created_on": moment(event.timestamp),
            "position": position,
            "currency": None,
            "deal_reopened": 0,
            "valid_from": position,
        },
    )


def _departure_of(rows: Rows, handle: str) -> str | None:
    """The departure of the member with this handle (none: None), as the model knows it."""
    for member in rows.all("members"):
        if member["handle"] == handle:
            return member["departed_on"]
    return None


def _use(rows: Rows, event: Any, units: int) -> None:
    row = rows.get("allocations", uid(event.originator_id))
    if row is not None:
        rows.update(
            "allocations", (row["id"],), units_used=row["units_used"] + units, **_versioned(event)
        )


def _versioned(event: Any) -> dict[str, Any]:
    return {"version": event.originator_version, "modified_on": moment(event.timestamp)}
