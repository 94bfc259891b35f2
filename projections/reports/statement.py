"""A statement: the monthly report of one engagement as it was sent, plus the
adjustments to months stated before, in a form that can be signed and never changes.

Pure functions, no I/O: the figures come from the monthly report, what was stated
before from the earlier statements' documents.

Adjustments. A partner holds what each earlier statement told them. Work recorded,
corrected, moved or retracted later for a month already stated is not rewritten into
that statement; the next statement lists it, per activity: the month, the units the
partner was last told (0 if never), the units now (0 if gone), and the change. What an
earlier statement already adjusted is not adjusted again.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

Units = dict[str, int]
"""activity id -> units, for one month"""


def canonical_json(document: dict[str, Any]) -> bytes:
    """The bytes a statement's signature covers: sorted keys, no spaces, UTF-8, the
    `signature` field left out (docs/explanation/statements.md)."""
    unsigned = {key: value for key, value in document.items() if key != "signature"}
    return json.dumps(
        unsigned, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode()


def plain(value: Any) -> Any:
    """The report as JSON values: dates as ISO text, ids as text."""
    if isinstance(value, dict):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, UUID | Decimal):
        return str(value)
    return value


def units_by_activity(figures: dict[str, Any]) -> Units:
    """The units of each activity a statement's figures list (its own month)."""
    return {
        activity["id"]: activity["units"]
        for project in figures.get("projects", [])
        for allocation in project["allocations"]
        for activity in allocation["activities"]
    }


def stated_so_far(earlier: list[dict[str, Any]]) -> dict[str, Units]:
    """month -> activity units, as the partner was last told by the earlier statements
    (in the order issued: each one's figures, then its adjustments)."""
    told: dict[str, Units] = {}
    for document in earlier:
        told[document["month"]] = units_by_activity(document["figures"])
        for adjustment in document["adjustments"]:
            month = told.setdefault(adjustment["month"], {})
            if adjustment["units_now"]:
                month[adjustment["activity_id"]] = adjustment["units_now"]
            else:
                month.pop(adjustment["activity_id"], None)
    return told


def flagged_after_close(figures: dict[str, Any]) -> set[str]:
    """The activities of a month's figures changed after the month was closed."""
    return {
        activity["id"]
        for project in figures.get("projects", [])
        for allocation in project["allocations"]
        for activity in allocation["activities"]
        if activity.get("after_close")
    }


def adjustments(
    told: dict[str, Units], now: dict[str, Units], after_close: frozenset[str] = frozenset()
) -> list[dict[str, Any]]:
    """What changed, per activity, in months the partner was told about; `after_close`
    marks the changes made after their month was closed (by a manager or admin)."""
    changes = []
    for month in sorted(told):
        before, after = told[month], now.get(month, {})
        for activity_id in sorted(set(before) | set(after)):
            units_told, units_now = before.get(activity_id, 0), after.get(activity_id, 0)
            if units_told != units_now:
                changes.append(
                    {
                        "month": month,
                        "activity_id": activity_id,
                        "units_told": units_told,
                        "units_now": units_now,
                        "change": units_now - units_told,
                        "after_close": activity_id in after_close,
                    }
                )
    return changes
