"""Closed months (docs/explanation/statements.md): an admin closes a month; afterwards
activities dated in it are recorded, corrected or retracted only with a manager or admin
token, and each such event is flagged `after_close` (the rule lives in the ledger:
service/application/periods.py; this blueprint only parses and renders).

Who reads the list: every role. A member needs to know which months it can no longer
change, a partner (viewer) that a month's figures are final; the list says nothing
about any engagement, so a viewer limited to one engagement reads it too."""

from __future__ import annotations

from typing import Any

import marshmallow as ma

from service.web.http.auth import requires
from service.web.http.boundary import Blueprint
from service.web.http.runtime import ledger
from service.web.http.writes import caller, written
from service.web.schemas.common import REASON, WrittenSchema, month_field

blp = Blueprint("periods", __name__, url_prefix="/api", description="Closed months")


class MonthPathSchema(ma.Schema):
    month = month_field(metadata={"example": "2024-03"})


class ClosureInSchema(ma.Schema):
    reason = ma.fields.String(validate=REASON, metadata={"description": "optional"})


class PeriodSchema(ma.Schema):
    month = ma.fields.String(metadata={"example": "2024-03"})
    closed_at = ma.fields.AwareDateTime()
    closed_by = ma.fields.String()
    reason = ma.fields.String(allow_none=True)


class PeriodWrittenSchema(PeriodSchema, WrittenSchema):
    pass


class PeriodListSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(PeriodSchema))


def period_item(closure: dict[str, Any]) -> dict[str, Any]:
    return {name: closure[name] for name in ("month", "closed_at", "closed_by", "reason")}


@blp.route("/periods/<month>/closure", methods=["POST"])
@requires("close_period")
@blp.arguments(MonthPathSchema, location="path")
@blp.arguments(ClosureInSchema, required=False)
@blp.response(201, PeriodWrittenSchema)
def close_period(path, body, month: str):
    """Close a month (`PeriodClosed`). Afterwards only manager and admin tokens may
    record, correct or retract activities dated in it, and those events are flagged
    `after_close`. A month is closed once: again answers 409. Honours `Idempotency-Key`."""
    result = ledger().close_period(path["month"], reason=body.get("reason"), caller=caller())
    return written(result, period_item(result.value.closed[path["month"]]))


@blp.route("/periods", methods=["GET"])
@requires("list_periods")
@blp.response(200, PeriodListSchema)
def list_periods():
    """The closed months, oldest first: when, by whom and why each was closed."""
    return {"items": [period_item(closure) for closure in ledger().closed_periods()]}
