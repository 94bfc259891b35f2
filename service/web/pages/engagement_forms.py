"""Business development's forms on engagements: open one by hand (no HubSpot deal:
`/engagements/new`), change its details (`/engagements/{id}/edit`), close it
(`/engagements/{id}/close`), and define a project on it
(`/engagements/{id}/projects/new`).

Each runs the command of the API route doing the same work, through that route's
schema (POST /api/engagements, PATCH /api/engagements/{id}, POST …/closure,
POST …/projects), and each page needs that command's roles (the permission table's
`page:<command>`)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import abort, g, url_for

from projections.reports.queries import engagement_with_allocations
from projections.reports.resources import engagement_summary
from service.domain import Engagement
from service.web.api.engagements import EngagementInSchema, EngagementPatchSchema, ProjectInSchema
from service.web.http.reads import read_fresh
from service.web.http.runtime import ledger
from service.web.pages.blueprints import page_blueprint
from service.web.pages.form_pages import Field, Form, form_page
from service.web.pages.forms import form_caller
from service.web.pages.people import page
from service.web.schemas.common import ReasonSchema

blp = page_blueprint("engagement_forms", __name__)


def engagement_fields(required: bool) -> tuple[Field, ...]:
    """The fields of an engagement, required when opening one (a change gives any)."""
    return (
        Field("name", "Name", required=required),
        Field("community", "Community", required=required),
        Field("description", "Description", "textarea", required=required),
        Field("start_date", "Start date", "date", required=required),
        Field("end_date", "End date", "date", required=required),
        Field("contacts", "Contacts", "lines", hint="One a line: the community's contacts."),
    )


@blp.route("/engagements/new", methods=["GET", "POST"])
@page("page:open_engagement")
def open_engagement():
    form = Form(
        title="Open an engagement",
        intro="An engagement entered by hand, for work agreed outside HubSpot.",
        action=url_for("engagement_forms.open_engagement"),
        submit="Open the engagement",
        fields=engagement_fields(required=True),
        back=url_for("engagement_pages.engagements"),
    )
    return form_page(
        form,
        EngagementInSchema(),
        lambda body: ledger().open_engagement(**body, caller=form_caller()),
        lambda result: (
            f"Opened the engagement “{result.value.name}”.",
            url_for("engagement_pages.engagement", engagement_id=result.value.id),
        ),
    )


@blp.route("/engagements/<uuid:engagement_id>/edit", methods=["GET", "POST"])
@page("page:update_engagement_details")
def edit_engagement(engagement_id: UUID):
    engagement = open_engagement_of(engagement_id)
    form = Form(
        title=f"Change “{engagement['name']}”",
        intro="Change what needs changing; the rest stays as it is.",
        action=url_for("engagement_forms.edit_engagement", engagement_id=engagement_id),
        submit="Save the changes",
        fields=engagement_fields(required=False),
        back=engagement_url(engagement_id),
        initial=current_details(engagement),
        only_changes=True,
    )
    return form_page(
        form,
        EngagementPatchSchema(),
        lambda body: ledger().update_engagement_details(
            engagement_id, changes=body, caller=form_caller()
        ),
        lambda result: (
            f"Saved the details of “{result.value.name}”.",
            engagement_url(engagement_id),
        ),
    )


@blp.route("/engagements/<uuid:engagement_id>/close", methods=["GET", "POST"])
@page("page:close_engagement")
def close_engagement(engagement_id: UUID):
    engagement = open_engagement_of(engagement_id)
    form = Form(
        title=f"Close “{engagement['name']}”",
        intro="A closed engagement takes no new projects, allocations or activities; "
        "corrections and reports still work. Closing cannot be undone.",
        action=url_for("engagement_forms.close_engagement", engagement_id=engagement_id),
        submit="Close the engagement",
        danger=True,
        fields=(Field("reason", "Reason for closing", required=True),),
        back=engagement_url(engagement_id),
    )
    return form_page(
        form,
        ReasonSchema(),
        lambda body: ledger().close_engagement(
            engagement_id, reason=body["reason"], caller=form_caller()
        ),
        lambda result: (f"Closed “{result.value.name}”.", engagement_url(engagement_id)),
    )


@blp.route("/engagements/<uuid:engagement_id>/projects/new", methods=["GET", "POST"])
@page("page:define_project")
def define_project(engagement_id: UUID):
    engagement = open_engagement_of(engagement_id)
    form = Form(
        title=f"Define a project of “{engagement['name']}”",
        action=url_for("engagement_forms.define_project", engagement_id=engagement_id),
        submit="Define the project",
        fields=(
            Field("name", "Name", required=True),
            Field("outcome", "Outcome", "textarea", required=True, hint="What it is to achieve."),
        ),
        back=engagement_url(engagement_id),
    )
    return form_page(
        form,
        ProjectInSchema(),
        lambda body: ledger().define_project(engagement_id, **body, caller=form_caller()),
        lambda result: (
            f"Defined the project “{project_name(*result.value)}” of “{engagement['name']}”.",
            engagement_url(engagement_id),
        ),
    )


def project_name(engagement: Engagement, project_id: UUID) -> str:
    return engagement.projects[str(project_id)]["name"]


def open_engagement_of(engagement_id: UUID) -> dict[str, Any]:
    """The engagement as `GET /api/engagements` lists it, with its `projects` (rows
    by id): 404 if the person may not see it or there is none, and 409 once closed
    (it takes no changes)."""
    found = None
    if g.principal.may_see_engagement(engagement_id):
        found = read_fresh(engagement_with_allocations, None, str(engagement_id))
    if found is None:
        abort(404, description=f"no engagement {engagement_id}")
    row, projects, _ = found
    engagement = engagement_summary(row)
    if engagement["closed"]:
        abort(409, description=f"“{engagement['name']}” is closed: it takes no changes.")
    return {**engagement, "projects": {project["id"]: project for project in projects}}


def current_details(engagement: dict[str, Any]) -> dict[str, str]:
    """The engagement's details as its form shows them."""
    return {
        "name": engagement["name"],
        "community": engagement["community"],
        "description": engagement["description"] or "",
        "start_date": str(engagement["start_date"] or ""),
        "end_date": str(engagement["end_date"] or ""),
        "contacts": "\n".join(engagement["contacts"] or []),
    }


def engagement_url(engagement_id: UUID) -> str:
    return url_for("engagement_pages.engagement", engagement_id=engagement_id)
