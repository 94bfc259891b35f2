"""Property: whatever commands are run, and however the follower's work is cut into
batches and interleaved with them, the views equal a fresh replay of the whole log."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, example, given, settings

from projections import Projections
from projections.engine.follower import Follower
from service.application import Ledger
from service.domain.balance import is_late
from service.infra.store import persistence_environment
from tests.support.stories import COMMANDS, MEMBERS, Story


@pytest.fixture
def ledger(database_url):
    ledger = Ledger(env=persistence_environment(database_url))
    yield ledger
    ledger.close()


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(commands=COMMANDS)
@example(  # an activity moved to another project's allocation, corrected, back and again
    commands=[
        ("grant", 0, 30, 60, 10),
        ("grant", 1, 20, 60, 10),
        ("record", 0, "ana", 3, 25, 0),
        ("move", 0, 0),
        ("follow", 1),
        ("correct", 0, 4, None, None),
        ("move", 0, 0),
        ("follow", 2),
        ("move", 0, 0),
        ("retract", 0),
    ]
)
def test_views_built_step_by_step_equal_a_full_replay(ledger, commands):
    example = next(_examples)
    story = Story(ledger, tag=str(example))
    served = Projections(story.ledger, namespace=f"s{example}_")
    replay = None
    try:
        for command in commands:
            story.run(command, served)
        assert Follower(served).catch_up()
        replay = Projections(story.ledger, namespace=f"r{example}_")
        assert Follower(replay, batch_size=1000).catch_up()
        assert served.dump() == replay.dump()
        assert_views_agree_with_the_aggregates(story, served)
    finally:
        for views in (served, replay):
            for view in views.views.values() if views else ():
                view.drop()


_examples = itertools.count()


def assert_views_agree_with_the_aggregates(story: Story, served: Projections) -> None:
    """A second oracle: the write side's own state of every allocation and member."""
    balances = {r["id"]: r for r in served.view("balances").dump()["allocations"]}
    activities = {r["id"]: r for r in served.view("activities").dump()["activities"]}
    usage = served.view("usage").dump()
    mine = {str(a.id) for a in story.allocations}
    members = set(map(story.member, MEMBERS))
    by_allocation = {
        (r["allocation_id"], r["month"]): r["units"]
        for r in usage["by_allocation"]
        if r["units"] and r["allocation_id"] in mine
    }
    by_member = {
        (r["team_member"], r["month"]): r["units"]
        for r in usage["by_member"]
        if r["units"] and r["team_member"] in members
    }
    expected_by_allocation: dict = {}
    expected_by_member: dict = {}
    for made in story.allocations:
        allocation = story.ledger.allocation(made.id)
        row = balances[str(allocation.id)]
        assert (
            row["units"],
            row["units_used"],
            row["end_date"],
            row["cancelled_on"] is not None,
        ) == (
            allocation.units,
            allocation.units_used,
            allocation.end_date.isoformat(),
            allocation.cancelled,
        )
        for activity_id, state in allocation.activities.items():
            if state.moved_to:
                continue  # counted on the allocation it moved to
            entry = activities[activity_id]
            assert entry["allocation_id"] == str(allocation.id)
            assert (
                entry["units"],
                entry["team_member"],
                entry["date_to"],
                bool(entry["retracted"]),
                entry["corrections"],
                bool(entry["late"]),
            ) == (
                state.units,
                state.team_member,
                state.date_to.isoformat(),
                state.retracted,
                state.corrections,
                is_late(state.date_to, state.recorded_at.date()),
            )
            if not state.retracted:
                month = state.date_to.isoformat()[:7]
                key = (str(allocation.id), month)
                expected_by_allocation[key] = expected_by_allocation.get(key, 0) + state.units
                key = (state.team_member, month)
                expected_by_member[key] = expected_by_member.get(key, 0) + state.units
    assert by_allocation == expected_by_allocation
    assert by_member == expected_by_member
    team = served.view("team").members()
    for handle in map(story.member, MEMBERS):
        member = story.ledger.team_member(handle)
        assert team[handle].capacity_history == tuple((d, f) for d, f in member.capacity_history)
        assert team[handle].departed_on == member.departed_on
