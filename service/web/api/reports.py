"""Reports, from the read models: monthly (per engagement, project and allocation),
capacity (per member and in all), planning (per member and month over a range) and
late activities. JSON, or CSV with
`Accept: text/csv` (one row per allocation, member or entry; see
projections/reports/tables.py).

A viewer token limited to one engagement reads only that engagement's monthly
report; the capacity and late reports are about the team and are not for it.

Every report takes `as_of_position=N` and answers what it answered when the log
ended at N, its today being the UTC date of the event at N (projections/reports/
as_of.py); it waits for the views to reach N, and refuses a position beyond the
log with 422, as `min_position` does. The lists take no `as_of_position` (an unknown
parameter, 400): they show the present; one allocation as it stood is
`GET /api/allocations/{id}?as_of=`, and the reports show every figure as it stood."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from typing import Any

import marshmallow as ma
from flask import abort

from projections import Projections
from projections.reports import capacity_report, late_report, monthly_report
from projections.reports.as_of import as_of_target, day_at
from projections.reports.planning import MAX_MONTHS, planning_report
from projections.reports.tables import (
    CAPACITY_COLUMNS,
    LATE_COLUMNS,
    MONTHLY_COLUMNS,
    PLANNING_COLUMNS,
    capacity_rows,
    late_rows,
    monthly_rows,
    planning_rows,
)
from service.domain.calendar import Month, month_count
from service.web.api.allocations import visible_engagement_id
from service.web.http.auth import principal, requires
from service.web.http.boundary import Blueprint
from service.web.http.csv_files import CSV_RESPONSE, csv_file, wants_csv
from service.web.http.reads import FreshReadSchema, fresh
from service.web.http.runtime import runtime, today
from service.web.schemas.activities import ReportActivitySchema
from service.web.schemas.common import (
    NAME,
    POSITION,
    QueryInteger,
    month_field,
)
from service.web.schemas.departed import ProviderDepartedSchema
from service.web.schemas.planning import PlanningReportSchema

blp = Blueprint(
    "reports",
    __name__,
    url_prefix="/api/reports",
    description="Reports: JSON, or CSV with `Accept: text/csv`",
)

# Requests


def as_of_position_field() -> QueryInteger:
    """Every report's `as_of_position` (the module docstring)."""
    return QueryInteger(
        validate=POSITION,
        metadata={
            "description": "answer as the report stood when the log ended at this position "
            "(e.g. the `position` a write returned), its today being the UTC date of the "
            "event there; waits for the read models to reach it"
        },
    )


class MonthQuerySchema(FreshReadSchema):
    month = month_field(metadata={"example": "2024-03"})
    as_of_position = as_of_position_field()


class MonthlyQuerySchema(MonthQuerySchema):
    engagement_id = ma.fields.UUID()


def _month_field(data_key: str, description: str) -> ma.fields.String:
    return month_field(
        data_key=data_key, metadata={"example": "2026-01", "description": description}
    )


class PlanningQuerySchema(FreshReadSchema):
    first = _month_field("from", "the first month of the range, YYYY-MM")
    last = _month_field("to", f"the last month, YYYY-MM: at most {MAX_MONTHS} months in all")
    as_of_position = as_of_position_field()

    @ma.validates_schema
    def _a_range(self, data: dict[str, Any], **kwargs: Any) -> None:
        if "first" not in data or "last" not in data:
            return
        first, last = Month.parse(data["first"]), Month.parse(data["last"])
        if last < first:
            raise ma.ValidationError(f"must not be before `from` ({first})", "to")
        count = month_count(first, last)
        if count > MAX_MONTHS:
            raise ma.ValidationError(
                f"at most {MAX_MONTHS} months at a time: {first} to {last} is {count} months",
                "to",
            )


class LateQuerySchema(MonthQuerySchema):
    line_manager = ma.fields.String(
        validate=NAME,
        metadata={
            "description": "only this line manager's members (exact handle; one nobody has: "
            "empty lists)"
        },
    )
    member = ma.fields.String(
        validate=NAME,
        metadata={"description": "only this member (exact handle; one nobody has: empty lists)"},
    )


