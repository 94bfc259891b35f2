"""My week (`/my/week`, `?week=YYYY-Www`): a member's week as a grid, a row per
allocation and a cell of units per day, saved at once.

One save records every new cell, corrects every changed one and retracts every
cleared one (`Ledger.save_week`, by the rules of the activity commands), in one atomic
write: a refused cell leaves the week unwritten and the grid shows why under the cell.
A form sent again writes nothing, since the ledger already holds what it says. As on
My work, a late entry or an overrun is first pointed out, cell by cell, and saved on
"Save anyway". The grid's keys are in static/week.js; the page works without it."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

import marshmallow as ma
from flask import abort, flash, redirect, render_template, request, url_for
from werkzeug.datastructures import MultiDict

from service.application.weeks import WeekRefused
from service.domain import DomainError
from service.domain.week import Cell, Correct, Entry, Record, Retract, Week, plan_week
from service.infra.input_policy import date_problem
from service.web.http.runtime import ledger, today
from service.web.pages.blueprints import page_blueprint, refusal, status_of
from service.web.pages.forms import Errors, form_caller, load, new_form_key, read_query
from service.web.pages.my_work import me
from service.web.pages.people import page
from service.web.pages.week_grid import WeekGrid, warnings_before_saving, week_grid
from service.web.schemas.common import POSITION, QueryInteger, work_fields

blp = page_blueprint("my_week", __name__)

UNITS_HINT = "1: under an hour · 2: a meeting · 3: up to two hours · 5: half a day · 8: a day"


def week_of(text: str) -> Week:
    """The week `text` names, within the dates the service takes (the input policy's);
    else ValueError saying what to give."""
    try:
        week = Week.parse(text)
    except ValueError:
        raise ValueError("give the week as YYYY-Www, such as 2026-W49") from None
    problem = date_problem(week.days[0]) or date_problem(week.days[-1])
    if problem:
        raise ValueError(f"the week's days {problem}")
    return week


def week_text(text: str) -> None:
    try:
        week_of(text)
    except ValueError as error:
        raise ma.ValidationError(str(error)) from None


class MyWeekQuerySchema(ma.Schema):
    week = ma.fields.String(validate=week_text, metadata={"description": "YYYY-Www"})
    copy = ma.fields.Boolean(metadata={"description": "add the rows of the week before"})
    after = QueryInteger(
        validate=POSITION,
        metadata={"description": "the position of a write just made here, to show it"},
    )


class CellSchema(ma.Schema.from_dict(work_fields(("units", "description"), required=True))):
    """A cell: the API's own units and description (service/web/schemas/common.py)."""


def units_name(allocation_id: UUID, day: date) -> str:
    return f"u.{allocation_id}.{day.isoformat()}"


def note_name(allocation_id: UUID, day: date) -> str:
    return f"d.{allocation_id}.{day.isoformat()}"


def row_name(allocation_id: UUID) -> str:
    return f"r.{allocation_id}"


@blp.route("/my/week", methods=["GET"])
@page("page:my_work")
def my_week():
    query = read_query(MyWeekQuerySchema())
    week = week_of(query["week"]) if "week" in query else Week.of(today())
    if me().member is None:
        return render_template("pages/my_week.html", grid=None, week=week)
    grid = week_grid(
        me().member,
        week,
        today(),
        added=_added_rows(request.args),
        copy_last_week=query.get("copy", False),
        min_position=query.get("after"),
    )
    return _render(grid, _values_held(grid))


@blp.route("/my/week", methods=["POST"])
@page("page:my_work")
def save():
    member = me().member
    if member is None:
        abort(403, description="My week records your own work: your sign-in names no member")
    try:
        week = week_of(request.form.get("week", ""))
    except ValueError as error:
        abort(400, description=f"week: {error}")
    grid = week_grid(member, week, today(), added=_added_rows(request.form))
    values = {name: request.form[name] for name in _input_names(grid) if name in request.form}
    wanted, errors = _wanted(grid, values)
    if errors:
        return _render(grid, values, errors=errors), 422
    warnings = warnings_before_saving(grid, plan_week(grid.held, wanted).steps, today())
    if warnings and request.form.get("confirm") != "yes":
        named = {
            units_name(cell.allocation_id, cell.day): texts for cell, texts in warnings.items()
        }
        return _render(grid, values, warnings=named), 200
    try:
        result = ledger().save_week(member, week, wanted, caller=form_caller())
    except WeekRefused as refused:
        errors = {units_name(c.allocation_id, c.day): [text] for c, text in refused.cells.items()}
        return _render(grid, values, errors=errors), status_of(refused)
    except DomainError as refused:
        return _render(grid, values, errors=refusal(refused, ())), status_of(refused)
    flash(_saved_message(result.value.steps), "recorded")
    return redirect(url_for("my_week.my_week", week=str(week), after=result.position), code=303)


def _added_rows(source: MultiDict) -> list[str]:
    """The rows (allocation ids) added to the grid, as the links and forms carry them."""
    try:
        return [str(UUID(value)) for value in source.getlist("row")]
    except ValueError:
        abort(400, description="row: not an allocation id")


def _input_names(grid: WeekGrid) -> list[str]:
    names = []
    for row in grid.rows:
        names.append(row_name(row.id))
        for cell in row.cells:
            if cell.closed is None:
                names += [units_name(row.id, cell.day), note_name(row.id, cell.day)]
    return names


def _values_held(grid: WeekGrid) -> dict[str, Any]:
    """The form as the ledger holds the week: a cell's note only where it is not the
    row's description (which new cells take)."""
    values: dict[str, Any] = {}
    for row in grid.rows:
        values[row_name(row.id)] = row.description
        for cell in row.cells:
            if cell.held and cell.held.activity_id:
                values[units_name(row.id, cell.day)] = cell.held.units
                if cell.held.description != row.description:
                    values[note_name(row.id, cell.day)] = cell.held.description
    return values


def _wanted(grid: WeekGrid, values: dict[str, str]) -> tuple[dict[Cell, Entry | None], Errors]:
    """Each open cell the form sends, as it gives it (None: empty), read by the API's
    schema; a cell's note, else its row's description, describes it. A cell not sent
    at all is left as it is."""
    wanted: dict[Cell, Entry | None] = {}
    errors: Errors = {}
    for row in grid.rows:
        for cell in row.cells:
            if cell.closed is not None:
                continue
            units = values.get(units_name(row.id, cell.day))
            if units is None:
                continue
            if not units.strip():
                wanted[Cell(row.id, cell.day)] = None
                continue
            note = values.get(note_name(row.id, cell.day), "")
            description = note if note.strip() else values.get(row_name(row.id), "")
            body, problems = load(CellSchema(), {"units": units, "description": description})
            if body is None:
                errors[units_name(row.id, cell.day)] = [
                    text for texts in problems.values() for text in texts
                ]
                continue
            wanted[Cell(row.id, cell.day)] = Entry(body["units"], body["description"])
    return wanted, errors


def _saved_message(steps: tuple) -> str:
    if not steps:
        return "Nothing to save: the ledger already holds this week as shown."
    counts = [
        (sum(isinstance(step, kind) for step in steps), verb)
        for kind, verb in ((Record, "recorded"), (Correct, "corrected"), (Retract, "cleared"))
    ]
    said = ", ".join(f"{n} {verb}" for n, verb in counts if n)
    return f"Week saved: {said}."


def _render(
    grid: WeekGrid,
    values: dict[str, Any],
    *,
    errors: Errors | None = None,
    warnings: dict[str, list[str]] | None = None,
) -> str:
    shown_day = today() if today() in grid.week.days else grid.week.days[0]
    return render_template(
        "pages/my_week.html",
        grid=grid,
        week=grid.week,
        this_week=Week.of(today()),
        shown_day=shown_day,
        values=values,
        errors=errors or {},
        warnings=warnings or {},
        added=_added_rows(request.values),
        form_key=request.form.get("form_key") or new_form_key(),
        units_name=units_name,
        note_name=note_name,
        row_name=row_name,
        hint=UNITS_HINT,
        labels={
            units_name(row.id, cell.day): f"{cell.day:%a %-d %b}, {row.allocation['label']}"
            for row in grid.rows
            for cell in row.cells
        },
    )
