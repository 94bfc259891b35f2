"""Pure helpers of the Review and Plan pages: reading a month as the report routes
read it (the months of a range are the calendar's, service/domain/calendar.py). The
units each provider's allocations commit to a month are the planning report's
(`committed_by_provider`, projections/reports/planning.py), so the Plan page and
`GET /api/reports/planning` show the same figures.
"""

from __future__ import annotations

from decimal import Decimal

import marshmallow as ma

# The Review page reads each provider's committed units from here: the planning report's.
from projections.reports.planning import committed_by_provider as committed_by_provider

# ...and labels an allocation as every page does.
from projections.reports.resources import allocation_label as allocation_label
from service.domain.calendar import Month
from service.web.schemas.common import month_shaped, supported_month

MAX_PLAN_MONTHS = 24
UNASSIGNED = None
"""The provider key of allocations granted without one."""


def _month_shaped(text: str) -> None:
    if not month_shaped(text):
        raise ma.ValidationError("give the month as YYYY-MM")


class _MonthSchema(ma.Schema):
    month = ma.fields.String(
        required=True,
        validate=[_month_shaped, supported_month],
    )


def parse_month(text: str | None, default: Month) -> tuple[Month, list[str]]:
    """The month `text` names (the `month` query field of the report routes, the same
    checks and messages), `default` when it is empty; with the messages when it is
    not a month (and `default` in its place, for the page to go on rendering)."""
    if text is None or not text.strip():
        return default, []
    try:
        loaded = _MonthSchema().load({"month": text.strip()})
    except ma.ValidationError as error:
        messages = error.messages.get("month", []) if isinstance(error.messages, dict) else []
        return default, [str(m) for m in messages] or ["give the month as YYYY-MM"]
    return Month.parse(loaded["month"]), []


def rounded(value: Decimal | float, places: int = 2) -> float:
    """As the capacity report rounds its figures."""
    return round(float(value), places)
