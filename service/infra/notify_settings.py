"""The notification settings (docs/reference/settings.md, Notifications): when each kind
is due (NOTIFY_*), the mail server (MAIL_*) and the Slack webhook (SLACK_WEBHOOK_URL).
Read with the other settings at start-up, each wrong one named (config.py)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from email.headerregistry import Address
from urllib.parse import urlparse
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from service.domain.notices import NoticeRules
from service.infra.env_reader import EnvReader


@dataclass(frozen=True)
class MailSettings:
    """The SMTP server mail goes through; no host: no mail."""

    host: str | None = None
    port: int = 587
    starttls: bool = True
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    sender: str = "ces@localhost"


@dataclass(frozen=True)
class NotifySettings:
    rules: NoticeRules = field(default_factory=NoticeRules)
    timezone: str = "UTC"
    bd_emails: tuple[str, ...] = ()
    mail: MailSettings = field(default_factory=MailSettings)
    slack_webhook_url: str | None = field(default=None, repr=False)
    interval_seconds: float = 60.0
    """How often the worker plans and sends."""
    max_attempts: int = 5
    """Sends of one notification before it is given up (shown on /review and /metrics)."""
    retry_seconds: float = 60.0
    """The wait after a first failed send, doubled after each next one."""
    claim_seconds: float = 120.0
    """How long a worker holds a notification it is sending; the send's timeout is half."""

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def channels(self) -> tuple[str, ...]:
        """The channels configured: "mail" with an SMTP host, "slack" with a webhook."""
        return tuple(
            name for name, on in (("mail", self.mail.host), ("slack", self.slack_webhook_url)) if on
        )

    @classmethod
    def from_environment(cls, env: Mapping[str, str], problems: list[str]) -> NotifySettings:
        read = EnvReader(env, problems)

        def days(name: str, default: int, high: int = 60) -> int:
            return read.whole(name, default, low=1, high=high, unit="days")

        rules = NoticeRules(
            quiet_days=days("NOTIFY_QUIET_DAYS", NoticeRules.quiet_days),
            late_soon_days=days("NOTIFY_LATE_SOON_DAYS", NoticeRules.late_soon_days, high=14),
            thresholds=_thresholds(read, problems),
            ending_days=days("NOTIFY_ENDING_DAYS", NoticeRules.ending_days),
            ending_unused_percent=read.whole(
                "NOTIFY_ENDING_UNUSED_PERCENT",
                NoticeRules.ending_unused_percent,
                low=0,
                high=99,
                unit="percent",
            ),
            digest_hour=read.whole(
                "NOTIFY_DIGEST_HOUR", NoticeRules.digest_hour, low=0, high=23, unit="hours"
            ),
        )
        timezone = read.text("NOTIFY_TIMEZONE") or cls.timezone
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            problems.append(f"NOTIFY_TIMEZONE: must be an IANA time zone, not {timezone!r}")
            timezone = cls.timezone
        return cls(
            rules=rules,
            timezone=timezone,
            bd_emails=tuple(_addresses(read, "NOTIFY_BD_EMAILS", problems)),
            mail=_mail(read, problems),
            slack_webhook_url=_url(read, "SLACK_WEBHOOK_URL", problems),
            interval_seconds=read.seconds(
                "NOTIFY_INTERVAL_SECONDS", cls.interval_seconds, low=0.1, high=86400
            ),
            max_attempts=read.whole(
                "NOTIFY_MAX_ATTEMPTS", cls.max_attempts, low=1, high=50, unit="attempts"
            ),
            retry_seconds=read.seconds(
                "NOTIFY_RETRY_SECONDS", cls.retry_seconds, low=0.1, high=86400
            ),
            claim_seconds=read.seconds("NOTIFY_CLAIM_SECONDS", cls.claim_seconds, low=1, high=3600),
        )


def _mail(read: EnvReader, problems: list[str]) -> MailSettings:
    sender = read.text("MAIL_FROM") or MailSettings.sender
    if not is_address(sender):
        problems.append(f"MAIL_FROM: must be an email address, not {sender!r}")
    return MailSettings(
        host=read.text("MAIL_SMTP_HOST") or None,
        port=read.whole("MAIL_SMTP_PORT", MailSettings.port, low=1, high=65535, unit="port"),
        starttls=read.flag("MAIL_SMTP_STARTTLS", MailSettings.starttls),
        user=read.text("MAIL_SMTP_USER") or None,
        password=read.env.get("MAIL_SMTP_PASSWORD") or None,
        sender=sender,
    )


def _thresholds(read: EnvReader, problems: list[str]) -> tuple[int, ...]:
    text = read.text("NOTIFY_BUDGET_THRESHOLDS")
    if not text:
        return NoticeRules.thresholds
    parts = [part.strip() for part in text.split(",")]
    if all(p.isascii() and p.isdigit() and 1 <= int(p) <= 1000 for p in parts):
        return tuple(sorted({int(p) for p in parts}))
    problems.append(
        "NOTIFY_BUDGET_THRESHOLDS: must be percentages (1 to 1000) separated by commas, "
        f"e.g. 80,100, not {text!r}"
    )
    return NoticeRules.thresholds


def _addresses(read: EnvReader, name: str, problems: list[str]) -> list[str]:
    listed = [part.strip() for part in read.text(name).split(",") if part.strip()]
    wrong = [address for address in listed if not is_address(address)]
    if wrong:
        problems.append(f"{name}: must be email addresses separated by commas, not {wrong!r}")
    return [address for address in listed if address not in wrong]


def _url(read: EnvReader, name: str, problems: list[str]) -> str | None:
    value = read.text(name) or None
    parts = urlparse(value or "")
    if value is not None and (parts.scheme not in ("http", "https") or not parts.netloc):
        problems.append(f"{name}: must be an http:// or https:// URL")
    return value


def is_address(text: str) -> bool:
    """A plain email address (local part @ domain), as a header may carry it."""
    if text.count("@") != 1 or any(c.isspace() or c in '<>,;"' for c in text):
        return False
    try:
        Address(addr_spec=text)
    except (ValueError, IndexError):
        return False
    return True
