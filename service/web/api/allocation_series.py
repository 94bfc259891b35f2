"""Allocation series: recurring hours (e.g. 8 per quarter) granted in one request as
consecutive allocations, each its own budget with no carry-over. The periods follow
service/domain/series.py; each allocation answers as a single grant does."""

from __future__ import annotations

from uuid import UUID

import marshmallow as ma

from service.domain.series import EVERY, LABEL_ROOM, MAX_COUNT, series_periods
from service.infra.input_policy import date_problem
from service.web.http.auth import requires
from service.web.http.boundary import Blueprint
from service.web.http.receipts import allocation_receipt
from service.web.http.runtime import ledger, today
from service.web.http.writes import caller, written
from service.web.schemas.common import (
    DAY,
    NAME,
    AllocationSchema,
    PlainDay,
    WrittenSchema,
    plain_text,
    units_field,
)

blp = Blueprint(
    "allocation_series", __name__, url_prefix="/api", description="Recurring hours: series"
)

DESCRIPTION_MAX = 5000 - LABEL_ROOM


class AllocationSeriesInSchema(ma.Schema):
    units = units_field(required=True, metadata={"description": "units of each period"})
    every = ma.fields.String(required=True, validate=ma.validate.OneOf(list(EVERY)))
    start_date = PlainDay(
        required=True, validate=DAY, metadata={"description": "first day of the first period"}
    )
    count = ma.fields.Integer(
        strict=True,
        required=True,
        validate=ma.validate.Range(min=1, max=MAX_COUNT),
        metadata={"description": "how many periods"},
    )
    description = ma.fields.String(
        required=True,
        validate=[
            ma.validate.Length(
                max=DESCRIPTION_MAX,
                error="at most {max} characters, leaving room for each period's label",
            ),
            plain_text,
        ],
        metadata={"description": "each allocation's, followed by its period's label"},
    )
    provider = ma.fields.String(
        load_default=None,
        validate=NAME,
        metadata={"description": "handle of the team member responsible for every period"},
    )

    @ma.validates_schema
    def ends_on_a_supported_date(self, data, **kwargs):
        last = series_periods(data["start_date"], data["every"], data["count"])[-1].end_date
        problem = date_problem(last)
        if problem:
            raise ma.ValidationError(
                f"the series would end on {last.isoformat()}: {problem}", "count"
            )


class AllocationSeriesWrittenSchema(WrittenSchema):
    series_id = ma.fields.UUID(
        metadata={"description": "each allocation's id is uuid5(series_id, 'allocation/<index>')"}
    )
    every = ma.fields.String()
    count = ma.fields.Integer()
    start_date = ma.fields.Date(metadata={"description": "first day of the first period"})
    end_date = ma.fields.Date(metadata={"description": "last day of the last period"})
    units_granted = ma.fields.Integer(metadata={"description": "all periods together"})
    allocations = ma.fields.List(ma.fields.Nested(AllocationSchema))


@blp.route("/projects/<uuid:project_id>/allocation-series", methods=["POST"])
@requires("grant_allocation_series")
@blp.arguments(AllocationSeriesInSchema)
@blp.response(201, AllocationSeriesWrittenSchema)
def grant_allocation_series(body, project_id: UUID):
    """Grant `count` consecutive allocations of `units` each, every month, quarter or
    year from `start_date`, in one atomic write: all or none. None may overlap the
    project's other allocations. Honours `Idempotency-Key`."""
    result = ledger().grant_allocation_series(project_id, **body, caller=caller())
    series = result.value
    on = today()
    departed_on = ledger().departure_of(series.allocations[0].provider)
    return written(
        result,
        {
            "series_id": series.id,
            "every": series.every,
            "count": len(series.allocations),
            "start_date": series.allocations[0].start_date,
            "end_date": series.allocations[-1].end_date,
            "units_granted": sum(allocation.units for allocation in series.allocations),
            "allocations": [
                allocation_receipt(allocation, on, provider_departed_on=departed_on)
                for allocation in series.allocations
            ],
        },
    )
