"""Moving an activity between two Allocations, with no store: the same `ActivityMoved`
on both, the activity leaving one (its entry kept, no longer live) and joining the other
as it stood; and the rules a move checks on each side."""

from datetime import UTC, date, datetime
from uuid import UUID, uuid4

import pytest

from service.domain import Allocation, Conflict, NotFound, RuleViolation
from service.domain.activity import activities_as_values
from service.domain.locator import Locator
from tests.support.allocations import q2_allocation

TODAY = date(2026, 6, 15)


def grant(start: date = date(2026, 4, 1), end: date = date(2026, 6, 30)) -> Allocation:
    allocation = q2_allocation(start, end)
    allocation.collect_events()
    return allocation


def record(allocation: Allocation, units: int = 3, day: date = date(2026, 6, 1)) -> UUID:
    activity_id = uuid4()
    allocation.record_activity(
        activity_id=activity_id,
        team_member="ana",
        units=units,
        description="work",
        date_from=day,
        date_to=day,
        actor="Mia Manager",
        today=TODAY,
        recorded_at=datetime(2026, 6, 2, 9, tzinfo=UTC),
    )
    return activity_id


def move(source: Allocation, activity_id: UUID, target: Allocation, **kw) -> None:
    source.move_activity(
        activity_id,
        to=target,
        reason=kw.pop("reason", "mis-filed"),
        actor="lee",
        after_close=kw.pop("after_close", False),
    )


@pytest.fixture
def source() -> Allocation:
    return grant()


@pytest.fixture
def target() -> Allocation:
    return grant()


def test_the_activity_leaves_one_and_joins_the_other_as_it_stood(source, target):
    activity_id = record(source)
    source.correct_activity(
        activity_id=activity_id, changes={"units": 4}, reason="longer", actor="lee", today=TODAY
    )
    source.collect_events()
    move(source, activity_id, target, after_close=True)

    (left,), (joined,) = source.collect_events(), target.collect_events()
    assert type(left) is type(joined) is Allocation.ActivityMoved
    assert (left.originator_id, joined.originator_id) == (source.id, target.id)
    for event in (left, joined):
        assert (event.from_allocation_id, event.to_allocation_id) == (source.id, target.id)
        assert (event.units, event.corrections, event.recorded_by) == (4, 1, "Mia Manager")
        assert event.recorded_at == datetime(2026, 6, 2, 9, tzinfo=UTC)
        assert (event.reason, event.actor, event.after_close) == ("mis-filed", "lee", True)
    assert (source.units_used, target.units_used) == (0, 4)
    assert source.activity(activity_id).moved_to == target.id
    there = target.live_activity(activity_id)
    assert (there.units, there.corrections, there.retracted) == (4, 1, False)
    assert there.recorded_at == datetime(2026, 6, 2, 9, tzinfo=UTC)


def test_it_is_changed_only_where_it_now_is(source, target):
    activity_id = record(source)
    move(source, activity_id, target)
    with pytest.raises(Conflict, match=f"was moved to allocation {target.id}"):
        source.retract_activity(activity_id=activity_id, reason="r", actor="lee")
    with pytest.raises(Conflict, match="was moved"):
        move(source, activity_id, grant())
    target.correct_activity(
        activity_id=activity_id, changes={"units": 5}, reason="r", actor="lee", today=TODAY
    )
    assert target.units_used == 5
    # Moved away, it no longer holds the period of the allocation it left.
    source.amend(end_date=date(2026, 5, 1), reason="shorter", actor="bd")


def test_it_moves_back_and_counts_once(source, target):
    activity_id = record(source)
    move(source, activity_id, target)
    move(target, activity_id, source)
    assert (source.units_used, target.units_used) == (3, 0)
    assert source.live_activity(activity_id).moved_to is None
    assert target.activity(activity_id).moved_to == source.id


def test_an_imported_activity_stays_imported(source, target):
    imported = uuid4()
    source.record_activity(
        activity_id=imported,
        team_member="ana",
        units=2,
        description="from the spreadsheet",
        date_from=date(2026, 5, 4),
        date_to=date(2026, 5, 4),
        actor="admin",
        today=TODAY,
        external_id="row-7",
    )
    earlier = record(source)
    kept_before_imports = vars(source.activity(earlier)).copy()  # as a snapshot kept it then
    del kept_before_imports["imported"], kept_before_imports["moved_to"]
    snapshot = {"activities": {str(earlier): kept_before_imports}}
    activities_as_values(snapshot)
    source.activities[str(earlier)] = snapshot["activities"][str(earlier)]
    move(source, imported, target)
    move(source, earlier, target)
    assert target.activity(imported).imported is True
    assert target.activity(earlier).imported is False


def test_a_cancelled_source_lets_its_work_move(source, target):
    activity_id = record(source)
    source.cancel(reason="dropped", actor="bd")
    move(source, activity_id, target)
    assert (source.units_used, target.units_used) == (0, 3)


@pytest.mark.parametrize(
    "case, error, message",
    [
        ("same allocation", RuleViolation, "already on allocation"),
        ("cancelled target", Conflict, "cannot move an activity to a cancelled allocation"),
        ("outside the target", RuleViolation, "date_from 2026-06-01 is outside"),
        ("retracted", Conflict, "has been retracted"),
        ("no reason", RuleViolation, "a reason is required"),
        ("unknown activity", NotFound, "is not recorded on this allocation"),
    ],
)
def test_a_refused_move_records_nothing(source, target, case, error, message):
    activity_id = record(source)
    source.collect_events()
    to, reason = target, "mis-filed"
    if case == "same allocation":
        to = source
    elif case == "cancelled target":
        target.cancel(reason="r", actor="bd")
        target.collect_events()
    elif case == "outside the target":
        to = grant(start=date(2026, 6, 10))
    elif case == "retracted":
        source.retract_activity(activity_id=activity_id, reason="r", actor="lee")
        source.collect_events()
    elif case == "no reason":
        reason = " "
    elif case == "unknown activity":
        activity_id = uuid4()
    with pytest.raises(error, match=message):
        move(source, activity_id, to, reason=reason)
    assert source.collect_events() == [] and to.collect_events() == []
    assert source.units_used == (0 if case == "retracted" else 3)
    assert to is source or to.units_used == 0


def test_the_locator_remembers_each_move_by_its_request():
    activity_id, first, second = uuid4(), uuid4(), uuid4()
    locator = Locator.place(id=activity_id, kind="activity", owner_id=first)
    locator.relocate(owner_id=second, request_id="k1", actor="lee")
    locator.relocate(owner_id=first, request_id="k2", actor="lee")
    assert locator.owner_id == first
    assert locator.moves == {
        "k1": {"version": 2, "from": first, "to": second},
        "k2": {"version": 3, "from": second, "to": first},
    }
    assert [type(e).__name__ for e in locator.collect_events()] == [
        "Located",
        "Relocated",
        "Relocated",
    ]
