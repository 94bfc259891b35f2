"""Notifications as the sender, /review, /metrics and the settings page need them: each
notification's state (recorded, sending, sent, failed and waiting, given up), its
attempts and last error; and the kinds each recipient switched off. The log holds the
truth (service/domain/notification.py): the sender reads here which to look at, then
decides on the notification itself (docs/explanation/notifications.md)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from projections.engine.encoding import from_json, moment, to_json, uid
from projections.engine.readmodel import Event, ReadModel, handles
from projections.engine.rows import Rows
from service.domain.notification import Notification, NotificationChoices

NOTIFICATIONS = (
    "id TEXT PRIMARY KEY, kind TEXT NOT NULL, subject TEXT NOT NULL, period TEXT NOT NULL, "
    "recipient TEXT NOT NULL, channel TEXT NOT NULL, addresses TEXT NOT NULL, "
    "state TEXT NOT NULL, attempts INTEGER NOT NULL, recorded_at TEXT NOT NULL, "
    "claimed_until TEXT, retry_at TEXT, last_error TEXT, sent_at TEXT, "
    "position BIGINT NOT NULL"
)
CHOICES = "recipient TEXT PRIMARY KEY, choices_id TEXT NOT NULL, off TEXT NOT NULL"
STATES = ("recorded", "sending", "sent", "failed", "given_up")
DUE = (
    "state = 'recorded' OR (state = 'failed' AND retry_at <= :now) "
    "OR (state = 'sending' AND claimed_until <= :now)"
)
"""`Notification.is_due` in SQL: which notifications the sender looks at."""


class Notifications(ReadModel):
    name = "notifications"
    version = 1
    tables = {"notifications": NOTIFICATIONS, "choices": CHOICES}
    indexes = {
        "notifications_by_state": ("notifications", "state, position"),
        "choices_by_id": ("choices", "choices_id"),
    }
    keys = {"notifications": ("id",), "choices": ("recipient",)}

    # Folding

    def prefetch(self, rows: Rows, events: Sequence[Event]) -> None:
        ids = [uid(event.originator_id) for event, _ in events]
        rows.load_together([("notifications", "id", ids), ("choices", "choices_id", ids)])

    @handles(Notification.NotificationRecorded)
    def _recorded(self, rows: Rows, event: Any, position: int) -> None:
        rows.put(
            "notifications",
            {
                "id": uid(event.originator_id),
                "kind": event.kind,
                "subject": event.subject,
                "period": event.period,
                "recipient": event.recipient,
                "channel": event.channel,
                "addresses": to_json(event.addresses),
                "state": "recorded",
                "attempts": 0,
                "recorded_at": moment(event.timestamp),
                "claimed_until": None,
                "retry_at": None,
                "last_error": None,
                "sent_at": None,
                "position": position,
            },
        )

    @handles(Notification.NotificationClaimed)
    def _claimed(self, rows: Rows, event: Any, position: int) -> None:
        rows.update(
            "notifications",
            (uid(event.originator_id),),
            state="sending",
            attempts=event.attempt,
            claimed_until=moment(event.until),
        )

    @handles(Notification.NotificationSent)
    def _sent(self, rows: Rows, event: Any, position: int) -> None:
        rows.update(
            "notifications",
            (uid(event.originator_id),),
            state="sent",
            sent_at=moment(event.timestamp),
        )

    @handles(Notification.NotificationFailed)
    def _failed(self, rows: Rows, event: Any, position: int) -> None:
        rows.update(
            "notifications",
            (uid(event.originator_id),),
            state="failed" if event.retry_at is not None else "given_up",
            retry_at=None if event.retry_at is None else moment(event.retry_at),
            last_error=event.error,
        )

    @handles(NotificationChoices.NotificationChoicesMade)
    def _choices_made(self, rows: Rows, event: Any, position: int) -> None:
        rows.put(
            "choices",
            {"recipient": event.recipient, "choices_id": uid(event.originator_id), "off": "[]"},
        )

    @handles(NotificationChoices.NotificationKindSwitched)
    def _switched(self, rows: Rows, event: Any, position: int) -> None:
        held = [r for r in rows.all("choices") if r["choices_id"] == uid(event.originator_id)]
        for row in held:
            off = set(from_json(row["off"])) - {event.kind}
            if not event.on:
                off.add(event.kind)
            rows.update("choices", (row["recipient"],), off=to_json(sorted(off)))

    # Reads

    def due_ids(self, now: datetime, limit: int = 100) -> list[str]:
        """The notifications to send now, oldest first (`Notification.is_due`)."""
        with self.reading() as tx:
            rows = tx.rows(
                f"SELECT id FROM {{notifications}} WHERE {DUE} ORDER BY position LIMIT :limit",
                now=moment(now),
                limit=limit,
            )
        return [row["id"] for row in rows]

    def given_up(self) -> list[dict[str, Any]]:
        """The notifications the sender gave up on, newest first: for /review."""
        return self._where("state = 'given_up'", "position DESC")

    def counts_by_state(self) -> dict[str, int]:
        """state -> how many notifications are in it (for /metrics)."""
        with self.reading() as tx:
            rows = tx.rows("SELECT state, COUNT(*) AS n FROM {notifications} GROUP BY state")
        counted = {row["state"]: row["n"] for row in rows}
        return {state: counted.get(state, 0) for state in STATES}

    def switched_off(self) -> dict[str, frozenset[str]]:
        """recipient -> the kinds they switched off (only those who switched any)."""
        with self.reading() as tx:
            rows = tx.rows("SELECT recipient, off FROM {choices}")
        return {
            row["recipient"]: frozenset(from_json(row["off"])) for row in rows if row["off"] != "[]"
        }

    def _where(self, condition: str, order: str, limit: int = 500) -> list[dict[str, Any]]:
        with self.reading() as tx:
            rows = tx.rows(
                f"SELECT * FROM {{notifications}} WHERE {condition} ORDER BY {order} LIMIT :limit",
                limit=limit,
            )
        return [{**row, "addresses": from_json(row["addresses"])} for row in rows]
