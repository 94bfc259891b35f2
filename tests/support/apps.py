"""Closing an app a test made: its background threads first, then its ledger."""

from __future__ import annotations

from flask import Flask

from service.web.http.runtime import runtime


def close_app(app: Flask) -> None:
    """Stop the workers the app started (projection follower, heartbeat, PDF renderer,
    HubSpot follower and poll), each waiting for the statement in hand, then close the
    ledger. Closing only the ledger leaves those threads writing to the test's
    PostgreSQL schema while the fixture drops it: a deadlock CI has seen."""
    with app.app_context():
        runtime().close()