# Responses


class MonthlyAllocationSchema(ma.Schema):
    id = ma.fields.UUID()
    description = ma.fields.String()
    start_date = ma.fields.Date()
    end_date = ma.fields.Date()
    units_granted = ma.fields.Integer()
    units_used_month = ma.fields.Integer()
    units_used_to_date = ma.fields.Integer(metadata={"description": "up to the end of the month"})
    units_remaining = ma.fields.Integer(metadata={"description": "negative when overrun"})
    percent_used = ma.fields.Float()
    percent_elapsed = ma.fields.Float()
    status = ma.fields.String()
    pace = ma.fields.String()
    overrun = ma.fields.Boolean()
    activities = ma.fields.List(ma.fields.Nested(ReportActivitySchema))


class MonthlyTotalsSchema(ma.Schema):
    units_granted = ma.fields.Integer(metadata={"description": "cancelled allocations left out"})
    units_used_month = ma.fields.Integer()
    units_used_to_date = ma.fields.Integer()


class MonthlyProjectSchema(ma.Schema):
    id = ma.fields.UUID()
    name = ma.fields.String()
    allocations = ma.fields.List(ma.fields.Nested(MonthlyAllocationSchema))


class MonthlyEngagementSchema(ma.Schema):
    id = ma.fields.UUID()
    name = ma.fields.String()
    community = ma.fields.String()
    projects = ma.fields.List(ma.fields.Nested(MonthlyProjectSchema))
    totals = ma.fields.Nested(MonthlyTotalsSchema)


class MonthlyReportSchema(ma.Schema):
    month = ma.fields.String()
    engagements = ma.fields.List(ma.fields.Nested(MonthlyEngagementSchema))
    totals = ma.fields.Nested(MonthlyTotalsSchema)


class CapacityMemberSchema(ma.Schema):
    handle = ma.fields.String()
    fte = ma.fields.Float(metadata={"description": "the month's average FTE"})
    capacity_units = ma.fields.Float(metadata={"description": "8 units × FTE per working day"})
    units_used = ma.fields.Integer()
    fraction = ma.fields.Float(allow_none=True)


class CapacityTotalsSchema(ma.Schema):
    capacity_units = ma.fields.Float()
    units_used = ma.fields.Integer()
    fraction = ma.fields.Float(allow_none=True)
    units_committed = ma.fields.Float(
        metadata={"description": "the month's share of the units of allocations active in it"}
    )
    committed_fraction = ma.fields.Float(allow_none=True)


class CapacityReportSchema(ma.Schema):
    month = ma.fields.String()
    members = ma.fields.List(ma.fields.Nested(CapacityMemberSchema))
    totals = ma.fields.Nested(CapacityTotalsSchema)


class LateActivitySchema(ma.Schema):
    activity_id = ma.fields.UUID()
    allocation_id = ma.fields.UUID()
    team_member = ma.fields.String()
    line_manager = ma.fields.String(allow_none=True)
    date_to = ma.fields.Date()
    recorded_at = ma.fields.AwareDateTime()
    days_late = ma.fields.Integer(metadata={"description": "days past the 14-day window"})


class SilentMemberSchema(ma.Schema):
    handle = ma.fields.String()
    line_manager = ma.fields.String(allow_none=True)
    allocation_id = ma.fields.UUID()


class LateReportSchema(ma.Schema):
    month = ma.fields.String()
    late = ma.fields.List(ma.fields.Nested(LateActivitySchema))
    silent_members = ma.fields.List(ma.fields.Nested(SilentMemberSchema))
    provider_departed = ma.fields.List(
        ma.fields.Nested(ProviderDepartedSchema),
        metadata={"description": "allocations active in the month whose provider has left"},
    )


# Routes


