"""The moves' world: allocations Ben provides on projects of their own, and an
allocation's balance as the API shows it."""

from __future__ import annotations

from typing import Any

from tests.support.api import grant_on_own_project


def grant(api, engagement_id: str, *, start: int, end: int, units: int) -> dict[str, Any]:
    return grant_on_own_project(
        api, engagement_id, start=start, end=end, units=units, provider="ben"
    )


def balance(api, allocation_id: str, position: int) -> tuple[int, int]:
    shown = api.get(f"/api/allocations/{allocation_id}", min_position=position)
    assert shown.status_code == 200, shown.json
    return shown.json["units_used"], shown.json["units_remaining"]
