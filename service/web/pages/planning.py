"""Pure helpers of the Review and Plan pages: reading a month as the report routes
read it, and the months of a range. The units each provider's allocations commit to a
month are the planning report's (`committed_by_provider`, projections/reports/
planning.py), so the Plan page and `GET /api/reports/planning` show the same figures.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import marshmallow as ma

from projections.engine.calendar import MONTH_PATTERN, Month

# The Review page reads each provider's committed units from here: the planning report's.
from projections.reports.planning import committed_by_provider as committed_by_provider
from service.web.api.reports import supported_month

MAX_PLAN_MONTHS = 24
UNASSIGNED = None
"""The provider key of allocations granted without one."""


class _MonthSchema(ma.Schema):
    month = ma.fields.String(
        required=True,
        validate=[
            ma.validate.Regexp(MONTH_PATTERN, error="give the month as YYYY-MM"),
            supported_month,
        ],
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


def months_between(first: Month, last: Month) -> list[Month]:
    """`first` to `last`, both included (none when `last` is before `first`)."""
    months, month = [], first
    while month <= last:
        months.append(month)
        month = month.next()
    return months


def month_count(first: Month, last: Month) -> int:
    return (last.year - first.year) * 12 + last.month - first.month + 1


def add_months(month: Month, count: int) -> Month:
    index = month.year * 12 + month.month - 1 + count
    return Month(index // 12, index % 12 + 1)


def rounded(value: Decimal | float, places: int = 2) -> float:
    """As the capacity report rounds its figures."""
    return round(float(value), places)


def allocation_label(row: dict[str, Any], engagements: dict, projects: dict) -> str:
    """engagement · project · description, as My work labels an allocation."""
    engagement = engagements.get(row["engagement_id"], {}).get("name", "?")
    project = projects.get(row["project_id"], {}).get("name", "?")
    return f"{engagement} · {project} · {row['description']}"
