"""The notification settings (service/infra/notify_settings.py): defaults, and each
wrong one named at start-up."""

import pytest

from service.domain.notices import NoticeRules
from service.infra.config import ConfigurationError, Settings


def test_by_default_every_kind_is_on_with_the_issue_s_numbers_and_no_channel():
    notify = Settings.from_environment({}).notify
    assert notify.rules == NoticeRules(quiet_days=7, thresholds=(80, 100), ending_days=14)
    assert notify.channels == ()


def test_settings_are_read_into_rules_and_channels():
    notify = Settings.from_environment(
        {
            "NOTIFY_QUIET_DAYS": "5",
            "NOTIFY_BUDGET_THRESHOLDS": "100, 75",
            "NOTIFY_TIMEZONE": "Europe/Berlin",
            "NOTIFY_BD_EMAILS": "bd@example.org, sales@example.org",
            "MAIL_SMTP_HOST": "127.0.0.1",
            "MAIL_SMTP_PORT": "2525",
            "MAIL_SMTP_STARTTLS": "false",
            "MAIL_FROM": "ledger@example.org",
            "SLACK_WEBHOOK_URL": "http://127.0.0.1:9/hook",
        }
    ).notify
    assert (notify.rules.quiet_days, notify.rules.thresholds) == (5, (75, 100))
    assert notify.bd_emails == ("bd@example.org", "sales@example.org")
    assert (notify.mail.port, notify.mail.starttls, notify.mail.sender) == (
        2525,
        False,
        "ledger@example.org",
    )
    assert notify.channels == ("mail", "slack")


@pytest.mark.parametrize(
    "environ, named",
    [
        ({"NOTIFY_QUIET_DAYS": "0"}, "NOTIFY_QUIET_DAYS"),
        ({"NOTIFY_BUDGET_THRESHOLDS": "80,lots"}, "NOTIFY_BUDGET_THRESHOLDS"),
        ({"NOTIFY_TIMEZONE": "Mars/Olympus"}, "NOTIFY_TIMEZONE"),
        ({"NOTIFY_BD_EMAILS": "bd@example.org, not an address"}, "NOTIFY_BD_EMAILS"),
        ({"MAIL_FROM": "nobody"}, "MAIL_FROM"),
        ({"MAIL_SMTP_PORT": "70000"}, "MAIL_SMTP_PORT"),
        ({"SLACK_WEBHOOK_URL": "hooks.slack.com/x"}, "SLACK_WEBHOOK_URL"),
        ({"NOTIFY_DIGEST_HOUR": "24"}, "NOTIFY_DIGEST_HOUR"),
    ],
)
def test_a_wrong_notification_setting_stops_start_up_naming_it(environ, named):
    with pytest.raises(ConfigurationError, match=named):
        Settings.from_environment(environ)
