"""The team (`/team`, `/team/new`, `/team/{handle}`), for line managers and admins:
who is on it, with their FTE, line manager, start and departure; registering a member;
changing a member's FTE from a date or their line manager, recording their departure
and handing the allocations they leave to another member.

Every write is the API's: the same schemas (`TeamMemberInSchema`,
`TeamMemberPatchSchema`), ledger commands and permission entries as
`POST /api/team-members`, `PATCH /api/team-members/{handle}` and
`POST /api/team-members/{handle}/hand-over`; the lists are the
`team` read model's, as `GET /api/team-members` answers. A refusal shows the form again
with the message under its field and records nothing."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for

from projections.readmodels.team import Member
from projections.reports.queries import allocations_to_hand_over, team_members
from service.domain import DomainError
from service.web.api.team_members import (
    HandOverSchema,
    TeamMemberInSchema,
    TeamMemberPatchSchema,
)
from service.web.http.reads import read_fresh
from service.web.http.runtime import ledger, today
from service.web.pages.blueprints import page_blueprint, status_of
from service.web.pages.forms import form_caller
from service.web.pages.labelled_forms import Field, Form
from service.web.pages.people import page
from service.web.pages.wording import plural

blp = page_blueprint("team_pages", __name__)

FTE_HINT = "A fraction of full time, more than 0 and at most 1, e.g. 0.5."
EMAIL_HINT = "Where their reminders and alerts go; without one they get none."
REGISTER = (
    Field("name", "Name"),
    Field("handle", "Handle", hint="Letters, digits and . _ @ - only; it never changes."),
    Field("fte", "FTE", hint=FTE_HINT),
    Field("line_manager", "Line manager", hint="Their handle, or their name."),
    Field("effective_date", "Start date", hint="The first day on the team."),
    Field("email", "Email", required=False, hint=EMAIL_HINT),
)
CHANGE_FTE = (
    Field("fte", "New FTE", hint=FTE_HINT),
    Field("effective_date", "From", hint="Earlier months keep the FTE they had."),
)
DEPARTURE = (
    Field(
        "departed_on",
        "Departure date",
        hint="The first day they are no longer on the team: no work from that day on.",
    ),
)
EMAIL = (Field("email", "Email", hint=EMAIL_HINT),)
CHANGE_LINE_MANAGER = (
    Field("line_manager", "New line manager", hint="Their handle, or their name. From now on."),
)
HAND_OVER = (
    Field("allocation_ids", "Allocations to hand over", many=True),
    Field("provider", "Hand over to", hint="Someone on the team until each allocation ends."),
    Field("reason", "Reason", hint="Kept with each allocation's change."),
)
MEMBER_FORMS = {
    "fte": CHANGE_FTE,
    "line_manager": CHANGE_LINE_MANAGER,
    "departure": DEPARTURE,
    "email": EMAIL,
    "hand_over": HAND_OVER,
}


@blp.route("/team", methods=["GET"])
@page("page:team")
def team():
    members = read_fresh(team_members, None)
    return render_template("pages/team.html", members=[_row(m, members) for m in members.values()])


@blp.route("/team/new", methods=["GET"])
@page("page:team")
def new_member():
    return _register_page(Form(REGISTER))


@blp.route("/team/new", methods=["POST"])
@page("page:team")
def register():
    form = Form(REGISTER).posted()
    body = form.read(TeamMemberInSchema())
    if body is None:
        return _register_page(form), 422
    try:
        member = ledger().register_team_member(**body, caller=form_caller()).value
    except DomainError as refused:
        form.refused(refused)
        return _register_page(form), status_of(refused)
    flash(
        f"Registered {member.name} ({member.handle}), {member.fte} FTE from "
        f"{member.started_on.isoformat()}.",
        "recorded",
    )
    return redirect(url_for("team_pages.member", handle=member.handle), code=303)


@blp.route("/team/<handle>", methods=["GET"])
@page("page:team")
def member(handle: str):
    return _member_page(handle, {})


@blp.route("/team/<handle>", methods=["POST"])
@page("page:team")
def change(handle: str):
    which = request.form.get("form_name", "")
    if which not in MEMBER_FORMS:
        abort(400, description="the form sent is not one of this page's forms")
    form = Form(MEMBER_FORMS[which]).posted()
    if which == "hand_over":
        return _hand_over(handle, form)
    body = form.read(TeamMemberPatchSchema(only=form.names))
    if body is None:
        return _member_page(handle, {which: form}), 422
    try:
        changed = ledger().update_team_member(handle, **body, caller=form_caller()).value
    except DomainError as refused:
        form.refused(refused)
        return _member_page(handle, {which: form}), status_of(refused)
    if which == "fte":
        said = f"{changed.name} works {body['fte']} FTE from {body['effective_date'].isoformat()}."
    elif which == "email":
        said = f"Notifications for {changed.name} go to {changed.email}."
    elif which == "line_manager":
        said = f"The line manager of {changed.name} is now {changed.line_manager}."
    else:
        said = f"{changed.name} leaves the team on {body['departed_on'].isoformat()}."
    flash(said, "recorded")
    return redirect(url_for("team_pages.member", handle=handle), code=303)


def _hand_over(handle: str, form: Form):
    """The leaver's allocations to another provider (`POST /api/team-members/{handle}/
    hand-over`), all or none."""
    body = form.read(HandOverSchema())
    if body is None:
        return _member_page(handle, {"hand_over": form}), 422
    try:
        handed = ledger().hand_over_allocations(handle, **body, caller=form_caller()).value
    except DomainError as refused:
        form.refused(refused)
        return _member_page(handle, {"hand_over": form}), status_of(refused)
    flash(f"Handed {plural(len(handed), 'allocation')} to {body['provider']}.", "recorded")
    return redirect(url_for("team_pages.member", handle=handle), code=303)


def _register_page(form: Form) -> str:
    members = read_fresh(team_members, None)
    return render_template("pages/team_new.html", form=form, members=members)


def _member_page(handle: str, forms: dict[str, Form]) -> str:
    members = read_fresh(team_members, None)
    if handle not in members:
        abort(404, description=f"No team member has the handle {handle}.")
    leaving = members[handle].departed_on
    to_hand_over = (
        read_fresh(allocations_to_hand_over, None, handle, today=today(), leaving=leaving)
        if leaving
        else []
    )
    defaults = {
        "hand_over": {
            "allocation_ids": [str(row["id"]) for row in to_hand_over],
            "reason": f"{members[handle].name} leaves on {leaving}",
        }
    }
    return render_template(
        "pages/team_member.html",
        member=_row(members[handle], members),
        members=members,
        to_hand_over=to_hand_over,
        members_to_take_over=[
            (h, f"{m.name} ({h})") for h, m in members.items() if h != handle and not m.departed_on
        ],
        forms={
            name: forms.get(name) or Form(fields, values=defaults.get(name, {}))
            for name, fields in MEMBER_FORMS.items()
        },
    )


def _row(member: Member, members: dict[str, Member]) -> dict[str, Any]:
    """A member as the pages show them: the line manager by name when they are on the
    team too, and the start (the first day of their capacity history)."""
    manager = members.get(member.line_manager)
    history = member.capacity_history
    return {
        "handle": member.handle,
        "name": member.name,
        "fte": history[-1][1] if history else None,
        "line_manager": manager.name if manager else member.line_manager,
        "started_on": history[0][0] if history else None,
        "departed_on": member.departed_on,
        "email": member.email,
        "capacity_history": history,
    }
