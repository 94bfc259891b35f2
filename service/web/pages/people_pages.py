"""The people who sign in with the identity provider (`/access/people`), for admins: give
a person a role by email (a member their member record, a viewer their engagement), see
who has one and whether they have signed in, take a role away. The same ledger commands
as `people add | list | remove` (service/cli/people.py), which hold the rules."""

from __future__ import annotations

from uuid import UUID

from flask import flash, g, redirect, render_template, url_for

from projections import Projections
from projections.reports.declared import reads
from service.domain import DomainError
from service.domain.tokens import ROLES
from service.web.http.reads import fresh
from service.web.http.runtime import ledger
from service.web.pages.access_pages import ROLE_LABELS
from service.web.pages.blueprints import page_blueprint, status_of
from service.web.pages.labelled_forms import Field, Form
from service.web.pages.people import page
from service.web.schemas.people import PersonGrantSchema

blp = page_blueprint("people_pages", __name__)

ADD = (
    Field("email", "Email", hint="The address their identity provider has verified."),
    Field("role", "Role"),
    Field(
        "member",
        "Team member",
        required=False,
        hint="Needed for the member role; they are then named by their member record.",
    ),
    Field("name", "Name", required=False, hint="Their full name; may stay empty for a member."),
    Field(
        "engagement_id",
        "Engagement",
        required=False,
        hint="Needed for a viewer: the one engagement they may see.",
    ),
)


@blp.route("/access/people", methods=["GET"])
@page("page:people")
def people():
    return _render(Form(ADD))


@blp.route("/access/people", methods=["POST"])
@page("page:people")
def add():
    form = Form(ADD).posted()
    body = form.read(PersonGrantSchema())
    if body is None:
        return _render(form), 422
    try:
        person = ledger().add_person(actor=g.caller.actor, **body)
    except DomainError as refused:
        form.refused(refused, {"engagement": "engagement_id"})
        return _render(form), status_of(refused)
    flash(f"{person.email} may sign in as {person.role}.", "recorded")
    return redirect(url_for("people_pages.people"), code=303)


@blp.route("/access/people/<uuid:person_id>/removal", methods=["POST"])
@page("page:people")
def remove(person_id: UUID):
    person = ledger().remove_person_by_id(person_id, actor=g.caller.actor)
    flash(f"{person.email} has no role now: their sessions end at their next page.", "recorded")
    return redirect(url_for("people_pages.people"), code=303)


@reads("team", "balances")
def _render(form: Form, read_models: Projections | None = None) -> str:
    read_models = read_models or fresh(_render, None)
    members = read_models.view("team").members()
    engagements, _ = read_models.view("balances").engagements_and_projects()
    return render_template(
        "pages/people.html",
        form=form,
        people=ledger().people(),
        roles=[(role, ROLE_LABELS[role]) for role in ROLES],
        on_team=[(h, f"{m.name} ({h})") for h, m in members.items() if m.departed_on is None],
        engagements={e_id: e["name"] for e_id, e in engagements.items()},
    )
