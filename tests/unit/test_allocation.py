"""The Allocation's rules and events, with no store."""

from datetime import date
from uuid import uuid4

import pytest

from service.domain import Allocation, Conflict, NotFound, RuleViolation
from tests.support.allocations import q2_allocation

TODAY = date(2026, 6, 15)


@pytest.fixture
def allocation() -> Allocation:
    return q2_allocation()


def record(allocation: Allocation, units: int = 2, day: date = date(2026, 6, 1), **kw):
    activity_id = kw.pop("activity_id", uuid4())
    allocation.record_activity(
        activity_id=activity_id,
        team_member=kw.pop("team_member", "ana"),
        units=units,
        description="work",
        date_from=kw.pop("date_from", day),
        date_to=day,
        actor="ana",
        today=TODAY,
    )
    return activity_id


def event_names(allocation: Allocation) -> list[str]:
    return [type(e).__name__ for e in allocation.collect_events()]


def test_granting_records_allocation_granted_with_its_terms(allocation):
    events = allocation.collect_events()
    assert [type(e).__name__ for e in events] == ["AllocationGranted"]
    granted = events[0]
    assert (granted.units, granted.start_date, granted.provider, granted.actor) == (
        8,
        date(2026, 4, 1),
        "ana",
        "bd",
    )


@pytest.mark.parametrize("units", [0, -1, 1.5, True, "3"])
def test_units_must_be_positive_whole_numbers(units):
    with pytest.raises(RuleViolation, match="positive whole number"):
        Allocation.grant(
            id=uuid4(),
            engagement_id=uuid4(),
            project_id=uuid4(),
            start_date=date(2026, 1, 1),
            end_date=date(2026, 1, 2),
            description="d",
            units=units,
            provider=None,
            actor="bd",
        )


def test_the_end_may_not_precede_the_start():
    with pytest.raises(RuleViolation, match="before the start"):
        Allocation.grant(
            id=uuid4(),
            engagement_id=uuid4(),
            project_id=uuid4(),
            start_date=date(2026, 2, 1),
            end_date=date(2026, 1, 31),
            description="d",
            units=1,
            provider=None,
            actor="bd",
        )


def test_recording_uses_units_and_an_overrun_is_accepted(allocation):
    record(allocation, units=5)
    record(allocation, units=5)
    assert allocation.units_used == 10
    assert allocation.units_remaining == -2
    assert event_names(allocation)[-2:] == ["ActivityRecorded", "ActivityRecorded"]


@pytest.mark.parametrize(
    "day, message",
    [
        (date(2026, 3, 31), "outside the allocation's period"),
        (date(2026, 7, 1), "outside"),
        (date(2026, 6, 16), "in the future"),
    ],
)
def test_activity_dates_must_lie_in_the_period_and_not_in_the_future(allocation, day, message):
    allocation.end_date = date(2026, 6, 30)
    with pytest.raises(RuleViolation, match=message):
        record(allocation, day=day)


def test_an_activity_may_not_end_before_it_starts(allocation):
    with pytest.raises(RuleViolation, match="before the start"):
        record(allocation, day=date(2026, 6, 1), date_from=date(2026, 6, 2))


def test_a_cancelled_allocation_takes_no_activities(allocation):
    allocation.cancel(reason="paused", actor="bd")
    with pytest.raises(Conflict, match="cancelled"):
        record(allocation)


def test_corrections_change_the_activity_and_the_balance(allocation):
    activity_id = record(allocation, units=2)
    allocation.correct_activity(
        activity_id=activity_id, changes={"units": 5}, reason="typo", actor="ana", today=TODAY
    )
    assert allocation.units_used == 5
    assert allocation.activity(activity_id).corrections == 1
    assert event_names(allocation)[-1] == "ActivityCorrected"


def test_a_retraction_removes_the_units_and_cannot_be_repeated(allocation):
    activity_id = record(allocation, units=3)
    allocation.retract_activity(activity_id=activity_id, reason="duplicate", actor="ana")
    assert allocation.units_used == 0
    with pytest.raises(Conflict, match="retracted"):
        allocation.retract_activity(activity_id=activity_id, reason="again", actor="ana")
    with pytest.raises(Conflict, match="retracted"):
        allocation.correct_activity(
            activity_id=activity_id, changes={"units": 1}, reason="r", actor="ana", today=TODAY
        )


def test_corrections_and_retractions_must_name_a_recorded_activity(allocation):
    with pytest.raises(NotFound):
        allocation.retract_activity(activity_id=uuid4(), reason="r", actor="ana")


def test_a_correction_needs_a_reason(allocation):
    activity_id = record(allocation)
    with pytest.raises(RuleViolation, match="reason"):
        allocation.correct_activity(
            activity_id=activity_id, changes={"units": 1}, reason=" ", actor="ana", today=TODAY
        )


def test_the_same_activity_id_cannot_be_recorded_twice(allocation):
    activity_id = record(allocation)
    with pytest.raises(Conflict, match="already recorded"):
        record(allocation, activity_id=activity_id)


def test_amending_may_not_strand_activities_outside_the_period(allocation):
    record(allocation, day=date(2026, 6, 10))
    with pytest.raises(RuleViolation, match="outside"):
        allocation.amend(end_date=date(2026, 6, 5), reason="shorter", actor="bd")
    allocation.amend(end_date=date(2026, 6, 20), units=10, reason="ok", actor="bd")
    assert (allocation.end_date, allocation.units) == (date(2026, 6, 20), 10)


def test_a_request_id_is_remembered_with_the_version_it_produced(allocation):
    activity_id = record(allocation)
    allocation.retract_activity(activity_id=activity_id, reason="r", actor="ana", request_id="req")
    assert allocation.handled_requests == {"req": allocation.version}


def test_a_deep_copy_shares_no_mutable_state(allocation):
    import copy

    activity_id = record(allocation, units=2)
    allocation.collect_events()
    twin = copy.deepcopy(allocation)
    twin.retract_activity(activity_id=activity_id, reason="r", actor="ana", request_id="req")
    assert allocation.activity(activity_id).retracted is False
    assert allocation.units_used == 2 and allocation.handled_requests == {}
    assert allocation.collect_events() == [] and len(twin.collect_events()) == 1
