"""Engagement schedules and team capacity, with no store."""

from datetime import date
from decimal import Decimal
from uuid import uuid4

import pytest

from service.domain import Conflict, Engagement, RuleViolation, TeamMember, engagement_id_for_deal


def engagement() -> Engagement:
    return Engagement.open(
        id=uuid4(),
        name="E",
        community="C",
        description="d",
        start_date=date(2026, 1, 1),
        end_date=date(2026, 12, 31),
        contacts=None,
        actor="bd",
    )


def test_allocations_of_one_project_may_not_overlap():
    e = engagement()
    project = uuid4()
    e.define_project(project_id=project, name="P", outcome="o", actor="bd")
    first = uuid4()
    e.book_allocation(
        project_id=project,
        allocation_id=first,
        start_date=date(2026, 1, 1),
        end_date=date(2026, 3, 31),
        actor="bd",
    )
    with pytest.raises(RuleViolation, match="overlaps"):
        e.book_allocation(
            project_id=project,
            allocation_id=uuid4(),
            start_date=date(2026, 3, 31),
            end_date=date(2026, 6, 30),
            actor="bd",
        )
    e.book_allocation(
        project_id=project,
        allocation_id=uuid4(),
        start_date=date(2026, 4, 1),
        end_date=date(2026, 6, 30),
        actor="bd",
    )
    e.release_allocation(project_id=project, allocation_id=first, actor="bd")
    e.book_allocation(
        project_id=project,
        allocation_id=uuid4(),
        start_date=date(2026, 1, 1),
        end_date=date(2026, 3, 31),
        actor="bd",
    )
    assert len(e.projects[str(project)]["allocation_ids"]) == 3
    names = [type(ev).__name__ for ev in e.collect_events()]
    assert names[:2] == ["EngagementOpened", "ProjectDefined"]
    assert "AllocationReleased" in names


def test_other_projects_may_overlap():
    e = engagement()
    a, b = uuid4(), uuid4()
    for p in (a, b):
        e.define_project(project_id=p, name="P", outcome="o", actor="bd")
        e.book_allocation(
            project_id=p,
            allocation_id=uuid4(),
            start_date=date(2026, 1, 1),
            end_date=date(2026, 3, 31),
            actor="bd",
        )


def test_a_closed_engagement_takes_no_projects():
    e = engagement()
    e.close(reason="done", actor="bd")
    with pytest.raises(Conflict, match="closed"):
        e.define_project(project_id=uuid4(), name="P", outcome="o", actor="bd")


def test_a_deal_always_maps_to_the_same_engagement_id():
    first = Engagement.from_closed_won_deal(
        portal_id=1,
        deal_id="42",
        name="Deal",
        amount=Decimal("100.50"),
        close_time=None,
        pipeline="default",
        stage="closedwon",
        webhook_event_id=7,
    )
    assert first.id == engagement_id_for_deal(1, "42") == engagement_id_for_deal("1", 42)
    assert first.source == "hubspot" and first.amount == Decimal("100.50")
    assert [type(ev).__name__ for ev in first.collect_events()] == ["DealClosedWon"]


def test_capacity_history_keeps_earlier_months():
    member = TeamMember.register(
        handle="ana",
        name="Ana",
        line_manager="lee",
        fte=Decimal("0.5"),
        effective_date=date(2026, 1, 1),
        actor="admin",
    )
    member.change_capacity(fte=Decimal("1"), effective_date=date(2026, 7, 1), actor="admin")
    assert member.fte_on(date(2026, 6, 30)) == Decimal("0.5")
    assert member.fte_on(date(2026, 7, 1)) == Decimal("1")
    assert member.fte_on(date(2025, 12, 31)) == Decimal("0")
    member.depart(effective_date=date(2026, 9, 1), actor="admin")
    assert member.fte_on(date(2026, 9, 1)) == Decimal("0")
    with pytest.raises(Conflict, match="departed"):
        member.change_capacity(fte=Decimal("0.5"), effective_date=date(2026, 10, 1), actor="admin")


@pytest.mark.parametrize("fte", [Decimal("0"), Decimal("-0.1"), Decimal("1.01")])
def test_fte_must_be_above_zero_and_at_most_one(fte):
    with pytest.raises(RuleViolation, match="fte"):
        TeamMember.register(
            handle="x",
            name="X",
            line_manager="m",
            fte=fte,
            effective_date=date(2026, 1, 1),
            actor="a",
        )
