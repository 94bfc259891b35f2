"""A notification in the log: one notice (notices.py) recorded before it is sent, then
claimed by one sender for one attempt, then marked sent or failed
(docs/explanation/notifications.md). Its stream id is the notice's deterministic id, so
the event store refuses to record one notice twice, and two senders claiming the same
attempt write at the same version: one of them is refused. And each person's choice of
the kinds they are told (`NotificationChoices`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from service.domain.errors import Conflict
from service.domain.notices import Kind, Notice

CHOICES_NAMESPACE = uuid5(NAMESPACE_URL, "urn:community-enablement:notification-choices")
NOTIFIER = "notifier"
"""The actor of what the sender records."""


class Notification(Aggregate):
    class NotificationRecorded(Aggregate.Created):
        """Due, and to be sent once: `addresses`, where it goes (email addresses, or
        the Slack channel), and `facts`, what it says."""

        kind: str
        subject: str
        period: str
        recipient: str
        channel: str
        addresses: list[str]
        facts: dict[str, Any]
        actor: str

    class NotificationClaimed(Aggregate.Event):
        """One sender sends attempt `attempt`; another may take it over after `until`."""

        attempt: int
        until: datetime
        actor: str

        def apply(self, notification: Notification) -> None:
            notification.attempts = self.attempt
            notification.claimed_until = self.until
            notification.state = "sending"

    class NotificationSent(Aggregate.Event):
        """The channel accepted attempt `attempt`."""

        attempt: int
        actor: str

        def apply(self, notification: Notification) -> None:
            notification.state = "sent"

    class NotificationFailed(Aggregate.Event):
        """Attempt `attempt` failed with `error`; it is tried again from `retry_at`, or
        never (None: given up)."""

        attempt: int
        error: str
        retry_at: datetime | None
        actor: str

        def apply(self, notification: Notification) -> None:
            notification.retry_at = self.retry_at
            notification.state = "failed" if self.retry_at is not None else "given_up"

    def __init__(
        self,
        kind: str,
        subject: str,
        period: str,
        recipient: str,
        channel: str,
        addresses: list[str],
        facts: dict[str, Any],
    ):
        self.kind = kind
        self.subject = subject
        self.period = period
        self.recipient = recipient
        self.channel = channel
        self.addresses = addresses
        self.facts = facts
        self.state = "recorded"
        self.attempts = 0
        self.claimed_until: datetime | None = None
        self.retry_at: datetime | None = None

    @classmethod
    def record(cls, notice: Notice, *, channel: str, addresses: list[str]) -> Notification:
        return cls._create(
            cls.NotificationRecorded,
            id=notice.id,
            kind=str(notice.kind),
            subject=notice.subject,
            period=notice.period,
            recipient=notice.recipient,
            channel=channel,
            addresses=addresses,
            facts=notice.facts,
            actor=NOTIFIER,
        )

    def is_due(self, now: datetime) -> bool:
        """To be sent now: recorded and never tried, failed and past its wait, or held
        by a sender whose claim ran out (it stopped, or was killed, mid-send)."""
        if self.state == "recorded":
            return True
        if self.state == "failed":
            return self.retry_at is not None and self.retry_at <= now
        if self.state == "sending":
            return self.claimed_until is not None and self.claimed_until <= now
        return False

    def claim(self, *, now: datetime, until: datetime) -> int:
        """Take the next attempt (its number), or Conflict when it is not due."""
        if not self.is_due(now):
            raise Conflict(f"notification {self.id} is {self.state}, not due")
        self.trigger_event(
            self.NotificationClaimed, attempt=self.attempts + 1, until=until, actor=NOTIFIER
        )
        return self.attempts

    def sent(self, attempt: int) -> None:
        self._require_claimed(attempt)
        self.trigger_event(self.NotificationSent, attempt=attempt, actor=NOTIFIER)

    def failed(self, attempt: int, error: str, retry_at: datetime | None) -> None:
        self._require_claimed(attempt)
        self.trigger_event(
            self.NotificationFailed,
            attempt=attempt,
            error=error[:500],
            retry_at=retry_at,
            actor=NOTIFIER,
        )

    def _require_claimed(self, attempt: int) -> None:
        if self.state != "sending" or self.attempts != attempt:
            raise Conflict(f"notification {self.id}: attempt {attempt} is no longer held")


def choices_id(recipient: str) -> UUID:
    return uuid5(CHOICES_NAMESPACE, recipient)


class NotificationChoices(Aggregate):
    """The kinds one recipient (a member's handle, or BD) has switched off."""

    class NotificationChoicesMade(Aggregate.Created):
        recipient: str
        actor: str

    class NotificationKindSwitched(Aggregate.Event):
        kind: str
        on: bool
        actor: str

        def apply(self, choices: NotificationChoices) -> None:
            if self.on:
                choices.off.discard(self.kind)
            else:
                choices.off.add(self.kind)

    def __init__(self, recipient: str):
        self.recipient = recipient
        self.off: set[str] = set()

    @classmethod
    def start(cls, recipient: str, actor: str) -> NotificationChoices:
        return cls._create(
            cls.NotificationChoicesMade, id=choices_id(recipient), recipient=recipient, actor=actor
        )

    def switch(self, kind: Kind, *, on: bool, actor: str) -> bool:
        """Switch `kind` on or off; False when it already was (nothing recorded)."""
        if (str(kind) not in self.off) == on:
            return False
        self.trigger_event(self.NotificationKindSwitched, kind=str(kind), on=on, actor=actor)
        return True
