"""The late-activities report's `provider_departed` entries (projections/reports/
departed.py), apart from service/web/api/reports.py, which holds the other report shapes."""

from __future__ import annotations

import marshmallow as ma


class ProviderDepartedSchema(ma.Schema):
    allocation_id = ma.fields.UUID()
    engagement_id = ma.fields.UUID()
    project_id = ma.fields.UUID()
    provider = ma.fields.String()
    line_manager = ma.fields.String(allow_none=True)
    departed_on = ma.fields.Date(
        metadata={"description": "the provider's departure, by the day the month is judged on"}
    )
    units_remaining = ma.fields.Integer(
        metadata={"description": "granted − used to the month's end; negative when overrun"}
    )
