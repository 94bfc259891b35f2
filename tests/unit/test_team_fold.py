"""The team read model folds events into rows in pure Python (projections/readmodels/
team.py): the rows, `_history` included, that the team reports read; and the same rows
whether the log is followed in batches (the live follower) or folded whole (a rebuild).
No database: the events are made here."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest

from projections.readmodels.team import Team
from service.domain import TeamMember
from tests.support.read_model_folds import assert_batches_fold_as_one, folded

ANA, BEN = UUID(int=20), UUID(int=21)
REGISTERED = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)
LATER = datetime(2026, 3, 20, 9, 30, tzinfo=UTC)


def registered(member: UUID = ANA, handle: str = "ana") -> Any:
    return TeamMember.TeamMemberRegistered(
        originator_id=member,
        originator_version=1,
        timestamp=REGISTERED,
        originator_topic="service.domain.team_member:TeamMember",
        handle=handle,
        name=f"{handle.title()} Silva",
        line_manager="lee",
        fte=Decimal("0.5"),
        effective_date=date(2026, 1, 1),
        email=None,
        actor="lee",
    )


def fte(value: str, effective: date, member: UUID = ANA) -> Any:
    return TeamMember.CapacityChanged(
        originator_id=member,
        originator_version=2,
        timestamp=LATER,
        fte=Decimal(value),
        effective_date=effective,
        actor="lee",
    )


def departed(on: date, member: UUID = ANA) -> Any:
    return TeamMember.TeamMemberDeparted(
        originator_id=member,
        originator_version=3,
        timestamp=LATER,
        effective_date=on,
        actor="lee",
    )


def test_the_team_keeps_each_fte_by_date_and_the_versions_it_replaces():
    rows = folded(
        Team,
        [
            registered(),
            fte("0.8", date(2026, 4, 1)),
            fte("1", date(2026, 1, 1)),  # replaces the registration's FTE of that date
            departed(date(2026, 6, 30)),
        ],
    )
    assert rows.all("members") == [
        {
            "member_id": str(ANA),
            "handle": "ana",
            "name": "Ana Silva",
            "line_manager": "lee",
            "departed_on": "2026-06-30",
            "position": 1,
            "email": None,
            "valid_from": 4,
        }
    ]
    assert sorted(rows.all("capacity"), key=lambda row: row["effective_date"]) == [
        {"member_id": str(ANA), "effective_date": "2026-01-01", "fte": "1", "valid_from": 3},
        {"member_id": str(ANA), "effective_date": "2026-04-01", "fte": "0.8", "valid_from": 2},
    ]
    assert rows.archived["capacity_history"] == [(str(ANA), "2026-01-01", "0.5", 1, 3)]
    assert rows.archived["members_history"] == [
        (str(ANA), "ana", "Ana Silva", "lee", None, 1, 1, 4)
    ]


def test_a_departure_of_a_member_never_registered_changes_nothing():
    rows = folded(Team, [departed(date(2026, 6, 30))])
    assert rows.all("members") == []
    assert rows.archived["members_history"] == []


@pytest.mark.parametrize("batch", [1, 2, 3, 100])
def test_a_team_followed_in_batches_has_the_rows_of_one_fold(batch):
    events = [
        registered(),
        fte("0.8", date(2026, 1, 1)),
        registered(BEN, "ben"),
        fte("0.6", date(2026, 2, 1), BEN),
        fte("1", date(2026, 2, 1), BEN),
        departed(date(2026, 6, 30)),
        fte("0.2", date(2026, 3, 1)),
    ]
    assert_batches_fold_as_one(Team, events, batch)
