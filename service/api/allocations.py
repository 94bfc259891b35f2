"""Allocations: granting, amending, cancelling, and their balances (now or as of a
past moment, rebuilt from the events)."""

from __future__ import annotations

from uuid import UUID

import marshmallow as ma
from flask import abort
from flask_smorest import Blueprint

from ..domain import Allocation
from .auth import principal, requires
from .ledger_access import ledger
from .render import allocation_body
from .schemas import NAME, REASON, TEXT, AllocationSchema, ReasonSchema, WrittenSchema, units_field
from .today import today
from .writes import request_id, written

blp = Blueprint("allocations", __name__, url_prefix="/api", description="Allocations and balances")


class AllocationInSchema(ma.Schema):
    start_date = ma.fields.Date(required=True)
    end_date = ma.fields.Date(required=True)
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
    end_date = ma.fields.Date()
    description = ma.fields.String(validate=TEXT)
    reason = ma.fields.String(required=True, validate=REASON)

    @ma.validates_schema
    def something_to_amend(self, data, **kwargs):
        if not {"units", "end_date", "description"} & set(data):
            raise ma.ValidationError("give at least one of units, end_date, description")


class AsOfSchema(ma.Schema):
    as_of = ma.fields.AwareDateTime(
        metadata={"description": "show the balance as it stood at this moment (UTC ISO 8601)"}
    )


class AllocationWrittenSchema(AllocationSchema, WrittenSchema):
    pass


def visible_allocation(allocation: Allocation) -> Allocation:
    if not principal().may_see_engagement(allocation.engagement_id):
        abort(404, description=f"no allocation {allocation.id}")
    return allocation


@blp.route("/projects/<uuid:project_id>/allocations", methods=["POST"])
@requires("bd")
@blp.arguments(AllocationInSchema)
@blp.response(201, AllocationWrittenSchema)
def grant_allocation(body, project_id: UUID):
    """Grant units to a project for a period that overlaps none of its other
    allocations. Honours `Idempotency-Key`."""
    result = ledger().grant_allocation(
        project_id, **body, actor=principal().actor, request_id=request_id()
    )
    return written(result, allocation_body(result.value, today()))


@blp.route("/allocations/<uuid:allocation_id>", methods=["GET"])
@requires("bd", "manager", "member", "auditor", "viewer")
@blp.arguments(AsOfSchema, location="query")
@blp.response(200, AllocationSchema)
def get_allocation(query, allocation_id: UUID):
    """The balance now, or with `as_of` as it stood then."""
    as_of = query.get("as_of")
    allocation = visible_allocation(ledger().allocation(allocation_id, as_of=as_of))
    return allocation_body(allocation, as_of.date() if as_of else today())


@blp.route("/allocations/<uuid:allocation_id>", methods=["PATCH"])
@requires("bd")
@blp.arguments(AmendmentSchema)
@blp.response(200, AllocationWrittenSchema)
def amend_allocation(body, allocation_id: UUID):
    """Change units, end date or description, giving a reason."""
    result = ledger().amend_allocation(allocation_id, **body, actor=principal().actor)
    return written(result, allocation_body(result.value, today()), status=200)


@blp.route("/allocations/<uuid:allocation_id>/cancellation", methods=["POST"])
@requires("bd")
@blp.arguments(ReasonSchema)
@blp.response(201, AllocationWrittenSchema)
def cancel_allocation(body, allocation_id: UUID):
    """Cancel: no more activities are accepted. Honours `Idempotency-Key`."""
    result = ledger().cancel_allocation(
        allocation_id, reason=body["reason"], actor=principal().actor, request_id=request_id()
    )
    return written(result, allocation_body(result.value, today()))
