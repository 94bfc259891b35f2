"""HubSpot: Closed-Won deals become engagements, and their details follow.

`HubSpotIntegration` is built by the composition root (service/bootstrap.py) with the
settings and a way to reach the process's ledger; `install` adds the webhook route and
the `hubspot` CLI group. With an access token configured it also has a follower that
fetches deal details, which the composition root starts (and stops at exit, so a
process never ends in the middle of a ledger write); with the portal id as well, the
reconciliation poll (poll.py), whose worker `poll_worker()` makes for one process.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask

from integrations.hubspot.cli import hubspot_cli
from integrations.hubspot.follower import DealFollower, build_follower
from integrations.hubspot.poll import DealPoll, PollWorker, build_poll, build_poll_worker
from integrations.hubspot.webhook import webhook_blueprint
from service.application import Ledger
from service.infra.config import HubSpotSettings


class HubSpotIntegration:
    def __init__(self, settings: HubSpotSettings, ledger: Callable[[], Ledger]):
        self.settings = settings
        self.ledger = ledger
        self.follower: DealFollower | None = (
            build_follower(ledger, settings) if settings.access_token else None
        )
        self.polling = settings.polling

    def poll(self, **options: Any) -> DealPoll:
        """A poll to run now (`flask hubspot poll`, tests); needs `polling`."""
        return build_poll(self.ledger, self.settings, self.deals_recorded, **options)

    def poll_worker(self, **options: Any) -> PollWorker:
        """The worker that polls every HUBSPOT_POLL_MINUTES; needs `polling`. Run it in
        one process: each process running one searches HubSpot on its own."""
        return build_poll_worker(self.ledger, self.settings, self.deals_recorded, **options)

    def install(self, app: Flask) -> None:
        app.register_blueprint(webhook_blueprint(self))
        app.cli.add_command(hubspot_cli(self))
        app.extensions["hubspot"] = self

    def deals_recorded(self) -> None:
        """New deals are in the log: have the follower fetch their details now."""
        if self.follower is not None:
            self.follower.wake()
