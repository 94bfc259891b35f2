"""Worlds a test starts from, beyond the `world` fixture of tests/integration/conftest.py."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from service.application import Ledger
from service.application.caller import Caller
from tests.support.api import ApiClient, activity
from tests.support.dates import days_ago


def granted_on_ledger(ledger: Ledger, *, members: tuple[str, ...], units: int, today) -> Any:
    """Straight on the ledger, no HTTP: the members (the first provides), an engagement,
    a project and its allocation from 30 days ago to 30 days ahead; the allocation's id."""
    for handle in members:
        ledger.register_team_member(
            handle=handle,
            name=handle,
            line_manager="lee",
            fte=Decimal("1"),
            effective_date=today - timedelta(100),
            caller=Caller("t"),
        )
    engagement = ledger.open_engagement(
        name="E",
        community="C",
        description="",
        start_date=today - timedelta(60),
        end_date=today + timedelta(60),
        contacts=[],
        caller=Caller("t"),
    ).value
    _, project_id = ledger.define_project(
        engagement.id, name="P", outcome="o", caller=Caller("t")
    ).value
    return ledger.grant_allocation(
        project_id,
        start_date=today - timedelta(30),
        end_date=today + timedelta(30),
        units=units,
        description="d",
        provider=members[0],
        caller=Caller("t"),
    ).value.id


def busy_world(api: ApiClient, world: dict) -> dict:
    """Corrections, a retraction, an amendment, a cancellation and a capacity change."""
    allocation_id = world["allocation"]["id"]
    first = api.post(f"/api/allocations/{allocation_id}/activities", activity(units=5)).json
    second = api.post(
        f"/api/allocations/{allocation_id}/activities", activity(team_member="ben", units=8)
    ).json
    api.post(
        f"/api/activities/{first['id']}/corrections",
        {"units": 2, "date_from": days_ago(40), "date_to": days_ago(35), "reason": "dates"},
    )
    api.post(f"/api/activities/{second['id']}/retraction", {"reason": "duplicate"})
    api.patch(f"/api/allocations/{allocation_id}", {"units": 30, "reason": "more"})
    api.patch("/api/team-members/ana", {"fte": "0.8", "effective_date": days_ago(10)})
    other = api.post(
        f"/api/projects/{world['project']['id']}/allocations",
        {"start_date": days_ago(-31), "end_date": days_ago(-60), "units": 5, "description": "next"},
    ).json
    api.post(f"/api/allocations/{other['id']}/cancellation", {"reason": "not needed"})
    return {"first": first, "second": second, "other": other}
