"""Engagements and their projects."""

from __future__ import annotations

from uuid import UUID

import marshmallow as ma
from flask import abort
from flask_smorest import Blueprint

from projections.balances import engagement_summary as listed_engagement

from ..domain import Engagement
from .auth import principal, requires
from .ledger_access import ledger
from .projection_access import FreshReadSchema, fresh
from .render import engagement_body
from .schemas import NAME, TEXT, AllocationSchema, PageQuerySchema, WrittenSchema
from .today import today
from .writes import request_id, written

blp = Blueprint("engagements", __name__, url_prefix="/api", description="Engagements and projects")


class EngagementInSchema(ma.Schema):
    name = ma.fields.String(required=True, validate=NAME)
    community = ma.fields.String(required=True, validate=NAME)
    description = ma.fields.String(required=True, validate=TEXT)
    start_date = ma.fields.Date(required=True)
    end_date = ma.fields.Date(required=True)
    contacts = ma.fields.List(ma.fields.String(validate=NAME), load_default=list)

    @ma.validates_schema
    def end_not_before_start(self, data, **kwargs):
        if data["end_date"] < data["start_date"]:
            raise ma.ValidationError("must not be before start_date", "end_date")


class HubSpotSchema(ma.Schema):
    portal_id = ma.fields.Integer()
    deal_id = ma.fields.String()
    amount = ma.fields.Decimal(as_string=True, allow_none=True)
    details = ma.fields.Dict()


class EngagementSummarySchema(ma.Schema):
    id = ma.fields.UUID()
    name = ma.fields.String()
    community = ma.fields.String()
    description = ma.fields.String()
    start_date = ma.fields.Date(allow_none=True)
    end_date = ma.fields.Date(allow_none=True)
    contacts = ma.fields.List(ma.fields.String())
    source = ma.fields.String(metadata={"enum": ["manual", "hubspot"]})
    hubspot = ma.fields.Nested(HubSpotSchema, allow_none=True)
    closed = ma.fields.Boolean()
    created_on = ma.fields.AwareDateTime()


class ProjectOutSchema(ma.Schema):
    id = ma.fields.UUID()
    name = ma.fields.String()
    outcome = ma.fields.String()
    allocations = ma.fields.List(ma.fields.Nested(AllocationSchema))


class TotalsSchema(ma.Schema):
    units_granted = ma.fields.Integer()
    units_used = ma.fields.Integer()
    units_remaining = ma.fields.Integer()


class EngagementSchema(EngagementSummarySchema, WrittenSchema):
    projects = ma.fields.List(ma.fields.Nested(ProjectOutSchema))
    totals = ma.fields.Nested(TotalsSchema)
    position = ma.fields.Integer()


class EngagementPageSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(EngagementSummarySchema))
    total = ma.fields.Integer()
    limit = ma.fields.Integer()
    offset = ma.fields.Integer()


class ProjectInSchema(ma.Schema):
    name = ma.fields.String(required=True, validate=NAME)
    outcome = ma.fields.String(required=True, validate=TEXT)


class ProjectSchema(WrittenSchema):
    id = ma.fields.UUID()
    engagement_id = ma.fields.UUID()
    name = ma.fields.String()
    outcome = ma.fields.String()


def full_engagement(engagement: Engagement) -> dict:
    allocation_ids = [a for p in engagement.projects.values() for a in p["allocation_ids"]]
    allocations = {a: ledger().allocation(UUID(a)) for a in allocation_ids}
    return engagement_body(engagement, allocations, today())


@blp.route("/engagements", methods=["POST"])
@requires("bd")
@blp.arguments(EngagementInSchema)
@blp.response(201, EngagementSchema)
def open_engagement(body):
    """Open an engagement by hand (no CRM deal). Honours `Idempotency-Key`."""
    result = ledger().open_engagement(**body, actor=principal().actor, request_id=request_id())
    return written(result, full_engagement(result.value))


class EngagementListQuerySchema(PageQuerySchema, FreshReadSchema):
    pass


@blp.route("/engagements", methods=["GET"])
@requires("bd", "manager", "member", "auditor", "viewer")
@blp.arguments(EngagementListQuerySchema, location="query")
@blp.response(200, EngagementPageSchema)
def list_engagements(query):
    """Engagements in the order they were opened, from the `balances` read model; a
    limited viewer sees only its own."""
    only = principal().engagement_id
    rows, total = (
        fresh(("balances",), query.get("min_position"))
        .view("balances")
        .engagements_page(
            limit=query["limit"], offset=query["offset"], only=str(only) if only else None
        )
    )
    return {
        "items": [listed_engagement(row) for row in rows],
        "total": total,
        "limit": query["limit"],
        "offset": query["offset"],
    }


@blp.route("/engagements/<uuid:engagement_id>", methods=["GET"])
@requires("bd", "manager", "member", "auditor", "viewer")
@blp.response(200, EngagementSchema)
def get_engagement(engagement_id: UUID):
    """One engagement with its projects, their allocations' balances and totals."""
    if not principal().may_see_engagement(engagement_id):
        abort(404, description=f"no engagement {engagement_id}")
    return full_engagement(ledger().engagement(engagement_id))


@blp.route("/engagements/<uuid:engagement_id>/projects", methods=["POST"])
@requires("bd")
@blp.arguments(ProjectInSchema)
@blp.response(201, ProjectSchema)
def define_project(body, engagement_id: UUID):
    """Define a project of the engagement. Honours `Idempotency-Key`."""
    result = ledger().define_project(
        engagement_id, **body, actor=principal().actor, request_id=request_id()
    )
    engagement, project_id = result.value
    project = engagement.projects[str(project_id)]
    return written(
        result,
        {
            "id": project_id,
            "engagement_id": engagement.id,
            "name": project["name"],
            "outcome": project["outcome"],
        },
    )
