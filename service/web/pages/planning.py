"""Pure helpers of the Review and Plan pages: reading a month as the report routes
read it, the months of a range, and the units each provider's allocations commit to a
month, by the capacity report's own rule (projections/reports/capacity.py): the
`active_in` allocations, each committing its `committed_units` share of the month.
Summed over providers (and those with none), they are the report's `units_committed`.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

import marshmallow as ma

from projections.engine.calendar import MONTH_PATTERN, Month, active_in, committed_units
from projections.engine.encoding import to_day
from service.web.reports import supported_month

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


def committed_by_provider(
    allocations: Iterable[dict[str, Any]], month: Month
) -> dict[str | None, Decimal]:
    """provider handle (None: no provider) -> units committed to `month` by their
    allocations: rows of the balances view (`allocations_overlapping(month)`), counted
    as the capacity report counts its `units_committed` (same functions, same rows)."""
    committed: dict[str | None, Decimal] = {}
    for row in allocations:
        start, end = to_day(row["start_date"]), to_day(row["end_date"])
        if not active_in(start, end, to_day(row["cancelled_on"]), month):
            continue
        share = committed_units(start, end, row["units"], month)
        committed[row["provider"]] = committed.get(row["provider"], Decimal(0)) + share
    return committed


def rounded(value: Decimal | float, places: int = 2) -> float:
    """As the capacity report rounds its figures."""
    return round(float(value), places)


def allocation_label(row: dict[str, Any], engagements: dict, projects: dict) -> str:
    """engagement · project · description, as My work labels an allocation."""
    engagement = engagements.get(row["engagement_id"], {}).get("name", "?")
    project = projects.get(row["project_id"], {}).get("name", "?")
    return f"{engagement} · {project} · {row['description']}"
