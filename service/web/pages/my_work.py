"""My work (`/my`): a person's allocations with what is left, the form to record an
activity, and their latest activities to correct or retract.

Recording goes through the same command, schema and role rules as
`POST /api/allocations/{id}/activities`. A late date or an overrun is accepted there;
here the form first says so and asks again ("Record anyway"), so nobody is surprised
by a flag the partner will see; an entry the ledger would refuse is refused first, in
the same round trip, never warned about and then refused."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import marshmallow as ma
from flask import abort, flash, g, redirect, render_template, request, url_for

from projections.reports.member_activities import member_activity
from service.domain import DomainError
from service.domain.activity import CORRECTABLE_FIELDS, WORK_FIELDS
from service.domain.balance import is_late
from service.web.api.activities import ActivityInSchema, CorrectionSchema, MoveSchema
from service.web.http.auth import Principal
from service.web.http.reads import read_fresh
from service.web.http.runtime import ledger, today
from service.web.pages.blueprints import page_blueprint, refusal, status_of
from service.web.pages.forms import (
    Errors,
    form_caller,
    load,
    new_form_key,
    read_form,
    read_query,
)
from service.web.pages.people import page
from service.web.pages.wording import SUCCESS, WARNING, plural, what_is_left
from service.web.pages.worklist import Worklist, warnings_before_recording, worklist
from service.web.schemas.common import POSITION, QueryInteger, ReasonSchema

blp = page_blueprint("my_work", __name__)

UNIT_SCALE = (1, 2, 3, 5, 8)
OWN_WORK = tuple(name for name in WORK_FIELDS if name != "team_member")
"""A person records and corrects their own work: the page has no member to pick (a
manager recording for one of their members picks one)."""
FORM_FIELDS = ("allocation_id", *OWN_WORK)
CORRECTABLE = (*(name for name in CORRECTABLE_FIELDS if name in OWN_WORK), "reason")
ONE_DAY = {"moved": {"date_to": "date_from"}, "labels": {"date_to": "Date"}}
"""Only Date filled: the page sends it as both days, so what the rules say of the last
day (`date_to`) is said of Date, under it."""
REASONS = {
    "correct": {"reason": "Reason for the correction"},
    "move": {"reason": "Reason for moving"},
    "retract": {"reason": "Reason for retracting"},
}


class MyWorkQuerySchema(ma.Schema):
    after = QueryInteger(
        validate=POSITION,
        metadata={"description": "the position of a write just made here, to show it"},
    )


def me() -> Principal:
    return g.principal


@blp.route("/my", methods=["GET"])
@page("page:my_work")
def my_work():
    min_position = read_query(MyWorkQuerySchema()).get("after")
    work = worklist(me().member, today(), min_position)
    return _render(work, values={"allocation_id": work.last_used})


@blp.route("/my", methods=["POST"])
@page("page:my_work")
def record():
    work = worklist(me().member, today())
    values = {name: request.form.get(name, "") for name in ("allocation_id", *WORK_FIELDS)}
    values["team_member"] = me().member or values["team_member"]
    one_day = not values["date_to"].strip()
    if one_day:
        values["date_to"] = values["date_from"]
    allocation = work.allocation(values["allocation_id"])
    given = {name: values[name] for name in WORK_FIELDS if values[name].strip()}
    body, errors = load(ActivityInSchema(), given)
    if one_day:
        errors.pop("date_to", None)  # the same value as Date, refused under it already
    if allocation is None:
        errors.setdefault("allocation_id", []).append("Pick one of your allocations.")
    if errors or body is None or allocation is None:
        return _render(work, values=values, errors=errors), 422
    fields = ("allocation_id", *WORK_FIELDS) if work.members else FORM_FIELDS
    try:
        ledger().check_recording(UUID(values["allocation_id"]), **body, caller=form_caller())
        warnings = warnings_before_recording(allocation, body["units"], body["date_to"], today())
        if warnings and request.form.get("confirm") != "yes":
            return _render(work, values=values, warnings=warnings), 200
        result = ledger().record_activity(
            UUID(values["allocation_id"]),
            **body,
            caller=form_caller(),
        )
    except DomainError as refused:
        errors = refusal(refused, fields, **(ONE_DAY if one_day else {}))
        return _render(work, values=values, errors=errors), status_of(refused)
    recorded, _ = result.value
    left, kind = what_is_left(recorded.units_remaining)
    said = f"Recorded {plural(body['units'], 'unit')} on {allocation['label']}: {left}."
    if is_late(body["date_to"], today()):
        said, kind = f"{said} It is marked late: its last day is over 14 days ago.", WARNING
    flash(said, kind)
    return redirect(url_for("my_work.my_work", after=result.position), code=303)


@blp.route("/my/activities/<uuid:activity_id>/correction", methods=["GET", "POST"])
@page("page:my_work")
def correct(activity_id: UUID):
    activity = _my_activity(activity_id)
    if request.method == "GET":
        return _render_correction(activity, {**activity, "form_key": new_form_key()})
    values = {name: request.form.get(name, "") for name in CORRECTABLE}
    body, errors = _changes(values, activity)
    if errors or body is None:
        return _render_correction(
            activity, {**values, "form_key": request.form.get("form_key")}, errors
        ), 422
    reason = body.pop("reason")
    try:
        result = ledger().correct_activity(
            activity_id,
            changes=body,
            reason=reason,
            caller=form_caller(),
        )
    except DomainError as refused:
        values = {**values, "form_key": request.form.get("form_key")}
        errors = refusal(refused, CORRECTABLE, labels=REASONS["correct"])
        return _render_correction(activity, values, errors), status_of(refused)
    corrected, _ = result.value
    left, kind = what_is_left(corrected.units_remaining)
    flash(f"Corrected: {left}. The original stays in the history.", kind)
    return redirect(url_for("my_work.my_work", after=result.position), code=303)


@blp.route("/my/activities/<uuid:activity_id>/retraction", methods=["POST"])
@page("page:my_work")
def retract(activity_id: UUID):
    activity = _my_activity(activity_id)
    body, errors = read_form(ReasonSchema(), ("reason",), REASONS["retract"])
    if errors or body is None:
        # The page has three reasons; this one's field is the retraction's.
        errors = {"retract-reason": errors.pop("reason", []), **errors}
        return _render_correction(activity, {**activity, "form_key": new_form_key()}, errors), 422
    result = ledger().retract_activity(
        activity_id,
        reason=body["reason"],
        caller=form_caller(),
    )
    flash("Retracted: it no longer counts. The original stays in the history.", SUCCESS)
    return redirect(url_for("my_work.my_work", after=result.position), code=303)


@blp.route("/my/activities/<uuid:activity_id>/move", methods=["POST"])
@page("page:my_work")
def move(activity_id: UUID):
    """Filed on the wrong allocation: moved to another of mine, keeping when it was
    recorded (a move never makes it late)."""
    activity = _my_activity(activity_id)
    body, errors = read_form(MoveSchema(), ("allocation_id", "reason"), REASONS["move"])
    if errors or body is None:
        # The page has three reasons; this one's field is the move's.
        errors = {"move-reason": errors.pop("reason", []), **errors}
        return _render_correction(activity, {**activity, "form_key": new_form_key()}, errors), 422
    try:
        result = ledger().move_activity(
            activity_id,
            **body,
            caller=form_caller(),
        )
    except DomainError as refused:
        errors = refusal(refused, ("allocation_id", "reason"), labels=REASONS["move"])
        errors = {"move-reason": errors.pop("reason", []), **errors}
        return _render_correction(activity, {**activity, "form_key": new_form_key()}, errors), (
            status_of(refused)
        )
    moved = result.value
    left, kind = what_is_left(moved.target.units_remaining)
    flash(f"Moved: {left} where it is now, {moved.source.units_remaining} where it was.", kind)
    return redirect(url_for("my_work.my_work", after=result.position), code=303)


def _changes(values: dict[str, str], activity: dict[str, Any]) -> tuple[dict | None, Errors]:
    """Only what the person changed is a correction."""
    given = {
        name: values[name]
        for name in CORRECTABLE
        if values[name].strip() and (name == "reason" or values[name] != str(activity[name]))
    }
    return load(CorrectionSchema(), given, REASONS["correct"])


def _my_activity(activity_id: UUID) -> dict[str, Any]:
    """One of the person's own activities (the ones their pages offer to change)."""
    member = me().member
    found = None
    if member is not None:
        found = read_fresh(member_activity, None, member, str(activity_id))
    if found is None:
        abort(404, description="no such activity among yours")
    return found


def _render(
    work: Worklist,
    *,
    values: dict[str, Any],
    errors: Errors | None = None,
    warnings: list[str] | None = None,
) -> str:
    values = {
        **dict.fromkeys(OWN_WORK, ""),
        "date_from": today().isoformat(),
        **{k: v for k, v in values.items() if v is not None},
    }
    return render_template(
        "pages/my.html",
        work=work,
        values=values,
        errors=errors or {},
        warnings=warnings or [],
        scale=UNIT_SCALE,
        form_key=request.form.get("form_key") or new_form_key(),
        today=today(),
    )


def _render_correction(activity: dict[str, Any], values: dict, errors: Errors | None = None):
    others = [
        allocation
        for allocation in worklist(me().member, today()).allocations
        if str(allocation["id"]) != str(activity["allocation_id"])
    ]
    return render_template(
        "pages/correct.html",
        activity=activity,
        values=values,
        errors=errors or {},
        scale=UNIT_SCALE,
        others=others,
    )
