"""Allocations: granting, amending, cancelling; their balances, listed and one by one
from the `balances` read model, or as of a past moment, rebuilt from the events."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import marshmallow as ma
from flask import abort

from projections.reports.queries import allocation_row, allocations_page
from projections.reports.resources import allocation_balance
from service.domain import Allocation, NotFound
from service.web.http.auth import principal, require_visible, requires
from service.web.http.boundary import Blueprint
from service.web.http.reads import FreshReadSchema, read_fresh
from service.web.http.receipts import allocation_receipt
from service.web.http.runtime import ledger, today
from service.web.http.writes import caller, written
from service.web.schemas.common import (
    DAY,
    NAME,
    REASON,
    TEXT,
    AllocationSchema,
    PageQuerySchema,
    PageSchema,
    PlainDay,
    PlainMoment,
    ReasonSchema,
    WrittenSchema,
    page_of,
    supported_moment,
    units_field,
)

blp = Blueprint("allocations", __name__, url_prefix="/api", description="Allocations and balances")


class AllocationInSchema(ma.Schema):
    start_date = PlainDay(required=True, validate=DAY)
    end_date = PlainDay(required=True, validate=DAY)
    units = units_field(required=True)
    description = ma.fields.String(required=True, validate=TEXT)
    provider = ma.fields.String(
        load_default=None,
        validate=NAME,
        metadata={"description": "handle of the team member responsible"},
    )

    @ma.validates_schema
    def end_not_before_start(self, data, **kwargs):
        if data["end_date"] < data["start_date"]:
            raise ma.ValidationError("must not be before start_date", "end_date")


class AmendmentSchema(ma.Schema):
    units = units_field()
    end_date = PlainDay(validate=DAY)
    description = ma.fields.String(validate=TEXT)
    provider = ma.fields.String(
        validate=NAME,
        metadata={
            "description": "hand the allocation to this team member (a handle), who must be "
            "on the team to the allocation's end; a provider is replaced, never removed"
        },
    )
    reason = ma.fields.String(required=True, validate=REASON)

    @ma.validates_schema
    def something_to_amend(self, data, **kwargs):
        if not {"units", "end_date", "description", "provider"} & set(data):
            raise ma.ValidationError("give at least one of units, end_date, description, provider")


class AllocationQuerySchema(FreshReadSchema):
    as_of = PlainMoment(
        validate=supported_moment,
        metadata={"description": "show the balance as it stood at this moment (UTC ISO 8601)"},
    )


class AllocationWrittenSchema(AllocationSchema, WrittenSchema):
    pass


STATUSES = ("upcoming", "active", "exhausted", "completed", "cancelled")


class AllocationListQuerySchema(PageQuerySchema, FreshReadSchema):
    status = ma.fields.String(validate=ma.validate.OneOf(STATUSES))
    engagement_id = ma.fields.UUID()


class AllocationPageSchema(PageSchema):
    items = ma.fields.List(ma.fields.Nested(AllocationSchema))


def visible_engagement_id(requested: UUID | None) -> UUID | None:
    """The engagement a list is limited to: the token's own, for a limited viewer."""
    limit = principal().engagement_id
    if limit is None:
        return requested
    if requested is not None and requested != limit:
        abort(404, description=f"no engagement {requested}")
    return limit


def visible_allocation_row(allocation_id: UUID, min_position: int | None) -> dict:
    """The allocation's row in the balances view, if the caller may see it."""
    row = read_fresh(allocation_row, min_position, str(allocation_id))
    engagement_id = None if row is None else UUID(row["engagement_id"])
    require_visible(engagement_id, f"no allocation {allocation_id}")
    return row


@blp.route("/projects/<uuid:project_id>/allocations", methods=["POST"])
@requires("grant_allocation")
@blp.arguments(AllocationInSchema)
@blp.response(201, AllocationWrittenSchema)
def grant_allocation(body, project_id: UUID):
    """Grant units to a project for a period that overlaps none of its other
    allocations. Honours `Idempotency-Key`."""
    result = ledger().grant_allocation(project_id, **body, caller=caller())
    return written(result, _receipt(result.value))


@blp.route("/allocations", methods=["GET"])
@requires("list_allocations")
@blp.arguments(AllocationListQuerySchema, location="query")
@blp.response(200, AllocationPageSchema)
def list_allocations(query):
    """Balances of every allocation in the order granted, optionally of one status
    (as of today) or one engagement."""
    engagement_id = visible_engagement_id(query.get("engagement_id"))
    on = today()
    rows, total = read_fresh(
        allocations_page,
        query.get("min_position"),
        today=on,
        limit=query["limit"],
        offset=query["offset"],
        status=query.get("status"),
        engagement_id=str(engagement_id) if engagement_id else None,
    )
    return page_of([allocation_balance(row, on) for row in rows], total, query)


@blp.route("/allocations/<uuid:allocation_id>", methods=["GET"])
@requires("show_allocation")
@blp.arguments(AllocationQuerySchema, location="query")
@blp.response(200, AllocationSchema)
def get_allocation(query, allocation_id: UUID):
    """The balance now, or with `as_of` as it stood then (rebuilt from the events)."""
    as_of = query.get("as_of")
    if as_of is None:
        return allocation_balance(
            visible_allocation_row(allocation_id, query.get("min_position")), today()
        )
    allocation = visible_allocation_as_of(allocation_id, as_of)
    departed_on = ledger().departure_of(allocation.provider, as_of=as_of)
    return allocation_receipt(allocation, as_of.date(), provider_departed_on=departed_on)


def visible_allocation_as_of(allocation_id: UUID, as_of: datetime) -> Allocation:
    """The allocation as it stood at `as_of`, if the caller may see it. One answer for
    one that did not exist then and one of an engagement the caller may not see, so a
    limited viewer cannot learn that another engagement's allocation exists."""
    try:
        allocation = ledger().allocation(allocation_id, as_of=as_of)
    except NotFound:
        allocation = None
    engagement_id = None if allocation is None else allocation.engagement_id
    require_visible(engagement_id, f"no allocation {allocation_id} as of {as_of.isoformat()}")
    return allocation


@blp.route("/allocations/<uuid:allocation_id>", methods=["PATCH"])
@requires("amend_allocation")
@blp.arguments(AmendmentSchema)
@blp.response(200, AllocationWrittenSchema)
def amend_allocation(body, allocation_id: UUID):
    """Change units, end date, description or provider, giving a reason."""
    result = ledger().amend_allocation(allocation_id, **body, caller=caller())
    return written(result, _receipt(result.value), status=200)


@blp.route("/allocations/<uuid:allocation_id>/cancellation", methods=["POST"])
@requires("cancel_allocation")
@blp.arguments(ReasonSchema)
@blp.response(201, AllocationWrittenSchema)
def cancel_allocation(body, allocation_id: UUID):
    """Cancel: no new activities are accepted; corrections and retractions of those
    recorded go on. Honours `Idempotency-Key`."""
    result = ledger().cancel_allocation(allocation_id, reason=body["reason"], caller=caller())
    return written(result, _receipt(result.value))


def _receipt(allocation: Allocation) -> dict:
    """The allocation as a write left it, today, with its provider's departure."""
    departed_on = ledger().departure_of(allocation.provider)
    return allocation_receipt(allocation, today(), provider_departed_on=departed_on)
