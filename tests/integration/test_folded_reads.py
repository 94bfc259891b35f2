"""A recording reads its allocation, its engagement, its member and the closed months in
one read of the log (LedgerBase.get_together) instead of one read each; what another process wrote
meanwhile still counts at once. Two ledgers over one database, as two gunicorn workers,
each with its own cache; on both stores."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any
from uuid import UUID, uuid4

import pytest

from service.application import Ledger
from service.application.caller import Caller
from service.application.errors import Forbidden
from service.domain import Conflict, RuleViolation, TeamMember, team_member_id
from tests.support.api import activity
from tests.support.dates import days_ago

ADMIN = Caller("Ada", "admin")
MANAGER = Caller("Mona", "manager")


@pytest.fixture
def two_ledgers(app) -> Iterator[tuple[Ledger, Ledger]]:
    runtime = app.extensions["runtime"]
    ledgers = (runtime.new_ledger(), runtime.new_ledger())
    yield ledgers
    for ledger in ledgers:
        ledger.close()


def work(**overrides: Any) -> dict[str, Any]:
    body = activity(**overrides)
    for field in ("date_from", "date_to"):
        body[field] = date.fromisoformat(body[field])
    return body


def test_a_recording_counts_a_departure_recorded_by_another_process(world, two_ledgers):
    recording, other = two_ledgers
    allocation_id = UUID(world["allocation"]["id"])
    recording.record_activity(allocation_id, **work(), caller=MANAGER)  # all three cached
    other.update_team_member("ana", departed_on=date.fromisoformat(days_ago(5)), caller=ADMIN)
    with pytest.raises(RuleViolation, match="ana"):
        recording.record_activity(allocation_id, **work(), caller=MANAGER)


def test_a_recording_counts_a_month_closed_by_another_process(world, two_ledgers):
    recording, other = two_ledgers
    allocation_id = UUID(world["allocation"]["id"])
    earlier = work(date_from=days_ago(40), date_to=days_ago(40))
    ana = Caller("Ana", "member", member="ana")
    recording.record_activity(allocation_id, **earlier, caller=ana)  # all three cached
    other.close_period(earlier["date_to"].strftime("%Y-%m"), reason="done", caller=ADMIN)
    with pytest.raises(Forbidden):
        recording.record_activity(allocation_id, **earlier, caller=ana)


def test_a_recording_counts_an_engagement_closed_by_another_process(world, two_ledgers):
    recording, other = two_ledgers
    allocation_id = UUID(world["allocation"]["id"])
    recording.record_activity(allocation_id, **work(), caller=MANAGER)  # all three cached
    other.close_engagement(UUID(world["engagement"]["id"]), reason="over", caller=ADMIN)
    with pytest.raises(Conflict):
        recording.record_activity(allocation_id, **work(), caller=MANAGER)


def test_read_together_gives_what_a_read_each_gives_and_leaves_out_the_unknown(world, two_ledgers):
    reading, other = two_ledgers
    engagement_id, ana = UUID(world["engagement"]["id"]), team_member_id("ana")
    unknown = uuid4()
    reading.get_together([engagement_id, ana])  # cached
    other.update_team_member("ana", departed_on=date.fromisoformat(days_ago(5)), caller=ADMIN)
    found, closed = reading.get_together([engagement_id, ana, unknown])
    assert set(found) == {engagement_id, ana}
    member = found[ana]
    assert isinstance(member, TeamMember)
    assert member.version == other.get(TeamMember, ana).version
    assert member.departed_on == date.fromisoformat(days_ago(5))
    assert closed == reading.closed_months()
    again, _ = reading.get_together([ana])
    assert again[ana] is not member, "each command gets a copy of its own, as from get"


def test_a_recording_counts_work_recorded_on_its_allocation_by_another_process(world, two_ledgers):
    recording, other = two_ledgers
    allocation_id = UUID(world["allocation"]["id"])
    recording.record_activity(allocation_id, **work(units=2), caller=MANAGER)  # all cached
    other.record_activity(allocation_id, **work(units=3), caller=MANAGER)
    written = recording.record_activity(allocation_id, **work(units=4), caller=MANAGER)
    allocation, _ = written.value
    assert allocation.units_used == 9
    assert len(allocation.activities) == 3
