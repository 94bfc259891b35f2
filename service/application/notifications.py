"""Notification commands: record a due notice once, claim one attempt at sending it,
mark it sent or failed (the sender's, service/notify/outbox.py); and a person switching a
kind of notice on or off. Why this makes each notice go once is told in
docs/explanation/notifications.md."""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from service.application.base import LedgerBase
from service.application.caller import Caller
from service.application.commands import RequestId, Written, command
from service.domain import NotFound
from service.domain.notices import Kind, Notice
from service.domain.notification import Notification, NotificationChoices, choices_id


class NotificationCommands(LedgerBase):
    def record_notification(self, notice: Notice, *, channel: str, addresses: list[str]) -> bool:
        """Record `notice` as due; False when it already was (by this process or
        another: its stream id is the notice's id, which the store takes once)."""
        try:
            self.save_all(
                Notification.record(notice, channel=channel, addresses=addresses), value=None
            )
        except IntegrityError:
            return False
        return True

    def claim_notification(
        self, notification_id: UUID, *, now: datetime, hold: timedelta
    ) -> tuple[Notification, int] | None:
        """Take the next attempt at sending, held until `now + hold`: the notification
        and the attempt's number, or None when it is not due or another sender took it
        first (both wrote at the same version; the store kept one)."""
        notification = self.get(Notification, notification_id)
        if not notification.is_due(now):
            return None
        attempt = notification.claim(now=now, until=now + hold)
        try:
            self.save_all(notification, value=None)
        except IntegrityError:
            return None
        return notification, attempt

    def notification_sent(self, notification: Notification, attempt: int) -> None:
        notification.sent(attempt)
        self.save_all(notification, value=None)

    def notification_failed(
        self, notification: Notification, attempt: int, error: str, retry_at: datetime | None
    ) -> None:
        notification.failed(attempt, error, retry_at)
        self.save_all(notification, value=None)

    @command
    def switch_notification_kind(
        self, recipient: str, kind: Kind, *, on: bool, caller: Caller, request: RequestId
    ) -> Written[frozenset[str]]:
        """Switch `kind` on or off for `recipient` (a member's handle, or "bd"); the
        answer is the kinds they now have off."""
        try:
            choices = self.get(NotificationChoices, choices_id(recipient))
        except NotFound:
            choices = NotificationChoices.start(recipient, caller.actor)
        choices.switch(kind, on=on, actor=caller.actor)
        if not choices.pending_events:
            position = self.recorder.max_notification_id() or 0
            return Written(frozenset(choices.off), position, replayed=True)
        return self.save_all(choices, value=frozenset(choices.off))
