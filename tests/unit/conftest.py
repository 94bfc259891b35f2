"""The application layer on the library's in-memory store, for unit tests: a ledger
whose day is fixed, and Ana's allocation of the Docs project of Open Data Week."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

import pytest

from service.application import FixedClock, Ledger
from service.application.caller import Caller
from service.domain import Allocation

TODAY = date(2026, 3, 16)


@pytest.fixture
def ledger() -> Ledger:
    return Ledger(env={"PERSISTENCE_MODULE": "eventsourcing.popo"}, clock=FixedClock(TODAY))


@pytest.fixture
def grant_to_ana(ledger: Ledger) -> Callable[[date, date], Allocation]:
    """Grants 20 units for a period to the Docs project, Ana (a member) providing."""

    def grant(start: date, end: date) -> Allocation:
        ledger.register_team_member(
            handle="ana",
            name="Ana Silva",
            line_manager="lee",
            fte=Decimal("0.5"),
            effective_date=date(2026, 1, 1),
            caller=Caller("lee"),
        )
        engagement = ledger.open_engagement(
            name="Open Data Week",
            community="Open Data NL",
            description="support",
            start_date=date(2026, 1, 1),
            end_date=date(2026, 12, 31),
            contacts=None,
            caller=Caller("bd"),
        ).value
        _, project_id = ledger.define_project(
            engagement.id, name="Docs", outcome="better docs", caller=Caller("bd")
        ).value
        return ledger.grant_allocation(
            project_id,
            start_date=start,
            end_date=end,
            units=20,
            description="Ana's hours",
            provider="ana",
            caller=Caller("bd"),
        ).value

    return grant
