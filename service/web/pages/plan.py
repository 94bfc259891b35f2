"""Plan (`/plan?from=YYYY-MM&to=YYYY-MM`), for business development: each month's
capacity against the units allocations commit to it, per member and for the team,
and the forms to grant or amend an allocation.

The team's figures are the capacity report's (`capacity_report`, as
`GET /api/reports/capacity` answers); a member's committed units are the planning
report's (`GET /api/reports/planning`, projections/reports/planning.py), so the members'
figures (with "no provider") add up to the team's. At most 24 months at a time.

Granting and amending go through the API's schemas and ledger commands
(`POST /api/projects/{id}/allocations`, `PATCH /api/allocations/{id}`); a refusal of
the domain (an overlapping period, a closed engagement) re-renders the form with its
message under the field and records nothing. Unknown query parameters are ignored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from uuid import UUID

from flask import abort, flash, g, redirect, render_template, request, url_for

from projections import Projections
from projections.reports import capacity_report
from projections.reports.declared import reads
from projections.reports.planning import committed_by_provider
from projections.reports.queries import member_names
from projections.reports.resources import allocation_balance
from service.domain import Allocation, DomainError
from service.domain.calendar import Month, add_months, month_count, months_between, ratio
from service.web.api.allocations import AllocationInSchema, AmendmentSchema
from service.web.http.auth import Principal
from service.web.http.reads import fresh
from service.web.http.receipts import allocation_receipt
from service.web.http.runtime import ledger, today
from service.web.pages.blueprints import page_blueprint, refusal, status_of
from service.web.pages.forms import Errors, form_caller, new_form_key, read_form
from service.web.pages.people import page
from service.web.pages.planning import (
    MAX_PLAN_MONTHS,
    allocation_label,
    parse_month,
    rounded,
)
from service.web.pages.wording import plural

blp = page_blueprint("plan", __name__)

DEFAULT_MONTHS_AHEAD = 2
GRANT_FIELDS = ("start_date", "end_date", "units", "description", "provider")
AMEND_FIELDS = ("units", "end_date", "description", "provider", "reason")
AMENDABLE = ("upcoming", "active", "exhausted")
NO_PROVIDER = "No provider"


def me() -> Principal:
    return g.principal


@dataclass(frozen=True)
class Span:
    first: Month
    last: Month
    errors: Errors = field(default_factory=dict)

    @property
    def query(self) -> dict[str, str]:
        return {"from": str(self.first), "to": str(self.last)}


@dataclass
class FormState:
    values: dict[str, str] = field(default_factory=dict)
    errors: Errors = field(default_factory=dict)
    key: str = field(default_factory=new_form_key)


@blp.route("/plan", methods=["GET"])
@page("page:plan")
def plan():
    span = requested_span()
    return _render(span), 422 if span.errors else 200


@blp.route("/plan", methods=["POST"])
@page("page:plan")
def change():
    span = requested_span()
    if span.errors:  # the forms do not depend on the months shown
        span = default_span()
    which = request.form.get("form_name")
    if which == "grant":
        return _grant(span)
    if which == "amend":
        return _amend(span)
    abort(400, description="the form sent is not one of this page's forms")


def default_span() -> Span:
    first = Month.of(today())
    return Span(first, add_months(first, DEFAULT_MONTHS_AHEAD))


def requested_span() -> Span:
    """The months asked for: `from` (this month by default) to `to` (two months on
    from `from` by default), at most MAX_PLAN_MONTHS of them."""
    first, from_errors = parse_month(request.args.get("from"), Month.of(today()))
    last, to_errors = parse_month(request.args.get("to"), add_months(first, DEFAULT_MONTHS_AHEAD))
    errors: Errors = {}
    if from_errors:
        errors["from"] = from_errors
    if to_errors:
        errors["to"] = to_errors
    if not errors and last < first:
        errors["to"] = [f"must not be before the first month ({first})"]
    elif not errors and month_count(first, last) > MAX_PLAN_MONTHS:
        errors["to"] = [
            f"at most {MAX_PLAN_MONTHS} months at a time: {first} to {last} is "
            f"{month_count(first, last)} months"
        ]
    return Span(first, last, errors)


# Forms


def _grant(span: Span):
    read_models = fresh(_render, None)
    state = _posted(("project_id", *GRANT_FIELDS))
    projects = _open_projects(read_models)
    body, errors = read_form(AllocationInSchema(), GRANT_FIELDS)
    project_id = state.values["project_id"]
    if project_id not in projects:
        errors.setdefault("project_id", []).insert(0, "Pick a project of an open engagement.")
    if errors or body is None:
        return _render(span, read_models, grant=FormState(state.values, errors, state.key)), 422
    try:
        result = ledger().grant_allocation(UUID(project_id), **body, caller=form_caller())
    except DomainError as refused:
        state.errors = refusal(refused, GRANT_FIELDS)
        return _render(span, read_models, grant=state), status_of(refused)
    return _written(span, "Granted", result.value, f"to {projects[project_id]}")


def _amend(span: Span):
    read_models = fresh(_render, None)
    state = _posted(("allocation_id", *AMEND_FIELDS))
    allocations = {str(a["id"]): a for a in _amendable(read_models)}
    body, errors = read_form(AmendmentSchema(), AMEND_FIELDS)
    allocation_id = state.values["allocation_id"]
    if allocation_id not in allocations:
        errors.setdefault("allocation_id", []).insert(
            0, "Pick an upcoming, active or used-up allocation."
        )
    if errors or body is None:
        return _render(span, read_models, amend=FormState(state.values, errors, state.key)), 422
    try:
        result = ledger().amend_allocation(UUID(allocation_id), **body, caller=form_caller())
    except DomainError as refused:
        # The only date an amendment changes is the end: a clash of periods is its.
        state.errors = refusal(refused, AMEND_FIELDS, {"start_date": "end_date"})
        return _render(span, read_models, amend=state), status_of(refused)
    return _written(span, "Amended", result.value, f"({allocations[allocation_id]['label']})")


def _written(span: Span, verb: str, allocation: Allocation, which: str):
    """Back to the plan (303), telling what the grant or amendment left: the
    allocation's period and its balance."""
    receipt = allocation_receipt(allocation, today())
    flash(
        f"{verb} allocation “{receipt['description']}” {which}, "
        f"{receipt['start_date']} to {receipt['end_date']}: balance "
        f"{receipt['units_remaining']} of {plural(receipt['units_granted'], 'unit')} remaining.",
        "recorded",
    )
    return redirect(url_for("plan.plan", **span.query), code=303)


