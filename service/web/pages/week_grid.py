"""What My week shows (service/web/pages/my_week.py): a row per allocation the member
works on in the week, a cell per day with what the ledger holds there, each day that
may not be changed with the reason, and each row's balance. Read from the read models
after the member's own writes (`fresh`); the save itself is planned again against the
ledger (service/application/weeks.py).

The rows: the allocations the member provides that overlap the week, those holding
their work in the week, and those they add (or copy from last week) among the ones
they record on."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from projections.reports.declared import reads
from projections.reports.resources import allocation_balance
from service.domain.balance import is_late
from service.domain.week import (
    Cell,
    Correct,
    Held,
    Record,
    Retract,
    Stated,
    Step,
    Week,
    closed_reason,
    held_cells,
)
from service.web.http.reads import fresh
from service.web.pages.planning import allocation_label

SHOWN = ("upcoming", "active", "exhausted", "completed")
"""An allocation not cancelled: one ended since the week still takes the week's work."""


@dataclass(frozen=True)
class GridCell:
    day: date
    held: Held | None
    closed: str | None
    """Why the cell may not be changed here (None: it may)."""

    @property
    def units(self) -> int | None:
        return self.held.units if self.held and self.held.units else None


@dataclass(frozen=True)
class GridRow:
    allocation: dict[str, Any]
    """AllocationSchema dict plus `label`, balanced today."""
    cells: tuple[GridCell, ...]

    @property
    def id(self) -> UUID:
        return self.allocation["id"]

    @property
    def description(self) -> str:
        """The row's description: that of its last single entry (new cells take it)."""
        held = [cell.held for cell in self.cells if cell.held and cell.held.activity_id]
        return held[-1].description if held else ""

    @property
    def total(self) -> int:
        return sum(cell.units or 0 for cell in self.cells)


@dataclass(frozen=True)
class WeekGrid:
    week: Week
    rows: tuple[GridRow, ...]
    addable: list[dict[str, Any]]
    """Allocations the member records on, overlapping the week, not yet rows."""
    held: dict[Cell, Held]

    @property
    def day_totals(self) -> list[int]:
        return [sum(row.cells[n].units or 0 for row in self.rows) for n in range(7)]

    @property
    def total(self) -> int:
        return sum(row.total for row in self.rows)


@reads("balances", "activities", "team")
def week_grid(
    member: str,
    week: Week,
    today: date,
    *,
    added: Iterable[str] = (),
    copy_last_week: bool = False,
    min_position: int | None = None,
) -> WeekGrid:
    """The member's grid for `week`, with the rows `added` (allocation ids) and, with
    `copy_last_week`, those that held their work the week before."""
    read_models = fresh(week_grid, min_position)
    balances = read_models.view("balances")
    activities = read_models.view("activities")
    provided = balances.allocation_ids_of_provider(member)
    ids = tuple(dict.fromkeys([*provided, *activities.allocation_ids_of_member(member)]))
    first, last = week.days[0], week.days[-1]
    rows = [
        row
        for row in balances.allocations_with_status(today=today, statuses=SHOWN, ids=ids)
        if row["start_date"] <= last.isoformat() and row["end_date"] >= first.isoformat()
    ]
    held = held_cells(_stated(activities.of_member_between(member, first, last)), member, week)
    wanted = {*provided, *added, *(str(cell.allocation_id) for cell in held)}
    if copy_last_week:
        before = week.before()
        wanted |= {
            row["allocation_id"]
            for row in activities.of_member_between(member, before.days[0], before.days[-1])
        }
    engagements, projects = balances.engagements_and_projects()
    allocations = [
        {**allocation_balance(row, today), "label": allocation_label(row, engagements, projects)}
        for row in rows
    ]
    person = read_models.view("team").members().get(member)
    started_on = min((day for day, _ in person.capacity_history), default=None) if person else None
    departed_on = person.departed_on if person else None
    grid_rows = tuple(
        GridRow(a, tuple(_cell(a, day, held, started_on, departed_on, today) for day in week.days))
        for a in allocations
        if str(a["id"]) in wanted
    )
    addable = [a for a in allocations if str(a["id"]) not in wanted]
    return WeekGrid(week, grid_rows, addable, held)


def _cell(
    allocation: dict[str, Any],
    day: date,
    held: dict[Cell, Held],
    started_on: date | None,
    departed_on: date | None,
    today: date,
) -> GridCell:
    found = held.get(Cell(allocation["id"], day))
    if found is not None and found.fixed:
        return GridCell(day, found, f"This day {found.fixed}.")
    period = (allocation["start_date"], allocation["end_date"])
    closed = closed_reason(day, period, started_on, departed_on, today)
    return GridCell(day, found, closed and f"Not open: {closed}.")


def _stated(rows: Iterable[dict[str, Any]]) -> Iterable[Stated]:
    for row in rows:
        yield Stated(
            allocation_id=UUID(row["allocation_id"]),
            activity_id=UUID(row["id"]),
            team_member=row["team_member"],
            units=row["units"],
            description=row["description"],
            date_from=date.fromisoformat(row["date_from"]),
            date_to=date.fromisoformat(row["date_to"]),
        )


def warnings_before_saving(
    grid: WeekGrid, steps: Iterable[Step], today: date
) -> dict[Cell, list[str]]:
    """What the member should know before saving, by cell: a new entry will be marked
    late, or a cell takes its allocation past its units (both are accepted, and shown
    to the partner), counting the row's cells in day order."""
    remaining = {row.id: row.allocation["units_remaining"] for row in grid.rows}
    found: dict[Cell, list[str]] = {}
    for step in sorted(steps, key=lambda step: step.cell):
        cell = step.cell
        if isinstance(step, Record) and is_late(cell.day, today):
            found.setdefault(cell, []).append(
                f"{cell.day.isoformat()} is more than 14 days ago: this entry will be marked late."
            )
        added = _units_added(step, grid.held.get(cell))
        if cell.allocation_id not in remaining:
            continue
        remaining[cell.allocation_id] -= added
        if added > 0 and remaining[cell.allocation_id] < 0:
            found.setdefault(cell, []).append(
                "This takes the allocation past its units: "
                f"{remaining[cell.allocation_id]} remaining after it."
            )
    return found


def _units_added(step: Step, held: Held | None) -> int:
    before = held.units if held else 0
    if isinstance(step, Record):
        return step.entry.units
    if isinstance(step, Retract):
        return -before
    assert isinstance(step, Correct)
    return int(step.changes.get("units", before)) - before
