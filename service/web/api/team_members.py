"""The team: who records activities, their line managers and their capacity (FTE), and
the hand-over of a leaver's allocations to another provider."""

from __future__ import annotations

import re
from decimal import Decimal

import marshmallow as ma
from marshmallow import validate

from projections.reports.queries import team_members
from projections.reports.resources import member_item
from service.infra.input_policy import MAX_NUMBER_LITERAL
from service.web.http.auth import requires
from service.web.http.boundary import Blueprint
from service.web.http.reads import FreshReadSchema, read_fresh
from service.web.http.receipts import allocation_receipt, member_receipt
from service.web.http.runtime import ledger, today
from service.web.http.writes import caller, written
from service.web.schemas.common import (
    DAY,
    NAME,
    NAME_LENGTH,
    REASON,
    AllocationSchema,
    PlainDay,
    WrittenSchema,
)

blp = Blueprint("team", __name__, url_prefix="/api", description="Team members and capacity")


def FTE(value: Decimal) -> None:  # noqa: N802 - named like the validators beside it
    """0 < fte ≤ 1. A function rather than a Range, so the OpenAPI document describes
    the field as the decimal string it is, without numeric bounds."""
    if not Decimal(0) < value <= Decimal(1):
        raise ma.ValidationError("fte must be more than 0 and at most 1")


FTE_PATTERN = r"^(0\.[0-9]*[1-9][0-9]*|1(\.0+)?)$"
PLAIN_DECIMAL = re.compile(r"[0-9]+(\.[0-9]+)?")
FTE_DOC = {
    "type": "string",
    "format": "decimal",
    "pattern": FTE_PATTERN,
    "maxLength": MAX_NUMBER_LITERAL,
    "description": 'a fraction of full time, more than 0 and at most 1, e.g. "0.5"',
    "example": "0.5",
}


class FteField(ma.fields.Decimal):
    """An FTE as sent: a JSON number, or a string as the document's pattern writes it
    (ASCII digits and a point, as long as a JSON number may be): Python's Decimal() also
    reads `.5`, `5e-1`, ` 0.5` and other scripts' digits (`０.５`), one value in many
    spellings."""

    def __init__(self, **kwargs) -> None:
        super().__init__(validate=FTE, as_string=True, metadata=FTE_DOC, **kwargs)

    def _validated(self, value):
        if isinstance(value, str) and not (
            len(value) <= MAX_NUMBER_LITERAL and PLAIN_DECIMAL.fullmatch(value)
        ):
            raise ma.ValidationError(
                f'fte must be written in ASCII digits, as in "0.5", in at most '
                f"{MAX_NUMBER_LITERAL} characters"
            )
        return super()._validated(value)


def EmailField() -> ma.fields.Email:  # noqa: N802 - a field, named like the others
    """Where the member's notifications go (docs/explanation/notifications.md): optional;
    null, in a change, sends them nowhere."""
    return ma.fields.Email(
        allow_none=True,
        validate=validate.Length(max=254),
        metadata={"description": "where the member's notifications go; null: nowhere"},
    )


class TeamMemberInSchema(ma.Schema):
    handle = ma.fields.String(
        required=True,
        validate=[  # characters that are plain text: the pattern is the one documented
            NAME_LENGTH,
            validate.Regexp(r"^[A-Za-z0-9._@-]+$", error="letters, digits and . _ @ - only"),
        ],
    )
    name = ma.fields.String(required=True, validate=NAME)
    fte = FteField(required=True)
    line_manager = ma.fields.String(required=True, validate=NAME)
    effective_date = PlainDay(required=True, validate=DAY)
    email = EmailField()


class TeamMemberPatchSchema(ma.Schema):
    fte = FteField()
    effective_date = PlainDay(validate=DAY)
    departed_on = PlainDay(validate=DAY)
    email = EmailField()
    line_manager = ma.fields.String(validate=NAME)

    @ma.validates_schema
    def complete_change(self, data, **kwargs):
        if "fte" in data and "effective_date" not in data:
            raise ma.ValidationError("a new fte needs its effective_date", "effective_date")
        if not {"fte", "departed_on", "email", "line_manager"} & set(data):
            raise ma.ValidationError(
                "give fte with effective_date, line_manager, departed_on, or email"
            )


MAX_HAND_OVER = 500
"""Allocations in one hand-over: a leaver's open ones, however many that is."""


class HandOverSchema(ma.Schema):
    provider = ma.fields.String(
        required=True,
        validate=NAME,
        metadata={"description": "the member who takes the allocations over"},
    )
    allocation_ids = ma.fields.List(
        ma.fields.UUID(), required=True, validate=validate.Length(min=1, max=MAX_HAND_OVER)
    )
    reason = ma.fields.String(required=True, validate=REASON)


class HandOverWrittenSchema(WrittenSchema):
    items = ma.fields.List(ma.fields.Nested(AllocationSchema))


class CapacityEntrySchema(ma.Schema):
    effective_date = ma.fields.Date()
    fte = ma.fields.Decimal(as_string=True, metadata=FTE_DOC)


class TeamMemberSchema(ma.Schema):
    handle = ma.fields.String()
    name = ma.fields.String()
    line_manager = ma.fields.String()
    fte = ma.fields.Decimal(as_string=True, metadata={**FTE_DOC, "description": "the latest FTE"})
    capacity_history = ma.fields.List(ma.fields.Nested(CapacityEntrySchema))
    departed_on = ma.fields.Date(allow_none=True)
    email = ma.fields.String(allow_none=True)


class TeamMemberWrittenSchema(TeamMemberSchema, WrittenSchema):
    pass


class TeamListSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(TeamMemberSchema))


@blp.route("/team-members", methods=["POST"])
@requires("register_team_member")
@blp.arguments(TeamMemberInSchema)
@blp.response(201, TeamMemberWrittenSchema)
def register(body):
    """Register a team member with their FTE from an effective date."""
    result = ledger().register_team_member(**body, caller=caller())
    return written(result, member_receipt(result.value))


@blp.route("/team-members", methods=["GET"])
@requires("list_team_members")
@blp.arguments(FreshReadSchema, location="query")
@blp.response(200, TeamListSchema)
def list_members(query):
    """Everyone registered, by handle, from the `team` read model."""
    members = read_fresh(team_members, query.get("min_position"))
    return {"items": [member_item(member) for member in members.values()]}


@blp.route("/team-members/<handle>", methods=["PATCH"])
@requires("update_team_member")
@blp.arguments(TeamMemberPatchSchema)
@blp.response(200, TeamMemberWrittenSchema)
def update(body, handle: str):
    """Change FTE from an effective date (earlier months keep theirs), the line manager
    (from now on), record a departure, or change where the member's notifications go
    (`email`)."""
    result = ledger().update_team_member(handle, **body, caller=caller())
    return written(result, member_receipt(result.value), status=200)


@blp.route("/team-members/<handle>/hand-over", methods=["POST"])
@requires("hand_over_allocations")
@blp.arguments(HandOverSchema)
@blp.response(200, HandOverWrittenSchema)
def hand_over(body, handle: str):
    """Hand `allocation_ids`, provided by `handle`, to `provider` in one atomic write (as
    when `handle` leaves): each as `PATCH /api/allocations/{id}` naming a new provider
    would, for all of them or none. Sent again, it writes nothing more."""
    result = ledger().hand_over_allocations(handle, **body, caller=caller())
    departed_on = ledger().departure_of(body["provider"])
    items = [
        allocation_receipt(allocation, today(), provider_departed_on=departed_on)
        for allocation in result.value
    ]
    return written(result, {"items": items}, status=200)
