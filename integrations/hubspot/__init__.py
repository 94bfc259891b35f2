"""HubSpot: Closed-Won deals become engagements, and their details follow.

`init_app` adds the webhook route and the `hubspot` CLI group, and, when an access
token is configured, starts the follower that fetches deal details (kept in
`app.extensions["hubspot_follower"]`, so tests can stop it). It is stopped at exit too,
so a process never ends in the middle of a ledger write.
"""

from __future__ import annotations

import atexit

from flask import Flask

from service.api.ledger_access import ledger
from service.ledger import Ledger

from .cli import hubspot
from .follower import build_follower
from .webhook import blp


def init_app(app: Flask) -> None:
    app.register_blueprint(blp)
    app.cli.add_command(hubspot)
    settings = app.extensions["settings"].hubspot
    if settings.access_token:
        follower = build_follower(lambda: _ledger_of(app), settings)
        app.extensions["hubspot_follower"] = follower
        follower.start()
        atexit.register(follower.stop)


def _ledger_of(app: Flask) -> Ledger:
    with app.app_context():
        return ledger()