def _posted(names: tuple[str, ...]) -> FormState:
    values = {name: request.form.get(name, "") for name in names}
    return FormState(values, {}, request.form.get("form_key") or new_form_key())


# What the page shows


def plan_months(read_models: Projections, span: Span) -> list[dict[str, Any]]:
    """Per month: each member's capacity, used and committed units (`rows`), and the
    capacity report's team `totals`."""
    team = read_models.view("team").members()
    balances = read_models.view("balances")
    months = []
    for month in months_between(span.first, span.last):
        report = capacity_report(read_models, month)
        committed = committed_by_provider(balances.allocations_overlapping(month), month)
        by_handle = {row["handle"]: row for row in report["members"]}
        handles = sorted(set(by_handle) | {h for h, units in committed.items() if h and units})
        rows = [
            _member_row(
                handle,
                team[handle].name if handle in team else handle,
                by_handle.get(handle),
                committed.get(handle, Decimal(0)),
            )
            for handle in handles
        ]
        if committed.get(None):
            rows.append(_member_row(None, NO_PROVIDER, None, committed[None]))
        months.append({"month": str(month), "rows": rows, "totals": report["totals"]})
    return months


def _member_row(
    handle: str | None, name: str, report_row: dict[str, Any] | None, committed: Decimal
) -> dict[str, Any]:
    capacity = report_row["capacity_units"] if report_row else 0.0
    return {
        "handle": handle,
        "name": name,
        "capacity_units": capacity,
        "units_used": report_row["units_used"] if report_row else 0,
        "units_committed": rounded(committed),
        "committed_fraction": ratio(committed, Decimal(str(capacity))) if handle else None,
        "over": handle is not None and committed > Decimal(str(capacity)),
    }


def _open_projects(read_models: Projections) -> dict[str, str]:
    """project id -> "engagement · project", for the projects of open engagements."""
    engagements, projects = read_models.view("balances").engagements_and_projects()
    return {
        project_id: f"{engagements[p['engagement_id']]['name']} · {p['name']}"
        for project_id, p in projects.items()
        if p["engagement_id"] in engagements and not engagements[p["engagement_id"]]["closed"]
    }


def _amendable(read_models: Projections) -> list[dict[str, Any]]:
    balances = read_models.view("balances")
    engagements, projects = balances.engagements_and_projects()
    on = today()
    return [
        {**allocation_balance(row, on), "label": allocation_label(row, engagements, projects)}
        for row in balances.allocations_with_status(today=on, statuses=AMENDABLE)
    ]


def _members(read_models: Projections) -> list[tuple[str, str]]:
    return [
        (handle, member.name)
        for handle, member in read_models.view("team").members().items()
        if member.departed_on is None
    ]


@reads("team", "balances", through=(capacity_report, member_names))
def _render(
    span: Span,
    read_models: Projections | None = None,
    *,
    grant: FormState | None = None,
    amend: FormState | None = None,
) -> str:
    read_models = read_models or fresh(_render, None)
    return render_template(
        "pages/plan.html",
        span=span,
        values={
            "from": request.args.get("from", str(span.first)),
            "to": request.args.get("to", str(span.last)),
        },
        months=[] if span.errors else plan_months(read_models, span),
        projects=_open_projects(read_models),
        members=_members(read_models),
        names=member_names(read_models),
        amendable=_amendable(read_models),
        grant=grant or FormState(),
        amend=amend or FormState(),
        max_months=MAX_PLAN_MONTHS,
    )
