"""The application layer in the domain's language, on the library's in-memory store:
no database, no HTTP."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

import pytest

from service.application import (
    ConcurrentChange,
    Forbidden,
    IdempotencyKeyReused,
    Ledger,
)
from service.application.caller import Caller
from service.domain import Allocation, Conflict, RuleViolation


@pytest.fixture
def allocation(grant_to_ana) -> Allocation:
    """Ana provides 20 units to the Docs project of Open Data Week in March."""
    return grant_to_ana(date(2026, 3, 1), date(2026, 3, 31))


def record(ledger: Ledger, allocation: Allocation, units: int = 3, **more):
    return ledger.record_activity(
        allocation.id,
        team_member="ana",
        units=units,
        description="review",
        date_from=date(2026, 3, 10),
        date_to=date(2026, 3, 10),
        caller=Caller("ana", **more),
    )


def test_recording_work_uses_the_allocations_units(ledger, allocation):
    record(ledger, allocation, units=3)
    record(ledger, allocation, units=5)
    assert ledger.allocation(allocation.id).units_remaining == 12


def test_a_retried_recording_is_answered_with_its_first_outcome(ledger, allocation):
    key = uuid4()
    first = record(ledger, allocation, request_id=key)
    again = record(ledger, allocation, request_id=key)
    assert again.replayed and again.position == first.position
    assert ledger.allocation(allocation.id).units_used == 3


def test_the_same_key_for_different_work_is_refused(ledger, allocation):
    key = uuid4()
    record(ledger, allocation, units=3, request_id=key)
    with pytest.raises(IdempotencyKeyReused):
        record(ledger, allocation, units=5, request_id=key)


def test_work_dated_after_the_services_today_is_refused(ledger, allocation):
    with pytest.raises(RuleViolation, match="future"):
        ledger.record_activity(
            allocation.id,
            team_member="ana",
            units=1,
            description="tomorrow",
            date_from=date(2026, 3, 17),
            date_to=date(2026, 3, 17),
            caller=Caller("ana"),
        )


def test_a_member_records_only_their_own_work(ledger, allocation):
    with pytest.raises(Forbidden):
        record(ledger, allocation, role="member", member="ben")


def test_a_closed_engagement_takes_no_new_work_but_takes_corrections(ledger, allocation):
    recorded = record(ledger, allocation)
    _, activity_id = recorded.value
    ledger.close_engagement(allocation.engagement_id, reason="contract ended", caller=Caller("bd"))
    with pytest.raises(Conflict, match="closed"):
        record(ledger, allocation)
    ledger.correct_activity(
        activity_id, changes={"units": 1}, reason="shorter", caller=Caller("lee")
    )
    assert ledger.allocation(allocation.id).units_used == 1


def test_a_cancelled_allocation_frees_its_period_for_another(ledger, allocation):
    ledger.cancel_allocation(allocation.id, reason="moved", caller=Caller("bd"))
    engagement = ledger.engagement(allocation.engagement_id)
    granted = ledger.grant_allocation(
        allocation.project_id,
        start_date=date(2026, 3, 1),
        end_date=date(2026, 3, 31),
        units=10,
        description="again",
        provider=None,
        caller=Caller("bd"),
    )
    assert (
        str(granted.value.id)
        in ledger.engagement(engagement.id).projects[str(allocation.project_id)]["schedule"]
    )


def test_a_command_that_keeps_clashing_gives_up_with_a_concurrent_change(ledger, monkeypatch):
    from eventsourcing.persistence import IntegrityError

    def always_clashes(*aggregates, **kwargs):
        raise IntegrityError("another writer got there first")

    monkeypatch.setattr(ledger, "save", always_clashes)
    monkeypatch.setattr("service.application.commands.time.sleep", lambda seconds: None)
    with pytest.raises(ConcurrentChange):
        ledger.open_engagement(
            name="x",
            community="y",
            description="",
            start_date=date(2026, 1, 1),
            end_date=date(2026, 1, 2),
            contacts=None,
            caller=Caller("bd"),
        )


def commit_first_when_checking(ledger: Ledger, monkeypatch, original) -> None:
    """Let the original attempt commit just after the retry has loaded the allocation,
    when the retry looks whether its key is taken: the race of a retry and its original."""
    exists = ledger.exists
    pending = [original]

    def original_commits_first(originator_id):
        if pending:
            pending.pop()()
        return exists(originator_id)

    monkeypatch.setattr(ledger, "exists", original_commits_first)


def test_a_retry_racing_its_original_gets_the_original_outcome(ledger, allocation, monkeypatch):
    key = uuid4()
    first = []
    commit_first_when_checking(
        ledger, monkeypatch, lambda: first.append(record(ledger, allocation, request_id=key))
    )
    again = record(ledger, allocation, request_id=key)
    assert first and not first[0].replayed
    assert again.replayed and again.position == first[0].position
    assert again.value[1] == first[0].value[1] == key
    assert again.value[0].activity(key).units == 3
    assert ledger.allocation(allocation.id).units_used == 3


def test_a_racing_retry_with_different_work_is_still_refused(ledger, allocation, monkeypatch):
    key = uuid4()
    commit_first_when_checking(
        ledger, monkeypatch, lambda: record(ledger, allocation, units=3, request_id=key)
    )
    with pytest.raises(IdempotencyKeyReused, match="different request"):
        record(ledger, allocation, units=5, request_id=key)
    assert ledger.allocation(allocation.id).units_used == 3


def test_a_key_used_on_another_allocation_is_refused(ledger, allocation):
    february = ledger.grant_allocation(
        allocation.project_id,
        start_date=date(2026, 2, 1),
        end_date=date(2026, 2, 28),
        units=10,
        description="February hours",
        provider=None,
        caller=Caller("bd"),
    ).value
    key = uuid4()
    record(ledger, allocation, request_id=key)
    with pytest.raises(IdempotencyKeyReused, match="another allocation"):
        ledger.record_activity(
            february.id,
            team_member="ana",
            units=3,
            description="review",
            date_from=date(2026, 2, 10),
            date_to=date(2026, 2, 10),
            caller=Caller("ana", request_id=key),
        )
    assert ledger.allocation(february.id).units_used == 0
