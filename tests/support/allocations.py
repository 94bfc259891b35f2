"""An Allocation with no store, as the domain's unit tests make one: 8 units over the
second quarter of 2026, provided by ana, granted by bd."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

from service.domain import Allocation


def q2_allocation(start: date = date(2026, 4, 1), end: date = date(2026, 6, 30)) -> Allocation:
    return Allocation.grant(
        id=uuid4(),
        engagement_id=uuid4(),
        project_id=uuid4(),
        start_date=start,
        end_date=end,
        description="Q2",
        units=8,
        provider="ana",
        actor="bd",
    )
