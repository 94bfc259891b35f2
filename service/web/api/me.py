"""The caller: who the token names (`GET /api/me`), the allocations that person
records on (`GET /api/me/allocations`), so a member can find the ids to record
against without asking anyone, and their own activities (`GET /api/me/activities`),
by the date of the work, filtered and paged, or as one CSV file of all that match.

Both read the read models, honouring `min_position`. The allocations are the `/my`
page's "My allocations", from the same function (`own_allocations`): those the member
provides or has recorded on, active or exhausted today, with balances as
`GET /api/allocations/{id}` shows them. A token that names no member (a manager or an
admin recording for others) has no allocations of its own: it gets an empty list, not
an error, as the page shows none, and finds every allocation at
`GET /api/allocations?status=active`; nor activities of its own (an empty page)."""

from __future__ import annotations

import marshmallow as ma

from projections.reports.member_activities import member_activities
from projections.reports.queries import team_members
from projections.reports.tables import MEMBER_ACTIVITY_COLUMNS, member_activity_rows
from service.domain.tokens import ROLES
from service.web.http.auth import principal, requires
from service.web.http.boundary import Blueprint
from service.web.http.csv_files import CSV_RESPONSE, csv_file, wants_csv
from service.web.http.reads import FreshReadSchema, fresh, read_fresh
from service.web.http.runtime import today
from service.web.pages.worklist import own_allocations
from service.web.schemas.activities import ActivitySchema
from service.web.schemas.common import (
    AllocationSchema,
    PageQuerySchema,
    PageSchema,
    month_field,
    page_of,
)

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


class MyActivitiesFilterSchema(ma.Schema):
    """What a member's list of activities is narrowed by; each one given narrows it."""

    allocation_id = ma.fields.UUID(metadata={"description": "only those on this allocation"})
    month = month_field(
        required=False,
        metadata={"example": "2026-11", "description": "only those counting in this month "
                  "(that of their last day, `date_to`), YYYY-MM"},
    )  # fmt: skip
    late = ma.fields.Boolean(
        metadata={"description": "true: only those recorded late; false: only those on time"}
    )
    corrected = ma.fields.Boolean(
        metadata={"description": "true: only those corrected at least once; false: never"}
    )


class MyActivitiesQuerySchema(FreshReadSchema, PageQuerySchema, MyActivitiesFilterSchema):
    pass


class MyActivitySchema(ActivitySchema):
    allocation_label = ma.fields.String(
        metadata={"description": "engagement · project · description"}
    )


class MyActivitiesSchema(PageSchema):
    member = ma.fields.String(allow_none=True)
    items = ma.fields.List(ma.fields.Nested(MyActivitySchema))


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
    read_models = fresh(own_allocations, query.get("min_position"))
    return {"member": member, "items": own_allocations(read_models, member, today())}


@blp.route("/me/activities", methods=["GET"])
@requires("my_activities")
@blp.arguments(MyActivitiesQuerySchema, location="query")
@blp.response(200, MyActivitiesSchema)
@blp.alt_response(200, **CSV_RESPONSE)
def my_activities(query):
    """The token's member's activities (retracted ones too, marked) by the date of the
    work, newest first, narrowed by `allocation_id`, `month`, `late` and `corrected`;
    `limit` of them from `offset`, and the `total` that match. With `Accept: text/csv`,
    every one that matches (`limit` and `offset` do not apply), one row each. Empty for
    a token without a member handle."""
    member = principal().member
    only = {name: query.get(name) for name in MyActivitiesFilterSchema().fields}
    read_models = fresh(member_activities, query.get("min_position"))
    if wants_csv():
        items = member_activities(read_models, member, limit=None, **only)[0] if member else []
        return csv_file(MEMBER_ACTIVITY_COLUMNS, member_activity_rows(items), "my-activities.csv")
    if member is None:
        return {"member": None, **page_of([], 0, query)}
    items, total = member_activities(
        read_models, member, limit=query["limit"], offset=query["offset"], **only
    )
    return {"member": member, **page_of(items, total, query)}
