"""What /review shows of notifications: those the sender gave up on, and the notices due
now that no channel reaches (no mail server, no address, no webhook), i.e. what would
have been sent (docs/explanation/notifications.md)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from projections.reports.notices import given_up_notifications
from service.web.http.reads import read_fresh
from service.web.http.runtime import runtime


def notifications_to_review() -> dict[str, Any]:
    unsent = [
        planned.notice
        for planned in runtime().notifier().plan(datetime.now(UTC))
        if planned.route is None
    ]
    return {
        "given_up": read_fresh(given_up_notifications, None),
        "unsent": unsent,
        "channels": runtime().settings.notify.channels,
    }
