"""Notifications once across real processes (docs/explanation/notifications.md), on
PostgreSQL with gunicorn and its worker keeping the read models: a `notify run --once`
SIGKILLed after recording and claiming, while its mail server never answers; then two
`notify run --once` at the same time against a real SMTP server (aiosmtpd); then, once
the killed claim has run out, one more. The SMTP server receives every notification
recorded exactly once, and the log says each was sent."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator

import pytest

from tests.support.mail_and_slack import SmtpSink
from tests.support.servers import BIN, ROOT, Client, Service, days_ago, wait_until

CLAIM_SECONDS = 20
"""How long the killed notifier's claim holds (its send times out after half)."""


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    sink = SmtpSink().start()
    yield sink
    sink.stop()


@pytest.fixture
def silent_mail_server() -> Iterator[int]:
    """A port that accepts connections and never says a word: a send hangs there."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield listener.getsockname()[1]


def notify(service: Service, smtp_port: int) -> subprocess.Popen:
    env = {
        **os.environ,
        **service.env,
        "MAIL_SMTP_HOST": "127.0.0.1",
        "MAIL_SMTP_PORT": str(smtp_port),
        "MAIL_SMTP_STARTTLS": "false",
        "MAIL_FROM": "ledger@example.org",
        "NOTIFY_CLAIM_SECONDS": str(CLAIM_SECONDS),
    }
    return subprocess.Popen(
        [str(BIN / "flask"), "--app", "wsgi", "notify", "run", "--once"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def events(admin: Client, event_type: str) -> list[dict]:
    answer = admin.get("/api/audit/events", event_type=event_type, limit=1000)
    assert answer.status_code == 200, answer.text
    return answer.json()["items"]


def seed(admin: Client) -> None:
    """Ana and Ben, with addresses, each providing an allocation 80 % used and quiet for
    30 days: budget and missing-time notices are due for both."""
    engagement = admin.created(
        "/api/engagements",
        {
            "name": "Once",
            "community": "e2e",
            "description": "notifications",
            "start_date": days_ago(90),
            "end_date": days_ago(-90),
        },
    )
    for handle in ("ana", "ben"):
        admin.created(
            "/api/team-members",
            {
                "handle": handle,
                "name": handle.title(),
                "fte": "1",
                "line_manager": "lee",
                "effective_date": days_ago(400),
                "email": f"{handle}@example.org",
            },
        )
        project = admin.created(
            f"/api/engagements/{engagement['id']}/projects", {"name": handle, "outcome": "o"}
        )
        allocation = admin.created(
            f"/api/projects/{project['id']}/allocations",
            {
                "start_date": days_ago(60),
                "end_date": days_ago(-30),
                "units": 10,
                "description": "hours",
                "provider": handle,
            },
        )
        recorded = admin.created(
            f"/api/allocations/{allocation['id']}/activities",
            {
                "team_member": handle,
                "units": 8,
                "description": "work",
                "date_from": days_ago(30),
                "date_to": days_ago(30),
            },
        )
    shown = admin.get(f"/api/allocations/{allocation['id']}", min_position=recorded["position"])
    assert shown.status_code == 200, shown.text


def test_each_notification_reaches_the_mail_server_once_across_a_kill_and_two_notifiers(
    service: Service, admin: Client, smtp: SmtpSink, silent_mail_server: int
):
    seed(admin)

    killed = notify(service, silent_mail_server)
    wait_until(lambda: events(admin, "NotificationClaimed"), 60, "the first claim")
    killed.send_signal(signal.SIGKILL)
    killed.wait(30)
    recorded = events(admin, "NotificationRecorded")
    assert len(recorded) >= 4 and len(events(admin, "NotificationClaimed")) == 1
    assert events(admin, "NotificationSent") == []

    both = [notify(service, smtp.port) for _ in range(2)]
    for process in both:
        _, errors = process.communicate(timeout=120)
        assert process.returncode == 0, errors
    ids = smtp.message_ids()
    assert len(ids) == len(set(ids)) == len(recorded) - 1, ids  # the killed claim still holds

    time.sleep(CLAIM_SECONDS + 1)  # the killed notifier's claim runs out
    last = notify(service, smtp.port)
    _, errors = last.communicate(timeout=120)
    assert last.returncode == 0, errors

    ids = smtp.message_ids()
    assert len(ids) == len(set(ids)) == len(recorded), ids
    sent = {event["stream_id"] for event in events(admin, "NotificationSent")}
    assert sent == {event["stream_id"] for event in recorded}
    assert {f"<{stream}@example.org>" for stream in sent} == set(ids)
