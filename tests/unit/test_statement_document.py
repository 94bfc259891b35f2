"""What a statement tells a partner about months stated before: adjustments per
activity, never repeated, and the canonical bytes its signature covers."""

from __future__ import annotations

import json
from datetime import date
from uuid import UUID

from projections.reports.statement import adjustments, canonical_json, plain, stated_so_far


def figures(*activities: tuple[str, int]) -> dict:
    return {
        "projects": [
            {"allocations": [{"activities": [{"id": i, "units": u} for i, u in activities]}]}
        ]
    }


def statement(month: str, activities, adjusted=()) -> dict:
    return {"month": month, "figures": figures(*activities), "adjustments": list(adjusted)}


def test_later_work_for_a_stated_month_is_an_adjustment():
    told = stated_so_far([statement("2026-09", [("a", 3), ("b", 5)])])
    now = {"2026-09": {"a": 3, "b": 2, "c": 8}}
    assert adjustments(told, now) == [
        {
            "month": "2026-09",
            "activity_id": "b",
            "units_told": 5,
            "units_now": 2,
            "change": -3,
            "after_close": False,
        },
        {
            "month": "2026-09",
            "activity_id": "c",
            "units_told": 0,
            "units_now": 8,
            "change": 8,
            "after_close": False,
        },
    ]


def test_a_retracted_or_moved_activity_is_adjusted_to_zero():
    told = stated_so_far([statement("2026-09", [("a", 3)])])
    assert adjustments(told, {}) == [
        {
            "month": "2026-09",
            "activity_id": "a",
            "units_told": 3,
            "units_now": 0,
            "change": -3,
            "after_close": False,
        }
    ]


def test_what_an_earlier_statement_adjusted_is_not_adjusted_again():
    october = statement(
        "2026-10",
        [("d", 1)],
        adjusted=[
            {"month": "2026-09", "activity_id": "c", "units_told": 0, "units_now": 8, "change": 8}
        ],
    )
    told = stated_so_far([statement("2026-09", [("a", 3)]), october])
    now = {"2026-09": {"a": 3, "c": 8}, "2026-10": {"d": 1}}
    assert adjustments(told, now) == []


def test_the_signature_covers_canonical_json_without_the_signature_field():
    document = {"b": 1, "a": "é", "signature": "xyz"}
    assert canonical_json(document) == '{"a":"é","b":1}'.encode()
    assert canonical_json({**document, "signature": "other"}) == canonical_json(document)


def test_report_values_become_json_values():
    assert plain({"id": UUID(int=1), "on": date(2026, 9, 1), "xs": (1, 2)}) == {
        "id": "00000000-0000-0000-0000-000000000001",
        "on": "2026-09-01",
        "xs": [1, 2],
    }
    assert json.loads(json.dumps(plain({"d": date(2026, 1, 1)}))) == {"d": "2026-01-01"}
