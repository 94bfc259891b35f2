"""Allocation balances, listed from the `balances` read model, with filters and pages."""

from __future__ import annotations

from uuid import UUID

import marshmallow as ma
from flask import abort
from flask_smorest import Blueprint

from projections.balances import allocation_balance

from . import today as clock
from .auth import principal, requires
from .projection_access import FreshReadSchema, fresh
from .schemas import AllocationSchema, PageQuerySchema

blp = Blueprint("balances", __name__, url_prefix="/api", description="Allocation balances")

STATUSES = ("upcoming", "active", "exhausted", "completed", "cancelled")


class AllocationListQuerySchema(PageQuerySchema, FreshReadSchema):
    status = ma.fields.String(validate=ma.validate.OneOf(STATUSES))
    engagement_id = ma.fields.UUID()


class AllocationPageSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(AllocationSchema))
    total = ma.fields.Integer()
    limit = ma.fields.Integer()
    offset = ma.fields.Integer()


def visible_engagement_id(requested: UUID | None) -> UUID | None:
    """The engagement a list is limited to: the token's own, for a limited viewer."""
    limit = principal().engagement_id
    if limit is None:
        return requested
    if requested is not None and requested != limit:
        abort(404, description=f"no engagement {requested}")
    return limit


@blp.route("/allocations", methods=["GET"])
@requires("bd", "manager", "member", "auditor", "viewer")
@blp.arguments(AllocationListQuerySchema, location="query")
@blp.response(200, AllocationPageSchema)
def list_allocations(query):
    """Balances of every allocation in the order granted, optionally of one status
    (as of today) or one engagement."""
    engagement_id = visible_engagement_id(query.get("engagement_id"))
    read_models = fresh(("balances",), query.get("min_position"))
    today = clock.today()
    rows, total = read_models.view("balances").allocations_page(
        today=today,
        limit=query["limit"],
        offset=query["offset"],
        status=query.get("status"),
        engagement_id=str(engagement_id) if engagement_id else None,
    )
    return {
        "items": [allocation_balance(row, today) for row in rows],
        "total": total,
        "limit": query["limit"],
        "offset": query["offset"],
    }
