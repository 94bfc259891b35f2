"""`flask --app wsgi notify preview | run --once`: what is due now, and sending it
(service/notify/outbox.py). The worker process (`worker run`) runs the same passes on
its own; these are for a look, a cron job, or a deployment without one."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime

import click
from flask.cli import AppGroup

from service.notify.outbox import Notifier


def notify_cli(make_notifier: Callable[[], Notifier], interval_seconds: float) -> AppGroup:
    group = AppGroup("notify", help="Reminders and alerts: preview what is due, send it.")

    @group.command("preview")
    def preview() -> None:
        """Print each notice due now, one JSON object a line, without recording or
        sending anything; `route` null: no channel reaches its recipient."""
        for planned in make_notifier().plan(datetime.now(UTC)):
            notice = planned.notice
            line = {
                "id": str(notice.id),
                "kind": str(notice.kind),
                "subject": notice.subject,
                "period": notice.period,
                "recipient": notice.recipient,
                "route": None if planned.route is None else list(planned.route),
            }
            click.echo(json.dumps(line))

    @group.command("run")
    @click.option("--once", is_flag=True, help="one pass, then exit")
    def run(once: bool) -> None:
        """Record what is due now and send every notification due; with --once a single
        pass, else one every NOTIFY_INTERVAL_SECONDS until Ctrl-C."""
        notifier = make_notifier()
        while True:
            done = notifier.run_once()
            click.echo(
                f"notify: {done.recorded} recorded, {done.sent} sent, {done.failed} failed, "
                f"{len(done.unreachable)} due with no channel to reach them"
            )
            if once:
                return
            time.sleep(interval_seconds)

    return group
