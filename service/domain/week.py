"""A member's week of work as a grid: a row per allocation, a cell per day, each cell
the units of one single-day activity. Saving a grid is planned here, with no I/O:
compared with what the ledger holds, a filled cell with nothing behind it is a new
recording, a changed one a correction, a cleared one a retraction, and an unchanged one
nothing at all (so a grid sent twice plans nothing the second time).

A cell behind which the ledger holds more than one activity, or part of one spanning
several days, is shown but not changed here: it has no single activity to correct."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from uuid import UUID

WEEK_PATTERN = re.compile(r"([0-9]{4})-W([0-9]{2})")
DAYS_IN_WEEK = 7


@dataclass(frozen=True, order=True)
class Week:
    """An ISO 8601 week (`YYYY-Www`), Monday to Sunday."""

    year: int
    number: int

    @classmethod
    def parse(cls, text: str) -> Week:
        match = WEEK_PATTERN.fullmatch(text)
        if not match:
            raise ValueError(f"{text!r} is not a week in the form YYYY-Www")
        year, number = int(match[1]), int(match[2])
        try:
            date.fromisocalendar(year, number, 7)  # its Sunday, the last day a date can hold
        except ValueError:
            raise ValueError(f"{text} has no week {number}") from None
        return cls(year, number)

    @classmethod
    def of(cls, day: date) -> Week:
        year, number, _ = day.isocalendar()
        return cls(year, number)

    @property
    def monday(self) -> date:
        return date.fromisocalendar(self.year, self.number, 1)

    @property
    def days(self) -> tuple[date, ...]:
        return tuple(self.monday + timedelta(days=n) for n in range(DAYS_IN_WEEK))

    def before(self) -> Week:
        return Week.of(self.monday - timedelta(days=DAYS_IN_WEEK))

    def after(self) -> Week:
        return Week.of(self.monday + timedelta(days=DAYS_IN_WEEK))

    def __str__(self) -> str:
        return f"{self.year:04d}-W{self.number:02d}"


@dataclass(frozen=True, order=True)
class Cell:
    allocation_id: UUID
    day: date


@dataclass(frozen=True)
class Entry:
    """What a filled cell asks for."""

    units: int
    description: str


@dataclass(frozen=True)
class Held:
    """What the ledger holds on a cell: the units that count there and, when they are
    one single-day activity's, that activity (else `fixed` says why the grid leaves the
    cell alone)."""

    units: int
    description: str = ""
    activity_id: UUID | None = None
    fixed: str | None = None


@dataclass(frozen=True)
class Stated:
    """One activity as the ledger states it, wherever it was read from (an allocation's
    stream, or the activities read model)."""

    allocation_id: UUID
    activity_id: UUID
    team_member: str
    units: int
    description: str
    date_from: date
    date_to: date


def held_cells(activities: Iterable[Stated], member: str, week: Week) -> dict[Cell, Held]:
    """The member's live activities in the week, by cell. A single-day activity alone on
    its cell is the cell's; a cell with more than one, or covered by an activity of
    several days (whose units show on its last day), is fixed."""
    found: dict[Cell, list[Stated]] = {}
    spanned: set[Cell] = set()
    days = set(week.days)
    for stated in activities:
        if stated.team_member != member:
            continue
        if stated.date_to in days:
            found.setdefault(Cell(stated.allocation_id, stated.date_to), []).append(stated)
        if stated.date_from != stated.date_to:
            spanned.update(
                Cell(stated.allocation_id, day)
                for day in days
                if stated.date_from <= day <= stated.date_to
            )
    cells = {cell: _held(cell in spanned, entries) for cell, entries in found.items()}
    for cell in spanned - set(found):
        cells[cell] = Held(0, fixed=SPANNED)
    return cells


SPANNED = "part of an entry of several days: change it on My work"
SEVERAL = "holds more than one entry: change them on My work"


def _held(spanned: bool, entries: list[Stated]) -> Held:
    units = sum(entry.units for entry in entries)
    if spanned:
        return Held(units, fixed=SPANNED)
    if len(entries) > 1:
        return Held(units, fixed=SEVERAL)
    (entry,) = entries
    return Held(units, entry.description, entry.activity_id)


@dataclass(frozen=True)
class Record:
    cell: Cell
    entry: Entry


@dataclass(frozen=True)
class Correct:
    cell: Cell
    activity_id: UUID
    changes: dict[str, int | str]


@dataclass(frozen=True)
class Retract:
    cell: Cell
    activity_id: UUID


Step = Record | Correct | Retract


@dataclass(frozen=True)
class Plan:
    steps: tuple[Step, ...]
    refused: dict[Cell, str]
    """Cells the grid may not change, each with why."""


def plan_week(held: Mapping[Cell, Held], wanted: Mapping[Cell, Entry | None]) -> Plan:
    """The steps that make each cell of `wanted` (None: empty) what the ledger holds,
    in cell order (by allocation, then day). Cells not in `wanted` are left alone."""
    steps: list[Step] = []
    refused: dict[Cell, str] = {}
    for cell, entry in sorted(wanted.items()):
        now = held.get(cell)
        if now is None:
            if entry is not None:
                steps.append(Record(cell, entry))
            continue
        if now.activity_id is None:
            if entry is None or entry.units != now.units:
                refused[cell] = f"This day {now.fixed}."
            continue
        if entry is None:
            steps.append(Retract(cell, now.activity_id))
            continue
        changes = {
            name: value
            for name, value, before in (
                ("units", entry.units, now.units),
                ("description", entry.description, now.description),
            )
            if value != before
        }
        if changes:
            steps.append(Correct(cell, now.activity_id, changes))
    return Plan(tuple(steps), refused)


def closed_reason(
    day: date,
    period: tuple[date, date],
    started_on: date | None,
    departed_on: date | None,
    today: date,
) -> str | None:
    """Why no work may be recorded on `day` on an allocation of `period` by a member on
    the team from `started_on` until `departed_on` (the ledger's own rules, said in
    advance), or None."""
    start, end = period
    if day < start:
        return f"before the allocation starts ({start.isoformat()})"
    if day > end:
        return f"after the allocation ends ({end.isoformat()})"
    if started_on is not None and day < started_on:
        return f"before you joined ({started_on.isoformat()})"
    if departed_on is not None and day >= departed_on:
        return f"from your departure ({departed_on.isoformat()})"
    if day > today:
        return "in the future"
    return None
