"""The read models of an app under test: a fresh set replayed from its log under another
namespace, and the served set once it has caught up with the log."""

from __future__ import annotations

from projections import NAMES, Projections
from projections.engine.follower import Follower
from projections.engine.freshness import await_position
from service.web.http.runtime import runtime


def replayed(ledger, namespace: str = "replay_") -> Projections:
    """A second set of views, filled by one full replay of the log."""
    fresh = Projections(ledger, namespace=namespace)
    assert Follower(fresh).catch_up()
    return fresh


def served_and_caught_up(app) -> Projections:
    """The web process's views, once its follower has brought every one to the end of
    the log (a generous bound, not a timing assertion)."""
    with app.app_context():
        served = runtime().projections()
        await_position(served, NAMES, served.head(), timeout=60)
    return served
