"""The planning report's answer (`GET /api/reports/planning`, service/web/api/reports.py;
the figures: projections/reports/planning.py), as the OpenAPI document shows it."""

from __future__ import annotations

import marshmallow as ma


class PlanningMemberSchema(ma.Schema):
    handle = ma.fields.String()
    capacity_units = ma.fields.Float(metadata={"description": "8 units × FTE per working day"})
    committed_units = ma.fields.Float(
        metadata={
            "description": "the month's share of the units of the allocations the member "
            "provides, spread over their working days (a cancelled one's up to its cancellation)"
        }
    )
    used_units = ma.fields.Integer()
    free_units = ma.fields.Float(metadata={"description": "capacity − committed; may be negative"})


class PlanningNoProviderSchema(ma.Schema):
    committed_units = ma.fields.Float(
        metadata={"description": "committed by allocations granted without a provider"}
    )


class PlanningTotalsSchema(ma.Schema):
    capacity_units = ma.fields.Float()
    committed_units = ma.fields.Float(metadata={"description": "no provider's included"})
    used_units = ma.fields.Integer()
    free_units = ma.fields.Float()
    committed_fraction = ma.fields.Float(allow_none=True)


class PlanningMonthSchema(ma.Schema):
    month = ma.fields.String()
    members = ma.fields.List(ma.fields.Nested(PlanningMemberSchema))
    no_provider = ma.fields.Nested(PlanningNoProviderSchema)
    totals = ma.fields.Nested(PlanningTotalsSchema)


class PlanningReportSchema(ma.Schema):
    first = ma.fields.String(data_key="from")
    last = ma.fields.String(data_key="to")
    months = ma.fields.List(ma.fields.Nested(PlanningMonthSchema))
