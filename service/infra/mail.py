"""Sending one email through the SMTP server of MAIL_SMTP_* (smtplib): STARTTLS when
asked, signing in when a user is given, each send on a connection of its own with a
timeout. A refusal or a connection that fails raises `ChannelError`, which the sender
records as a failed attempt (docs/explanation/notifications.md)."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage

from service.infra.notify_settings import MailSettings


class ChannelError(Exception):
    """A channel did not take a message; the message says why, without secrets."""


class MailChannel:
    def __init__(self, settings: MailSettings, timeout_seconds: float):
        assert settings.host, "mail needs MAIL_SMTP_HOST"
        self.settings = settings
        self.timeout = timeout_seconds

    def send(self, message: EmailMessage) -> None:
        settings = self.settings
        try:
            with smtplib.SMTP(settings.host, settings.port, timeout=self.timeout) as smtp:
                if settings.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if settings.user:
                    smtp.login(settings.user, settings.password or "")
                refused = smtp.send_message(message)
        except (OSError, smtplib.SMTPException) as error:
            raise ChannelError(f"mail to {settings.host}:{settings.port}: {error}") from error
        if refused:
            raise ChannelError(f"the mail server refused {sorted(refused)}")