@blp.route("/monthly", methods=["GET"])
@requires("monthly_report")
@blp.arguments(MonthlyQuerySchema, location="query")
@blp.response(200, MonthlyReportSchema)
@blp.alt_response(200, **CSV_RESPONSE)
def monthly(query):
    """Each engagement → project → allocation active in the month: units granted, used
    in the month and to date, balance, pace and the month's activities; totals."""
    engagement_id = visible_engagement_id(query.get("engagement_id"))
    read_models, day, as_of = _read_models(monthly_report, query)
    report = monthly_report(
        read_models,
        Month.parse(query["month"]),
        day,
        str(engagement_id) if engagement_id else None,
        as_of,
    )
    if engagement_id is not None and not report["engagements"]:
        abort(404, description=f"no engagement {engagement_id}")
    return _negotiated(report, "monthly", MONTHLY_COLUMNS, monthly_rows)


@blp.route("/capacity", methods=["GET"])
@requires("capacity_report")
@blp.arguments(MonthQuerySchema, location="query")
@blp.response(200, CapacityReportSchema)
@blp.alt_response(200, **CSV_RESPONSE)
def capacity(query):
    """Units each member used that month against their capacity, and the units
    committed by allocations active that month against the team's capacity."""
    _refuse_limited_viewer()
    read_models, _, as_of = _read_models(capacity_report, query)
    report = capacity_report(read_models, Month.parse(query["month"]), as_of)
    return _negotiated(report, "capacity", CAPACITY_COLUMNS, capacity_rows)


@blp.route("/planning", methods=["GET"])
@requires("planning_report")
@blp.arguments(PlanningQuerySchema, location="query")
@blp.response(200, PlanningReportSchema)
@blp.alt_response(200, **CSV_RESPONSE)
def planning(query):
    """Per month of a range (at most 24) and member: capacity, units committed by the
    allocations they provide, units used and free units; the team's totals, with the
    units committed by allocations without a provider shown apart."""
    _refuse_limited_viewer()
    read_models, _, as_of = _read_models(planning_report, query)
    first, last = Month.parse(query["first"]), Month.parse(query["last"])
    report = planning_report(read_models, first, last, as_of)
    served = {"first": report["from"], "last": report["to"], "months": report["months"]}
    return _negotiated(
        served, "planning", PLANNING_COLUMNS, planning_rows, f"{report['from']}-{report['to']}"
    )


@blp.route("/late-activities", methods=["GET"])
@requires("late_activities_report")
@blp.arguments(LateQuerySchema, location="query")
@blp.response(200, LateReportSchema)
@blp.alt_response(200, **CSV_RESPONSE)
def late_activities(query):
    """Activities recorded late during the month, by line manager and member; the
    providers of allocations active in the month who recorded nothing on them that
    month; and those allocations whose provider has left. `line_manager` and `member`
    narrow every list (exact handles)."""
    _refuse_limited_viewer()
    read_models, day, as_of = _read_models(late_report, query)
    report = late_report(
        read_models,
        Month.parse(query["month"]),
        day,
        as_of,
        line_manager=query.get("line_manager"),
        member=query.get("member"),
    )
    return _negotiated(report, "late-activities", LATE_COLUMNS, late_rows)


def _read_models(
    report: Callable[..., Any], query: dict[str, Any]
) -> tuple[Projections, date, int | None]:
    """The read models, once those the report declares it reads are fresh enough; the
    report's today, and its `as_of_position` (None: now)."""
    as_of = query.get("as_of_position")
    if as_of is None:
        return fresh(report, query.get("min_position")), today(), None
    target = as_of_target(runtime().projections(), as_of, query.get("min_position"))
    read_models = fresh(report, target, as_of=True)
    return read_models, day_at(read_models, as_of) or today(), as_of


def _refuse_limited_viewer() -> None:
    if principal().engagement_id is not None:
        abort(
            403, description="a viewer limited to one engagement may read only its monthly report"
        )


def _negotiated(
    report: dict[str, Any],
    name: str,
    columns: tuple[str, ...],
    rows: Callable[[dict[str, Any]], Iterable[dict[str, Any]]],
    period: str | None = None,
) -> Any:
    if not wants_csv():
        return report
    return csv_file(columns, rows(report), f"{name}-{period or report['month']}.csv")
