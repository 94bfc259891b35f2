"""Engagements and their projects: open, update, close; list and read them from the
`balances` read model."""

from __future__ import annotations

from uuid import UUID

import marshmallow as ma
from flask import abort

from projections.reports.queries import engagement_with_allocations, engagements_page
from projections.reports.resources import engagement_detail, engagement_summary
from service.web.http.auth import principal, require_visible, requires
from service.web.http.boundary import Blueprint
from service.web.http.reads import FreshReadSchema, read_fresh
from service.web.http.receipts import engagement_receipt
from service.web.http.runtime import ledger, today
from service.web.http.writes import caller, written
from service.web.schemas.common import (
    DAY,
    NAME,
    TEXT,
    AllocationSchema,
    PageQuerySchema,
    PageSchema,
    PlainDay,
    ReasonSchema,
    WrittenSchema,
    page_of,
)

blp = Blueprint("engagements", __name__, url_prefix="/api", description="Engagements and projects")


class EngagementInSchema(ma.Schema):
    name = ma.fields.String(required=True, validate=NAME)
    community = ma.fields.String(required=True, validate=NAME)
    description = ma.fields.String(required=True, validate=TEXT)
    start_date = PlainDay(required=True, validate=DAY)
    end_date = PlainDay(required=True, validate=DAY)
    contacts = ma.fields.List(ma.fields.String(validate=NAME), load_default=list)

    @ma.validates_schema
    def end_not_before_start(self, data, **kwargs):
        if data["end_date"] < data["start_date"]:
            raise ma.ValidationError("must not be before start_date", "end_date")


class HubSpotSchema(ma.Schema):
    portal_id = ma.fields.Integer()
    deal_id = ma.fields.String()
    amount = ma.fields.Decimal(
        as_string=True,
        allow_none=True,
        metadata={"description": "the deal's amount, exact, as a decimal string (null: none)"},
    )
    currency = ma.fields.String(
        allow_none=True, metadata={"description": "the deal's currency (ISO 4217), e.g. EUR"}
    )
    stage = ma.fields.String(
        allow_none=True,
        metadata={"description": "the deal's stage, as the latest stage change recorded says"},
    )
    stage_changed_at = ma.fields.AwareDateTime(
        allow_none=True, metadata={"description": "when HubSpot says that change happened"}
    )
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
    deal_reopened = ma.fields.Boolean(
        metadata={
            "description": "the won deal has since moved out of closed-won in HubSpot "
            "(DealReopened; hubspot.stage says where): for BD to look at. Cleared when it "
            "is won again (DealWonAgain)"
        }
    )
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


class EngagementSchema(EngagementSummarySchema):
    projects = ma.fields.List(ma.fields.Nested(ProjectOutSchema))
    totals = ma.fields.Nested(
        TotalsSchema,
        metadata={
            "description": "units granted on allocations not cancelled; units used on all, "
            "cancelled ones included (that work was done); remaining = granted - used"
        },
    )


class EngagementWrittenSchema(EngagementSummarySchema, WrittenSchema):
    pass


class EngagementPatchSchema(ma.Schema):
    name = ma.fields.String(validate=NAME)
    community = ma.fields.String(validate=NAME)
    description = ma.fields.String(validate=TEXT)
    start_date = PlainDay(validate=DAY)
    end_date = PlainDay(validate=DAY)
    contacts = ma.fields.List(ma.fields.String(validate=NAME))

    @ma.validates_schema
    def something_to_update(self, data, **kwargs):
        if not data:
            raise ma.ValidationError(
                "give at least one of name, community, description, start_date, end_date, contacts"
            )


class EngagementPageSchema(PageSchema):
    items = ma.fields.List(ma.fields.Nested(EngagementSummarySchema))


class ProjectInSchema(ma.Schema):
    name = ma.fields.String(required=True, validate=NAME)
    outcome = ma.fields.String(required=True, validate=TEXT)


class ProjectSchema(WrittenSchema):
    id = ma.fields.UUID()
    engagement_id = ma.fields.UUID()
    name = ma.fields.String()
    outcome = ma.fields.String()


def engagement_written(result):
    """The engagement as a write left it; its projects and totals are read with
    GET /api/engagements/{id} (pass the write's `position` as `min_position`)."""
    return written(result, engagement_receipt(result.value), status=201)


def visible(engagement_id: UUID) -> str:
    require_visible(engagement_id, f"no engagement {engagement_id}")
    return str(engagement_id)


@blp.route("/engagements", methods=["POST"])
@requires("open_engagement")
@blp.arguments(EngagementInSchema)
@blp.response(201, EngagementWrittenSchema)
def open_engagement(body):
    """Open an engagement by hand (no CRM deal). Honours `Idempotency-Key`."""
    result = ledger().open_engagement(**body, caller=caller())
    return engagement_written(result)


class EngagementListQuerySchema(PageQuerySchema, FreshReadSchema):
    pass


@blp.route("/engagements", methods=["GET"])
@requires("list_engagements")
@blp.arguments(EngagementListQuerySchema, location="query")
@blp.response(200, EngagementPageSchema)
def list_engagements(query):
    """Engagements in the order they were opened, from the `balances` read model; a
    limited viewer sees only its own."""
    only = principal().engagement_id
    rows, total = read_fresh(
        engagements_page,
        query.get("min_position"),
        limit=query["limit"],
        offset=query["offset"],
        only=str(only) if only else None,
    )
    return page_of([engagement_summary(row) for row in rows], total, query)


@blp.route("/engagements/<uuid:engagement_id>", methods=["GET"])
@requires("show_engagement")
@blp.arguments(FreshReadSchema, location="query")
@blp.response(200, EngagementSchema)
def get_engagement(query, engagement_id: UUID):
    """One engagement with its projects, their allocations' balances and totals."""
    found = read_fresh(
        engagement_with_allocations, query.get("min_position"), visible(engagement_id)
    )
    if found is None:
        abort(404, description=f"no engagement {engagement_id}")
    return engagement_detail(*found, today())


@blp.route("/engagements/<uuid:engagement_id>", methods=["PATCH"])
@requires("update_engagement_details")
@blp.arguments(EngagementPatchSchema)
@blp.response(200, EngagementWrittenSchema)
def update_engagement(body, engagement_id: UUID):
    """Change name, community, description, dates or contacts (EngagementDetailsUpdated)."""
    result = ledger().update_engagement_details(engagement_id, changes=body, caller=caller())
    return written(result, engagement_receipt(result.value), status=200)


@blp.route("/engagements/<uuid:engagement_id>/closure", methods=["POST"])
@requires("close_engagement")
@blp.arguments(ReasonSchema)
@blp.response(201, EngagementWrittenSchema)
def close_engagement(body, engagement_id: UUID):
    """Close the engagement (EngagementClosed). Afterwards it takes no new projects,
    allocations or activities (409); corrections and reports still work."""
    result = ledger().close_engagement(engagement_id, reason=body["reason"], caller=caller())
    return engagement_written(result)


@blp.route("/engagements/<uuid:engagement_id>/projects", methods=["POST"])
@requires("define_project")
@blp.arguments(ProjectInSchema)
@blp.response(201, ProjectSchema)
def define_project(body, engagement_id: UUID):
    """Define a project of the engagement. Honours `Idempotency-Key`."""
    result = ledger().define_project(engagement_id, **body, caller=caller())
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
