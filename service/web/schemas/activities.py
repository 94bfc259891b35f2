"""An activity as the API shows it: whole (the activities' routes) and as a report
lists it (the monthly report's allocations), one the other's part, so that a fact of
an activity both show is described once."""

from __future__ import annotations

import marshmallow as ma


class ReportActivitySchema(ma.Schema):
    """An activity as the monthly report lists it: its work, and whether it was late or
    after its month's close."""

    id = ma.fields.UUID()
    date_from = ma.fields.Date()
    date_to = ma.fields.Date()
    team_member = ma.fields.String()
    units = ma.fields.Integer()
    description = ma.fields.String()
    late = ma.fields.Boolean()
    after_close = ma.fields.Boolean(
        metadata={"description": "recorded, corrected or retracted after its month was closed"}
    )


class ActivitySchema(ReportActivitySchema):
    """An activity in its current state, with who recorded it, when and how."""

    allocation_id = ma.fields.UUID()
    recorded_by = ma.fields.String()
    recorded_at = ma.fields.AwareDateTime()
    late = ma.fields.Boolean(metadata={"description": "recorded more than 14 days after date_to"})
    retracted = ma.fields.Boolean()
    corrections = ma.fields.Integer()
    imported = ma.fields.Boolean(
        metadata={"description": "imported from a file, with its original recorded_at"}
    )
