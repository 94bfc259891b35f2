"""Worlds a test starts from, beyond the `world` fixture of tests/integration/conftest.py."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from service.application import Ledger


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
            actor="t",
        )
    engagement = ledger.open_engagement(
        name="E",
        community="C",
        description="",
        start_date=today - timedelta(60),
        end_date=today + timedelta(60),
        contacts=[],
        actor="t",
    ).value
    _, project_id = ledger.define_project(engagement.id, name="P", outcome="o", actor="t").value
    return ledger.grant_allocation(
        project_id,
        start_date=today - timedelta(30),
        end_date=today + timedelta(30),
        units=units,
        description="d",
        provider=members[0],
        actor="t",
    ).value.id
