"""The notifier: plans what is due now, records each notice once in the log, and sends
what is recorded and due, each attempt claimed in the log first
(docs/explanation/notifications.md). Any number of notifiers may run at once, and one may
be killed anywhere: the log decides which attempt is whose.

1. Plan (service/domain/notice_planning.py) over the read models, leaving out the kinds
   each recipient switched off and the recipients no channel reaches (no mail server, no
   address, no webhook): those are what `preview` and /review show as not sent.
2. Record each as a `Notification` whose id is the notice's: a second record of it, here
   or in another process, is refused by the store and changes nothing.
3. Send each notification due, those planned now and those the read model says are
   (recorded and never tried, failed and past its wait, or
   claimed by a sender whose claim ran out): claim the attempt (one claim per version
   wins), send, then mark it sent, or failed with its next try after a doubling wait,
   or, after NOTIFY_MAX_ATTEMPTS, given up.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from projections import Projections
from projections.reports.notices import due_notification_ids, planning_facts, switched_off
from projections.reports.queries import team_members
from service.application import Ledger
from service.domain.notice_planning import plan_notices
from service.domain.notices import BD, TEAM_CHANNEL, Kind, Notice
from service.domain.notification import Notification
from service.infra.mail import ChannelError, MailChannel
from service.infra.notify_settings import NotifySettings
from service.infra.slack import SlackChannel
from service.notify.messages import email_message, message_of, slack_text
from service.notify.unsubscribe import UnsubscribeLinks

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Planned:
    """A notice due now, and where it would go: (channel, addresses), or None when no
    channel reaches its recipient (then it is shown, not sent)."""

    notice: Notice
    route: tuple[str, list[str]] | None


@dataclass
class Pass:
    """What one pass did, for `notify run --once` and the logs."""

    recorded: int = 0
    sent: int = 0
    failed: int = 0
    unreachable: list[Notice] = field(default_factory=list)


class Notifier:
    def __init__(
        self,
        ledger: Ledger,
        projections: Projections,
        settings: NotifySettings,
        *,
        public_url: str,
        secret_key: str,
    ):
        self.ledger = ledger
        self.projections = projections
        self.settings = settings
        self.public_url = public_url
        self.links = UnsubscribeLinks(secret_key, public_url)
        timeout = settings.claim_seconds / 2
        self.mail = MailChannel(settings.mail, timeout) if settings.mail.host else None
        self.slack = (
            SlackChannel(settings.slack_webhook_url, timeout)
            if settings.slack_webhook_url
            else None
        )

    def plan(self, now: datetime) -> list[Planned]:
        """The notices due at `now`, but those their recipients switched off."""
        zone = self.settings.zone
        facts = planning_facts(self.projections, now, zone)
        local = now.astimezone(zone).replace(tzinfo=None)
        off = switched_off(self.projections)
        emails = {m.handle: m.email for m in team_members(self.projections).values()}
        return [
            Planned(notice, self._route(notice, emails))
            for notice in plan_notices(facts, local, self.settings.rules)
            if str(notice.kind) not in off.get(notice.recipient, frozenset())
        ]

    def run_once(self, now: datetime | None = None) -> Pass:
        """Record what is due now, then send every notification due."""
        now = now or datetime.now(UTC)
        done = Pass()
        planned_ids: list[UUID] = []
        for planned in self.plan(now):
            if planned.route is None:
                done.unreachable.append(planned.notice)
                continue
            channel, addresses = planned.route
            if self.ledger.record_notification(
                planned.notice, channel=channel, addresses=addresses
            ):
                done.recorded += 1
            planned_ids.append(planned.notice.id)
        # What is planned now is looked at in the log whether or not this pass recorded
        # it (one recorded by a notifier killed before sending it); the read model adds
        # the earlier ones still due (a retry), whatever it has yet to take in.
        due = dict.fromkeys([*planned_ids, *map(UUID, due_notification_ids(self.projections, now))])
        for notification_id in due:
            outcome = self.send(notification_id, now)
            if outcome is not None:
                setattr(done, outcome, getattr(done, outcome) + 1)
        return done

    def send(self, notification_id: UUID, now: datetime) -> str | None:
        """Claim and send one notification: "sent", "failed", or None when it was not
        this sender's to send (not due, or claimed by another)."""
        claimed = self.ledger.claim_notification(
            notification_id, now=now, hold=timedelta(seconds=self.settings.claim_seconds)
        )
        if claimed is None:
            return None
        notification, attempt = claimed
        try:
            self._deliver(notification, now)
        except ChannelError as error:
            retry_at = None
            if attempt < self.settings.max_attempts:
                retry_at = now + timedelta(seconds=self.settings.retry_seconds * 2 ** (attempt - 1))
            log.warning("notify: %s attempt %d failed: %s", notification_id, attempt, error)
            self.ledger.notification_failed(notification, attempt, str(error), retry_at)
            return "failed"
        self.ledger.notification_sent(notification, attempt)
        return "sent"

    def _deliver(self, notification: Notification, now: datetime) -> None:
        kind = Kind(notification.kind)
        message = message_of(kind, notification.facts)
        if notification.channel == "slack":
            if self.slack is None:
                raise ChannelError("SLACK_WEBHOOK_URL is not set")
            self.slack.send(slack_text(message, self.public_url))
            return
        if self.mail is None:
            raise ChannelError("MAIL_SMTP_HOST is not set")
        self.mail.send(
            email_message(
                message,
                notification_id=notification.id,
                sender=self.settings.mail.sender,
                to=notification.addresses,
                public_url=self.public_url,
                unsubscribe_url=self.links.url(notification.recipient, kind),
                moment=now,
            )
        )

    def _route(self, notice: Notice, emails: dict[str, Any]) -> tuple[str, list[str]] | None:
        if notice.recipient == TEAM_CHANNEL:
            return ("slack", [TEAM_CHANNEL]) if self.slack else None
        if self.mail is None:
            return None
        if notice.recipient == BD:
            return ("mail", list(self.settings.bd_emails)) if self.settings.bd_emails else None
        email = emails.get(notice.recipient)
        return ("mail", [email]) if email else None
