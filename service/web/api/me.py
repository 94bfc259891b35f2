"""The caller: who the token names (`GET /api/me`) and the allocations that person
records on (`GET /api/me/allocations`), so a member can find the ids to record
against without asking anyone.

Both read the read models, honouring `min_position`. The allocations are the ones
the `/my` page offers, from the same function (`recordable_allocations`): those the
member provides or has recorded on, active or exhausted today, with balances as
`GET /api/allocations/{id}` shows them. A token that names no member (a manager or an
admin recording for others) has no allocations of its own: it gets an empty list, not
an error, and finds every allocation at `GET /api/allocations?status=active`."""

from __future__ import annotations

import marshmallow as ma

from projections.reports.queries import team_members
from service.domain.tokens import ROLES
from service.web.http.auth import principal, requires
from service.web.http.boundary import Blueprint
from service.web.http.reads import FreshReadSchema, fresh, read_fresh
from service.web.http.runtime import today
from service.web.pages.worklist import recordable_allocations
from service.web.schemas.common import AllocationSchema

blp = Blueprint("me", __name__, url_prefix="/api", description="The caller")


class TeamMemberBriefSchema(ma.Schema):
    handle = ma.fields.String()
    name = ma.fields.String()
    line_manager = ma.fields.String()
    departed_on = ma.fields.Date(allow_none=True)


class MeSchema(ma.Schema):
    name = ma.fields.String(
        metadata={"description": "the person the token names, as events attribute them"}
    )
    role = ma.fields.String(metadata={"enum": list(ROLES)})
    member = ma.fields.String(
        allow_none=True, metadata={"description": "the team member's handle the token acts as"}
    )
    engagement_id = ma.fields.UUID(
        allow_none=True, metadata={"description": "the one engagement a limited viewer reads"}
    )
    team_member = ma.fields.Nested(
        TeamMemberBriefSchema,
        allow_none=True,
        metadata={"description": "the member as registered; null without a member handle"},
    )


class MyAllocationSchema(AllocationSchema):
    label = ma.fields.String(metadata={"description": "engagement · project · description"})


class MyAllocationsSchema(ma.Schema):
    member = ma.fields.String(allow_none=True)
    items = ma.fields.List(ma.fields.Nested(MyAllocationSchema))


@blp.route("/me", methods=["GET"])
@requires("me")
@blp.arguments(FreshReadSchema, location="query")
@blp.response(200, MeSchema)
def me(query):
    """The token's person and role, and the team member it acts as (if any)."""
    who = principal()
    team = read_fresh(team_members, query.get("min_position"))
    team_member = None
    if who.member is not None:
        person = team.get(who.member)
        if person is not None:
            team_member = {
                "handle": person.handle,
                "name": person.name,
                "line_manager": person.line_manager,
                "departed_on": person.departed_on,
            }
    return {
        "name": who.actor,
        "role": who.role,
        "member": who.member,
        "engagement_id": who.engagement_id,
        "team_member": team_member,
    }


@blp.route("/me/allocations", methods=["GET"])
@requires("my_allocations")
@blp.arguments(FreshReadSchema, location="query")
@blp.response(200, MyAllocationsSchema)
def my_allocations(query):
    """The allocations the token's member provides or has recorded on, active or
    exhausted today, in the order granted, with their balances. Empty for a token
    without a member handle."""
    member = principal().member
    read_models = fresh(recordable_allocations, query.get("min_position"))
    if member is None:
        return {"member": None, "items": []}
    return {"member": member, "items": recordable_allocations(read_models, member, today())}
