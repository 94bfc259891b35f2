"""The rule of closed months (docs/explanation/statements.md) in the domain's language, on the
library's in-memory store: once a month is closed, changes to activities dated in it are a
manager's or admin's, flagged `after_close`; a member's are refused, naming the month. And
events stored before the rule (no `after_close`, tokens without a name) load."""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import uuid4

import pytest
from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import get_topic

from service.application import Forbidden, Ledger
from service.application.caller import Caller
from service.domain import Allocation, Conflict, RuleViolation
from service.domain.period import CALENDAR_ID, closed_among
from service.domain.tokens import ApiToken


@pytest.fixture
def allocation(grant_to_ana) -> Allocation:
    """Ana provides 20 units from January to March."""
    return grant_to_ana(date(2026, 1, 1), date(2026, 3, 31))


def record(ledger: Ledger, allocation: Allocation, day: date, **who):
    return ledger.record_activity(
        allocation.id,
        team_member="ana",
        units=3,
        description="review",
        date_from=day,
        date_to=day,
        caller=Caller("Ana Silva", **who),
    )


def last_event(ledger: Ledger, allocation: Allocation):
    return list(ledger.events.get(allocation.id))[-1]


def test_a_members_change_in_a_closed_month_is_refused_naming_it(ledger, allocation):
    _, activity_id = record(ledger, allocation, date(2026, 2, 10), role="member").value
    ledger.close_period("2026-02", reason="statement sent", caller=Caller("Alex Admin"))
    version = ledger.allocation(allocation.id).version
    member = {"role": "member", "member": "ana"}
    with pytest.raises(Forbidden, match="2026-02 is closed"):
        record(ledger, allocation, date(2026, 2, 11), **member)
    with pytest.raises(Forbidden, match="2026-02"):
        ledger.correct_activity(
            activity_id, changes={"units": 1}, reason="r", caller=Caller("Ana Silva", **member)
        )
    with pytest.raises(Forbidden, match="2026-02"):
        ledger.retract_activity(activity_id, reason="r", caller=Caller("Ana Silva", **member))
    # Moving work into a closed month is a change dated in it too.
    _, march = record(ledger, allocation, date(2026, 3, 2), **member).value
    with pytest.raises(Forbidden, match="2026-02"):
        ledger.correct_activity(
            march,
            changes={"date_from": date(2026, 2, 27)},
            reason="r",
            caller=Caller("A", **member),
        )
    assert ledger.allocation(allocation.id).version == version + 1  # only March's work


def test_a_managers_change_in_a_closed_month_is_accepted_and_flagged(ledger, allocation):
    _, activity_id = record(ledger, allocation, date(2026, 2, 10), role="member").value
    assert last_event(ledger, allocation).after_close is False
    ledger.close_period("2026-02", reason=None, caller=Caller("Alex Admin"))
    record(ledger, allocation, date(2026, 2, 11), role="manager")
    assert last_event(ledger, allocation).after_close is True
    ledger.correct_activity(
        activity_id,
        changes={"date_to": date(2026, 3, 1)},
        reason="r",
        caller=Caller("L", role="manager"),
    )
    assert last_event(ledger, allocation).after_close is True
    ledger.retract_activity(
        activity_id, reason="duplicate", caller=Caller("Alex Admin", role="admin")
    )
    assert last_event(ledger, allocation).after_close is True
    record(ledger, allocation, date(2026, 3, 2), role="member")
    assert last_event(ledger, allocation).after_close is False


def test_a_caller_naming_no_role_may_not_change_a_closed_month(ledger, allocation):
    ledger.close_period("2026-01", reason=None, caller=Caller("Alex Admin"))
    with pytest.raises(Forbidden, match="2026-01"):
        record(ledger, allocation, date(2026, 1, 5))


def test_a_month_is_closed_once_and_listed(ledger):
    ledger.close_period("2026-02", reason="sent", caller=Caller("Alex Admin"))
    ledger.close_period("2026-01", reason=None, caller=Caller("Alex Admin"))
    with pytest.raises(Conflict, match="2026-02 is already closed"):
        ledger.close_period("2026-02", reason=None, caller=Caller("Alex Admin"))
    with pytest.raises(RuleViolation, match="YYYY-MM"):
        ledger.close_period("2026-13", reason=None, caller=Caller("Alex Admin"))
    assert [p["month"] for p in ledger.closed_periods()] == ["2026-01", "2026-02"]
    assert ledger.closed_months() == {"2026-01", "2026-02"}
    types = [type(e).__name__ for e in ledger.events.get(CALENDAR_ID)]
    assert types == ["CalendarStarted", "PeriodClosed", "PeriodClosed"]


def test_a_retried_closure_answers_the_first(ledger):
    key = uuid4()
    first = ledger.close_period("2026-02", reason=None, caller=Caller("A", request_id=key))
    again = ledger.close_period("2026-02", reason=None, caller=Caller("A", request_id=key))
    assert again.replayed and again.position == first.position


def test_every_month_an_activity_spans_counts():
    closed = {"2026-01", "2026-03"}
    assert closed_among(closed, (date(2026, 1, 30), date(2026, 2, 2))) == ["2026-01"]
    assert closed_among(closed, (date(2026, 2, 1), date(2026, 2, 28))) == []
    span = (date(2026, 2, 20), date(2026, 2, 21)), (date(2025, 12, 1), date(2026, 4, 1))
    assert closed_among(closed, *span) == ["2026-01", "2026-03"]


def stored_by_earlier_code(ledger: Ledger, cls: type, version: int, **fields) -> StoredEvent:
    """An event as the code before this rule stored it: no class version, no new field."""
    state = {"timestamp": datetime(2025, 1, 1, tzinfo=UTC), **fields}
    return StoredEvent(
        originator_id=uuid4(),
        originator_version=version,
        topic=get_topic(cls),
        state=ledger.mapper.transcoder.encode(state),
    )


def test_activity_events_stored_without_after_close_load_as_not_after_close(ledger):
    stored = stored_by_earlier_code(
        ledger,
        Allocation.ActivityRetracted,
        3,
        activity_id=uuid4(),
        reason="duplicate",
        actor="ana",
        request_id=None,
    )
    assert ledger.mapper.to_domain_event(stored).after_close is False


def test_a_token_issued_without_a_name_loads_with_none(ledger):
    stored = stored_by_earlier_code(
        ledger,
        ApiToken.TokenIssued,
        1,
        originator_topic=get_topic(ApiToken),
        role="manager",
        member=None,
        engagement_id=None,
        actor="cli",
    )
    token = ledger.mapper.to_domain_event(stored).mutate(None)
    assert token.name is None and token.role == "manager"


def test_a_token_names_its_person(ledger, allocation):
    _, by_name = ledger.issue_token(
        role="manager", member=None, engagement_id=None, name=" Lee  Chen ", actor="cli"
    )
    _, by_member = ledger.issue_token(role="member", member="ana", engagement_id=None, actor="cli")
    assert (by_name.name, by_member.name) == ("Lee Chen", "Ana Silva")
    with pytest.raises(RuleViolation, match="names the person who holds it"):
        ledger.issue_token(role="auditor", member=None, engagement_id=None, actor="cli")
