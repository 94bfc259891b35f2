"""Planning a week's save: which cells are new, changed or cleared, and so which
commands; the cells the grid leaves alone; the ISO week; why a day is closed."""

from __future__ import annotations

from datetime import date
from uuid import UUID, uuid4

import pytest

from service.domain.week import (
    Cell,
    Correct,
    Entry,
    Held,
    Record,
    Retract,
    Stated,
    Week,
    closed_reason,
    held_cells,
    plan_week,
)

WEEK = Week(2026, 48)  # Monday 23 to Sunday 29 November 2026
MONDAY, TUESDAY, WEDNESDAY = WEEK.days[:3]
A = UUID(int=1)
B = UUID(int=2)


def stated(day: date, units: int, *, until: date | None = None, member: str = "ana", on=A):
    return Stated(on, uuid4(), member, units, "docs", day, until or day)


def test_a_filled_cell_with_nothing_behind_it_is_recorded():
    plan = plan_week({}, {Cell(A, MONDAY): Entry(3, "docs")})
    assert plan.steps == (Record(Cell(A, MONDAY), Entry(3, "docs")),)


def test_a_changed_cell_is_corrected_with_only_what_changed():
    held = Held(3, "docs", UUID(int=9))
    plan = plan_week({Cell(A, MONDAY): held}, {Cell(A, MONDAY): Entry(5, "docs")})
    assert plan.steps == (Correct(Cell(A, MONDAY), UUID(int=9), {"units": 5}),)


def test_a_cleared_cell_is_retracted():
    held = Held(3, "docs", UUID(int=9))
    plan = plan_week({Cell(A, MONDAY): held}, {Cell(A, MONDAY): None})
    assert plan.steps == (Retract(Cell(A, MONDAY), UUID(int=9)),)


def test_an_unchanged_or_still_empty_cell_plans_nothing():
    held = {Cell(A, MONDAY): Held(3, "docs", UUID(int=9))}
    wanted = {Cell(A, MONDAY): Entry(3, "docs"), Cell(A, TUESDAY): None}
    assert plan_week(held, wanted).steps == ()


def test_cells_not_sent_are_left_alone():
    held = {Cell(A, MONDAY): Held(3, "docs", UUID(int=9))}
    assert plan_week(held, {Cell(B, MONDAY): Entry(1, "")}).steps == (
        Record(Cell(B, MONDAY), Entry(1, "")),
    )


def test_steps_come_in_cell_order():
    wanted = {Cell(B, MONDAY): Entry(1, ""), Cell(A, TUESDAY): Entry(2, ""), Cell(A, MONDAY): None}
    held = {Cell(A, MONDAY): Held(3, "", UUID(int=9))}
    assert [step.cell for step in plan_week(held, wanted).steps] == [
        Cell(A, MONDAY),
        Cell(A, TUESDAY),
        Cell(B, MONDAY),
    ]


def test_a_cell_of_several_entries_is_shown_summed_and_refused_if_changed():
    cells = held_cells([stated(MONDAY, 2), stated(MONDAY, 3)], "ana", WEEK)
    assert cells[Cell(A, MONDAY)].units == 5 and cells[Cell(A, MONDAY)].activity_id is None
    assert plan_week(cells, {Cell(A, MONDAY): Entry(5, "docs")}).refused == {}
    refused = plan_week(cells, {Cell(A, MONDAY): Entry(8, "docs")}).refused
    assert "more than one entry" in refused[Cell(A, MONDAY)]


def test_an_entry_of_several_days_fixes_every_day_it_covers_and_counts_on_its_last():
    cells = held_cells([stated(MONDAY, 8, until=WEDNESDAY)], "ana", WEEK)
    assert [cells[Cell(A, day)].units for day in (MONDAY, TUESDAY, WEDNESDAY)] == [0, 0, 8]
    assert all(cells[Cell(A, day)].fixed for day in (MONDAY, TUESDAY, WEDNESDAY))


def test_only_the_members_own_entries_in_the_week_are_held():
    before = stated(date(2026, 11, 22), 3)
    someone_else = stated(MONDAY, 3, member="ben")
    assert held_cells([before, someone_else], "ana", WEEK) == {}


def test_weeks_are_iso_weeks():
    assert Week.parse("2026-W48").monday == date(2026, 11, 23)
    assert Week.of(date(2027, 1, 1)) == Week(2026, 53)
    assert str(Week(2026, 53).after()) == "2027-W01"
    assert str(Week(2027, 1).before()) == "2026-W53"


@pytest.mark.parametrize("text", ["2026-48", "2026-W4", "2025-W53", "２０２６-W48", "9999-W52"])
def test_a_week_not_of_the_form_or_the_calendar_is_refused(text):
    with pytest.raises(ValueError):
        Week.parse(text)


@pytest.mark.parametrize(
    ("day", "reason"),
    [
        (date(2026, 11, 1), "before the allocation starts (2026-11-02)"),
        (date(2026, 12, 1), "after the allocation ends (2026-11-30)"),
        (date(2026, 11, 3), "before you joined (2026-11-04)"),
        (date(2026, 11, 20), "from your departure (2026-11-20)"),
        (date(2026, 11, 19), "in the future"),
        (date(2026, 11, 18), None),
    ],
)
def test_a_day_is_closed_for_the_first_reason_that_applies(day, reason):
    found = closed_reason(
        day,
        (date(2026, 11, 2), date(2026, 11, 30)),
        started_on=date(2026, 11, 4),
        departed_on=date(2026, 11, 20),
        today=date(2026, 11, 18),
    )
    assert found == reason
