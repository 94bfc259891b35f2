"""Business development's forms on allocations: grant one to a project
(`/engagements/{id}/projects/{id}/allocations/new`), grant a series
(`…/allocation-series/new`), amend one (`/allocations/{id}/amend`), hand it to
another provider (`/allocations/{id}/reassign`: the API's amendment naming a new
`provider`) and cancel it (`/allocations/{id}/cancel`).

Each runs the command of the API route doing the same work, through that route's
schema (POST /api/projects/{id}/allocations, POST /api/projects/{id}/allocation-series,
PATCH /api/allocations/{id}, POST …/cancellation), and each page needs that command's
roles (the permission table's `page:<command>`). Every form goes back to the
engagement's page, where the allocation shows."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import abort, g, url_for

from projections.reports.queries import allocation_row, team_members
from projections.reports.resources import allocation_balance
from service.application.series import AllocationSeries
from service.domain import Allocation
from service.domain.series import EVERY, MAX_COUNT
from service.web.api.allocation_series import AllocationSeriesInSchema
from service.web.api.allocations import AllocationInSchema, AmendmentSchema
from service.web.http.reads import read_fresh
from service.web.http.receipts import allocation_receipt
from service.web.http.runtime import ledger, today
from service.web.pages.blueprints import page_blueprint
from service.web.pages.engagement_forms import engagement_url, open_engagement_of
from service.web.pages.form_pages import Field, Form, form_page
from service.web.pages.forms import form_caller
from service.web.pages.people import page
from service.web.schemas.common import ReasonSchema

blp = page_blueprint("allocation_forms", __name__)

UNITS_HINT = "8 units are a day of one person's time."
NO_PROVIDER = "No provider"


@blp.route(
    "/engagements/<uuid:engagement_id>/projects/<uuid:project_id>/allocations/new",
    methods=["GET", "POST"],
)
@page("page:grant_allocation")
def grant_allocation(engagement_id: UUID, project_id: UUID):
    project = project_of(engagement_id, project_id)
    form = Form(
        title=f"Grant an allocation to “{project}”",
        intro="Units for a period that overlaps none of the project's other allocations.",
        action=url_for(
            "allocation_forms.grant_allocation", engagement_id=engagement_id, project_id=project_id
        ),
        submit="Grant",
        fields=(
            Field("start_date", "Start date", "date", required=True),
            Field("end_date", "End date", "date", required=True),
            Field("units", "Units", "number", required=True, hint=UNITS_HINT),
            Field("description", "Description", "textarea", required=True),
            provider_field("Provider", blank=NO_PROVIDER),
        ),
        back=engagement_url(engagement_id),
    )
    return form_page(
        form,
        AllocationInSchema(),
        lambda body: ledger().grant_allocation(project_id, **body, caller=form_caller()),
        lambda result: (granted(result.value, f"to “{project}”"), engagement_url(engagement_id)),
    )


@blp.route(
    "/engagements/<uuid:engagement_id>/projects/<uuid:project_id>/allocation-series/new",
    methods=["GET", "POST"],
)
@page("page:grant_allocation_series")
def grant_allocation_series(engagement_id: UUID, project_id: UUID):
    project = project_of(engagement_id, project_id)
    form = Form(
        title=f"Grant recurring units to “{project}”",
        intro="Consecutive allocations, one a period, each its own budget: what is not "
        "used in one period is not carried over to the next.",
        action=url_for(
            "allocation_forms.grant_allocation_series",
            engagement_id=engagement_id,
            project_id=project_id,
        ),
        submit="Grant the series",
        fields=(
            Field("units", "Units each period", "number", required=True, hint=UNITS_HINT),
            Field(
                "every",
                "Repeats every",
                "select",
                required=True,
                choices=tuple((every, every) for every in EVERY),
            ),
            Field("start_date", "First day of the first period", "date", required=True),
            Field("count", "How many periods", "number", required=True, hint=f"1 to {MAX_COUNT}."),
            Field(
                "description",
                "Description",
                "textarea",
                required=True,
                hint="Each allocation's, followed by its period's dates.",
            ),
            provider_field("Provider of every period", blank=NO_PROVIDER),
        ),
        back=engagement_url(engagement_id),
    )
    return form_page(
        form,
        AllocationSeriesInSchema(),
        lambda body: ledger().grant_allocation_series(project_id, **body, caller=form_caller()),
        lambda result: (series_granted(result.value, project), engagement_url(engagement_id)),
    )


@blp.route("/allocations/<uuid:allocation_id>/amend", methods=["GET", "POST"])
@page("page:amend_allocation")
def amend_allocation(allocation_id: UUID):
    allocation = visible_allocation(allocation_id)
    form = Form(
        title=f"Amend “{allocation['description']}”",
        intro=f"{terms(allocation)} Change what needs changing and say why; the rest "
        "stays as it is.",
        action=url_for("allocation_forms.amend_allocation", allocation_id=allocation_id),
        submit="Amend",
        fields=(
            Field("units", "Units granted", "number", hint=UNITS_HINT),
            Field("end_date", "End date", "date"),
            Field("description", "Description", "textarea"),
            Field("reason", "Reason for the amendment", required=True),
        ),
        back=engagement_url(allocation["engagement_id"]),
        initial={
            "units": str(allocation["units_granted"]),
            "end_date": str(allocation["end_date"]),
            "description": allocation["description"],
        },
        only_changes=True,
    )
    return form_page(
        form,
        AmendmentSchema(),
        lambda body: ledger().amend_allocation(allocation_id, **body, caller=form_caller()),
        lambda result: (amended(result.value), engagement_url(allocation["engagement_id"])),
    )


@blp.route("/allocations/<uuid:allocation_id>/reassign", methods=["GET", "POST"])
@page("page:amend_allocation")
def reassign_allocation(allocation_id: UUID):
    allocation = visible_allocation(allocation_id)
    current = allocation["provider"]
    form = Form(
        title=f"Hand “{allocation['description']}” to another provider",
        intro=f"{terms(allocation)} The new provider must be on the team until it ends.",
        action=url_for("allocation_forms.reassign_allocation", allocation_id=allocation_id),
        submit="Hand it over",
        fields=(
            provider_field("New provider", required=True, leaving_out=current),
            Field("reason", "Reason for the change", required=True),
        ),
        back=engagement_url(allocation["engagement_id"]),
    )
    return form_page(
        form,
        AmendmentSchema(only=("provider", "reason")),
        lambda body: ledger().amend_allocation(allocation_id, **body, caller=form_caller()),
        lambda result: (amended(result.value), engagement_url(allocation["engagement_id"])),
    )


@blp.route("/allocations/<uuid:allocation_id>/cancel", methods=["GET", "POST"])
@page("page:cancel_allocation")
def cancel_allocation(allocation_id: UUID):
    allocation = visible_allocation(allocation_id)
    form = Form(
        title=f"Cancel “{allocation['description']}”",
        intro=f"{terms(allocation)} Once cancelled it takes no new activities and its "
        "units no longer count as granted; the work recorded on it stays, and can still be "
        "corrected. Cancelling cannot be undone.",
        action=url_for("allocation_forms.cancel_allocation", allocation_id=allocation_id),
        submit="Cancel the allocation",
        danger=True,
        fields=(Field("reason", "Reason for cancelling", required=True),),
        back=engagement_url(allocation["engagement_id"]),
    )
    return form_page(
        form,
        ReasonSchema(),
        lambda body: ledger().cancel_allocation(
            allocation_id, reason=body["reason"], caller=form_caller()
        ),
        lambda result: (
            f"Cancelled “{result.value.description}”.",
            engagement_url(allocation["engagement_id"]),
        ),
    )


def project_of(engagement_id: UUID, project_id: UUID) -> str:
    """The project's name: 404 unless it is a project of the engagement (which is open
    and the person may see)."""
    project = open_engagement_of(engagement_id)["projects"].get(str(project_id))
    if project is None:
        abort(404, description=f"no project {project_id} in engagement {engagement_id}")
    return project["name"]


def visible_allocation(allocation_id: UUID) -> dict[str, Any]:
    """The allocation's balance today, as `GET /api/allocations/{id}` answers it: 404
    if there is none or the person may not see its engagement."""
    row = read_fresh(allocation_row, None, str(allocation_id))
    if row is None or not g.principal.may_see_engagement(UUID(row["engagement_id"])):
        abort(404, description=f"no allocation {allocation_id}")
    return allocation_balance(row, today())


def provider_field(
    label: str, *, blank: str | None = None, required: bool = False, leaving_out: str | None = None
) -> Field:
    """A choice of the members on the team (not departed), by name and handle."""
    members = read_fresh(team_members, None)
    choices = tuple(
        (handle, f"{member.name} ({handle})")
        for handle, member in members.items()
        if member.departed_on is None and handle != leaving_out
    )
    return Field("provider", label, "select", required=required, choices=choices, blank=blank)


def name_of(handle: str | None) -> str:
    """The member's name, as people know them ("nobody" for no provider)."""
    if handle is None:
        return "nobody"
    member = read_fresh(team_members, None).get(handle)
    return member.name if member else handle


def terms(allocation: dict[str, Any]) -> str:
    provider = name_of(allocation["provider"])
    return (
        f"Now: {allocation['units_granted']} units from {allocation['start_date']} to "
        f"{allocation['end_date']}, {allocation['units_used']} used, provided by {provider}."
    )


def granted(allocation: Allocation, which: str) -> str:
    receipt = allocation_receipt(allocation, today())
    return (
        f"Granted “{receipt['description']}” {which}, {receipt['start_date']} to "
        f"{receipt['end_date']}: {receipt['units_granted']} units."
    )


def series_granted(series: AllocationSeries, project: str) -> str:
    first, last = series.allocations[0], series.allocations[-1]
    return (
        f"Granted {len(series.allocations)} allocations of {first.units} units to “{project}”, "
        f"every {series.every} from {first.start_date} to {last.end_date}."
    )


def amended(allocation: Allocation) -> str:
    receipt = allocation_receipt(allocation, today())
    provider = name_of(receipt["provider"])
    return (
        f"Amended “{receipt['description']}”: {receipt['units_remaining']} of "
        f"{receipt['units_granted']} units remaining, to {receipt['end_date']}, provided by "
        f"{provider}."
    )
