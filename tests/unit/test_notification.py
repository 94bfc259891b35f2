"""A notification's life in the log (service/domain/notification.py): due when recorded,
held while claimed, due again when its claim runs out or its wait after a failure ends,
never once sent or given up."""

from datetime import UTC, datetime, timedelta

import pytest

from service.domain.errors import Conflict
from service.domain.notices import Kind, Notice
from service.domain.notification import Notification, NotificationChoices

NOW = datetime(2026, 12, 7, 9, tzinfo=UTC)
HOLD = timedelta(minutes=2)


def recorded() -> Notification:
    notice = Notice(Kind.MISSING_TIME, "a1", "2026-11-14", "ana", {"since": "2026-11-14"})
    return Notification.record(notice, channel="mail", addresses=["ana@example.org"])


def test_its_id_is_the_notices_so_a_notice_is_recorded_under_one_stream():
    notice = Notice(Kind.BUDGET_THRESHOLD, "a1", "80%", "bd")
    again = Notice(Kind.BUDGET_THRESHOLD, "a1", "80%", "bd", {"other": "facts"})
    assert Notification.record(notice, channel="mail", addresses=[]).id == again.id
    assert notice.id != Notice(Kind.BUDGET_THRESHOLD, "a1", "100%", "bd").id


def test_a_claim_holds_it_until_it_runs_out_then_it_is_due_again():
    notification = recorded()
    assert notification.is_due(NOW)
    assert notification.claim(now=NOW, until=NOW + HOLD) == 1
    assert not notification.is_due(NOW + HOLD - timedelta(seconds=1))
    with pytest.raises(Conflict):
        notification.claim(now=NOW, until=NOW + HOLD)
    assert notification.is_due(NOW + HOLD)
    assert notification.claim(now=NOW + HOLD, until=NOW + 2 * HOLD) == 2


def test_a_failed_attempt_waits_and_a_given_up_or_sent_one_is_never_due():
    notification = recorded()
    notification.claim(now=NOW, until=NOW + HOLD)
    notification.failed(1, "refused", retry_at=NOW + timedelta(minutes=1))
    assert not notification.is_due(NOW + timedelta(seconds=59))
    assert notification.is_due(NOW + timedelta(minutes=1))
    notification.claim(now=NOW + timedelta(minutes=1), until=NOW + HOLD * 2)
    notification.failed(2, "refused", retry_at=None)
    assert notification.state == "given_up" and not notification.is_due(NOW + timedelta(days=9))
    sent = recorded()
    sent.claim(now=NOW, until=NOW + HOLD)
    sent.sent(1)
    assert sent.state == "sent" and not sent.is_due(NOW + timedelta(days=9))


def test_an_attempt_no_longer_held_cannot_be_marked():
    notification = recorded()
    notification.claim(now=NOW, until=NOW + HOLD)
    notification.claim(now=NOW + HOLD, until=NOW + 2 * HOLD)  # taken over after it ran out
    with pytest.raises(Conflict):
        notification.sent(1)


def test_choices_switch_a_kind_off_and_on_and_a_switch_to_as_it_is_records_nothing():
    choices = NotificationChoices.start("ana", actor="ana")
    assert choices.switch(Kind.LATE_SOON, on=False, actor="ana")
    assert choices.off == {"late_soon"}
    assert not choices.switch(Kind.LATE_SOON, on=False, actor="ana")
    assert choices.switch(Kind.LATE_SOON, on=True, actor="ana") and choices.off == set()
