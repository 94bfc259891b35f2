"""Engagements (`/engagements`, `/engagements/{id}`): what was granted, used and is
left, with a burn chart per allocation and the units of each month.

The figures are the API's (`engagement_detail`, the same mapper as
`GET /api/engagements/{id}`); the charts are drawn from the activities view. A viewer
limited to one engagement sees only that one: another's page answers 404, as the API
does, so its existence is not confirmed either."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any
from uuid import UUID

from flask import abort, g, render_template, url_for

from projections.engine.encoding import to_day
from projections.reports.declared import reads
from projections.reports.queries import engagements_page, member_names
from projections.reports.resources import engagement_detail, engagement_summary
from service.domain.calendar import Month, month_of, months_between
from service.web.http.reads import fresh, read_fresh
from service.web.http.runtime import ledger, today
from service.web.pages.blueprints import page_blueprint
from service.web.pages.charts import burn_chart, monthly_bars
from service.web.pages.forms import read_query
from service.web.pages.people import page
from service.web.schemas.common import PageQuerySchema

blp = page_blueprint("engagement_pages", __name__)

PAGE_SIZE = 25


@blp.route("/engagements", methods=["GET"])
@page("page:engagements")
def engagements():
    offset = read_query(PageQuerySchema(only=("offset",)))["offset"]
    only = g.principal.engagement_id
    rows, total = read_fresh(
        engagements_page, None, limit=PAGE_SIZE, offset=offset, only=str(only) if only else None
    )
    return render_template(
        "pages/engagements.html",
        engagements=[engagement_summary(row) for row in rows],
        total=total,
        offset=offset,
        page_size=PAGE_SIZE,
    )


@blp.route("/engagements/<uuid:engagement_id>", methods=["GET"])
@page("page:engagements")
def engagement(engagement_id: UUID):
    detail, activities = visible_engagement(engagement_id, today())
    on = today()
    charts = {
        str(allocation["id"]): burn_chart(
            title=f"Units used: {allocation['description']}",
            start=allocation["start_date"],
            end=allocation["end_date"],
            granted=allocation["units_granted"],
            usage=usage_of(activities.get(str(allocation["id"]), [])),
            today=on,
            chart_id=f"burn-{allocation['id']}",
        )
        for project in detail["projects"]
        for allocation in project["allocations"]
    }
    months = units_by_month(activities)
    return render_template(
        "pages/engagement.html",
        engagement=detail,
        charts=charts,
        months_chart=monthly_bars(
            title=f"Units used per month: {detail['name']}", months=months, chart_id="months"
        ),
        months=months,
        report_months=[month for month, units in months if units] or [month_of(on)],
        this_month=month_of(on),
        statements=ledger().statements_of(engagement_id),
        names=read_fresh(member_names, None),
        report_url=lambda month: url_for(
            "report_pages.monthly_report_page", engagement_id=engagement_id, month=month
        ),
    )


@reads("balances", "activities")
def visible_engagement(
    engagement_id: UUID, on: date
) -> tuple[dict[str, Any], dict[str, list[dict[str, Any]]]]:
    """The engagement as the API details it, and the live activities of each of its
    allocations; 404 if there is none or the person may not see it."""
    if not g.principal.may_see_engagement(engagement_id):
        abort(404, description=f"no engagement {engagement_id}")
    read_models = fresh(visible_engagement, None)
    balances = read_models.view("balances")
    row = balances.engagement(str(engagement_id))
    if row is None:
        abort(404, description=f"no engagement {engagement_id}")
    projects, allocations = balances.projects_and_allocations(str(engagement_id))
    activity_view = read_models.view("activities")
    activities = {
        allocation["id"]: [
            activity
            for activity in activity_view.of_allocation(allocation["id"])
            if not activity["retracted"]
        ]
        for allocation in allocations
    }
    return engagement_detail(row, projects, allocations, on), activities


def usage_of(activities: list[dict[str, Any]]) -> list[tuple[date, int]]:
    """An activity's units count on its last day, as in the monthly report."""
    return [(to_day(activity["date_to"]), activity["units"]) for activity in activities]


def units_by_month(activities: dict[str, list[dict[str, Any]]]) -> list[tuple[str, int]]:
    """Units of every live activity, by the month it counts in, oldest first, from the
    first month with units to the last: a month between with none is there as 0, so the
    chart's bars are a time axis and show the gap."""
    sums: dict[str, int] = defaultdict(int)
    for rows in activities.values():
        for activity in rows:
            sums[activity["month"]] += activity["units"]
    if not sums:
        return []
    span = months_between(Month.parse(min(sums)), Month.parse(max(sums)))
    return [(str(month), sums.get(str(month), 0)) for month in span]
