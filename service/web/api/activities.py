"""Activities: recording work against an allocation (or a project), correcting and
retracting it; listing an allocation's activities from the `activities` read model.
The request's caller goes to the ledger, which holds it to the member scope and the
rule of closed months (service/application/access.py)."""

from __future__ import annotations

from uuid import UUID

import marshmallow as ma

from projections.reports.queries import activities_of_allocation
from projections.reports.resources import activity_item
from service.domain.activity import CORRECTABLE_FIELDS, WORK_FIELDS
from service.web.api.allocations import visible_allocation_row
from service.web.http.auth import requires
from service.web.http.boundary import Blueprint
from service.web.http.reads import FreshReadSchema, read_fresh
from service.web.http.receipts import activity_receipt
from service.web.http.runtime import ledger
from service.web.http.writes import caller, written
from service.web.schemas.activities import ActivitySchema
from service.web.schemas.common import REASON, ReasonSchema, WrittenSchema, work_fields

blp = Blueprint("activities", __name__, url_prefix="/api", description="Activities")


class ActivityInSchema(ma.Schema.from_dict(work_fields(WORK_FIELDS, required=True))):
    """An activity's work, as recorded: every field of `Work` (service/domain/activity.py)."""

    @ma.validates_schema
    def to_not_before_from(self, data, **kwargs):
        if data["date_to"] < data["date_from"]:
            raise ma.ValidationError("must not be before date_from", "date_to")


class CorrectionSchema(ma.Schema.from_dict(work_fields(CORRECTABLE_FIELDS, required=False))):
    reason = ma.fields.String(required=True, validate=REASON)

    @ma.validates_schema
    def something_to_correct(self, data, **kwargs):
        if not set(CORRECTABLE_FIELDS) & set(data):
            raise ma.ValidationError(f"give at least one of {', '.join(CORRECTABLE_FIELDS)}")


class ActivityWrittenSchema(ActivitySchema, WrittenSchema):
    units_remaining = ma.fields.Integer(
        metadata={
            "description": "the allocation's units remaining after this write (granted − used, "
            "negative when overrun); a replayed request answers it as it stands now"
        }
    )


class MoveSchema(ma.Schema):
    allocation_id = ma.fields.UUID(
        required=True, metadata={"description": "the allocation the activity belongs on"}
    )
    reason = ma.fields.String(required=True, validate=REASON)


class MovedSchema(ActivityWrittenSchema):
    from_allocation_id = ma.fields.UUID(metadata={"description": "the allocation it left"})
    from_units_remaining = ma.fields.Integer(
        metadata={"description": "the units remaining on the allocation it left, after the move"}
    )


class ActivityListSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(ActivitySchema))


def activity_written(result):
    allocation, activity_id = result.value
    return written(result, activity_receipt(allocation, activity_id))


@blp.route("/allocations/<uuid:allocation_id>/activities", methods=["POST"])
@requires("record_activity")
@blp.arguments(ActivityInSchema)
@blp.response(201, ActivityWrittenSchema)
def record_activity(body, allocation_id: UUID):
    """Record work done. Past the balance is accepted (an overrun). Honours `Idempotency-Key`."""
    result = ledger().record_activity(
        allocation_id,
        **body,
        caller=caller(),
    )
    return activity_written(result)


@blp.route("/projects/<uuid:project_id>/activities", methods=["POST"])
@requires("record_project_activity")
@blp.arguments(ActivityInSchema)
@blp.response(201, ActivityWrittenSchema)
def record_project_activity(body, project_id: UUID):
    """Record work against the project's allocation that covers `date_to`."""
    result = ledger().record_project_activity(
        project_id,
        **body,
        caller=caller(),
    )
    return activity_written(result)


@blp.route("/allocations/<uuid:allocation_id>/activities", methods=["GET"])
@requires("list_activities")
@blp.arguments(FreshReadSchema, location="query")
@blp.response(200, ActivityListSchema)
def list_activities(query, allocation_id: UUID):
    """Every activity in the order recorded, in its current state, with its `late` flag."""
    visible_allocation_row(allocation_id, query.get("min_position"))
    rows = read_fresh(activities_of_allocation, query.get("min_position"), str(allocation_id))
    return {"items": [activity_item(row) for row in rows]}


@blp.route("/activities/<uuid:activity_id>/corrections", methods=["POST"])
@requires("correct_activity")
@blp.arguments(CorrectionSchema)
@blp.response(201, ActivityWrittenSchema)
def correct_activity(body, activity_id: UUID):
    """Correct an activity; the original stays in the log. Honours `Idempotency-Key`."""
    reason = body.pop("reason")
    result = ledger().correct_activity(
        activity_id,
        changes=body,
        reason=reason,
        caller=caller(),
    )
    return activity_written(result)


@blp.route("/activities/<uuid:activity_id>/retraction", methods=["POST"])
@requires("retract_activity")
@blp.arguments(ReasonSchema)
@blp.response(201, ActivityWrittenSchema)
def retract_activity(body, activity_id: UUID):
    """Retract an activity: it no longer counts. Honours `Idempotency-Key`."""
    result = ledger().retract_activity(
        activity_id,
        reason=body["reason"],
        caller=caller(),
    )
    return activity_written(result)


@blp.route("/activities/<uuid:activity_id>/move", methods=["POST"])
@requires("move_activity")
@blp.arguments(MoveSchema)
@blp.response(201, MovedSchema)
def move_activity(body, activity_id: UUID):
    """Move a mis-filed activity to another allocation, keeping its `recorded_at` (a move
    never makes it late); both balances follow. Honours `Idempotency-Key`."""
    result = ledger().move_activity(
        activity_id,
        **body,
        caller=caller(),
    )
    move = result.value
    receipt = activity_receipt(move.target, move.activity_id)
    receipt |= {
        "from_allocation_id": move.source.id,
        "from_units_remaining": move.source.units_remaining,
    }
    return written(result, receipt)
