"""What the service tells people, and when: the kinds of notice, the facts each is
planned from, and the notice itself with its deterministic id. Planning them is in
notice_planning.py; recording and sending them once in docs/explanation/notifications.md.

A notice is one message to one recipient: a member (by handle), BD (the addresses of
NOTIFY_BD_EMAILS) or the team's Slack channel. Its id is derived from its kind, what it
is about (`subject`), the span of time it covers (`period`) and its recipient, so
planning the same notice again, in any process, on any day, gives the same id: the event
store refuses a second notification stream with it, which is what makes a notice "once".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

NOTICE_NAMESPACE = uuid5(NAMESPACE_URL, "urn:community-enablement:notice")
BD = "bd"
"""The recipient standing for BD's addresses (NOTIFY_BD_EMAILS)."""
TEAM_CHANNEL = "slack"
"""The recipient standing for the team's Slack channel (SLACK_WEBHOOK_URL)."""


class Kind(StrEnum):
    MISSING_TIME = "missing_time"
    LATE_SOON = "late_soon"
    BUDGET_THRESHOLD = "budget_threshold"
    ENDING_UNUSED = "ending_unused"
    WEEKLY_DIGEST = "weekly_digest"

    @property
    def title(self) -> str:
        """How the settings page and the messages name the kind."""
        return KIND_TITLES[self]


KIND_TITLES = {
    Kind.MISSING_TIME: "Missing time on an allocation you provide",
    Kind.LATE_SOON: "Work days about to turn late",
    Kind.BUDGET_THRESHOLD: "An allocation crossed a share of its units",
    Kind.ENDING_UNUSED: "An allocation ends soon with units unused",
    Kind.WEEKLY_DIGEST: "Weekly digest of your reports' late and silent work",
}


@dataclass(frozen=True)
class Notice:
    """One message due to one recipient. `facts`: what the message says (plain JSON
    values: strings and numbers), recorded with the notification."""

    kind: Kind
    subject: str
    period: str
    recipient: str
    facts: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def id(self) -> UUID:
        return notice_id(self.kind, self.subject, self.period, self.recipient)


def notice_id(kind: Kind | str, subject: str, period: str, recipient: str) -> UUID:
    return uuid5(NOTICE_NAMESPACE, f"{kind}|{subject}|{period}|{recipient}")


@dataclass(frozen=True)
class NoticeRules:
    """The thresholds and days the planning keeps to (NOTIFY_* settings)."""

    quiet_days: int = 7
    """Missing time: working days with nothing recorded on an active allocation."""
    late_soon_days: int = 3
    """Late soon: how many days before a work day turns late its reminder goes."""
    thresholds: tuple[int, ...] = (80, 100)
    """Budget thresholds: percentages of an allocation's units."""
    ending_days: int = 14
    """Ending with hours unused: how many days before its end."""
    ending_unused_percent: int = 25
    """Ending with hours unused: more than this share of its units unused."""
    digest_weekday: int = 0
    """Weekly digest: the day of the week it goes (0: Monday)."""
    digest_hour: int = 8
    """Weekly digest: from this hour of that day (NOTIFY_TIMEZONE)."""


@dataclass(frozen=True)
class MemberFacts:
    handle: str
    line_manager: str
    started_on: date
    departed_on: date | None = None


@dataclass(frozen=True)
class AllocationFacts:
    """An allocation as the planning needs it. `provider_last_day`: the latest last day
    (`date_to`) of the provider's live activities on it, None when they recorded none."""

    id: str
    engagement_id: str
    provider: str | None
    start: date
    end: date
    units: int
    units_used: int
    cancelled_on: date | None = None
    provider_last_day: date | None = None


@dataclass(frozen=True)
class WorkFacts:
    """One live activity of the recent past: who, on what, which days, and when it was
    recorded (in NOTIFY_TIMEZONE)."""

    allocation_id: str
    member: str
    date_from: date
    date_to: date
    recorded_on: date
    late: bool = False


@dataclass(frozen=True)
class PlanningFacts:
    """What planning a day's notices reads: the team, the allocations and the recent
    work (projections/reports/notices.py gathers them from the read models)."""

    members: tuple[MemberFacts, ...]
    allocations: tuple[AllocationFacts, ...]
    work: tuple[WorkFacts, ...]
