"""`flask --app wsgi worker run`: the background work of the whole deployment in one
process (service/workers.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click
from flask.cli import AppGroup

from service.workers import WORKER_POLL_SECONDS, run_worker_process

if TYPE_CHECKING:
    from service.runtime import Runtime


def worker_cli(runtime: Runtime) -> AppGroup:
    group = AppGroup("worker", help="The background work: read models, checkpoints, HubSpot.")

    @group.command("run")
    @click.option(
        "--poll",
        default=WORKER_POLL_SECONDS,
        show_default=True,
        help="seconds between the projection follower's looks at the log "
        "(the fallback when woken by each commit)",
    )
    def run(poll: float) -> None:
        """Run every background worker (projection follower, checkpoints, HubSpot
        deal details) until SIGTERM or Ctrl-C; the web processes run none."""
        run_worker_process(runtime, poll)

    return group
