"""The follower's usual pass brings every view to the head of the log in ONE
transaction (projections/engine/follower.py), each view's rows with its own tracking,
instead of one transaction per view; a view another writer holds is left to it, and
the others still go together."""

from __future__ import annotations

from projections import NAMES, Projections
from projections.engine.follower import Follower
from projections.engine.locks import ViewLocks
from tests.support.api import activity
from tests.support.projections import replayed
from tests.support.worlds import busy_world


def counting_transactions(projections: Projections, monkeypatch) -> list[str]:
    """The views whose batch transactions are opened, in order."""
    opened: list[str] = []
    for name, view in projections.views.items():
        original = view.batch_transaction

        def counted(name=name, original=original):
            opened.append(name)
            return original()

        monkeypatch.setattr(view, "batch_transaction", counted)
    return opened


def test_a_pass_applies_every_view_in_one_transaction(api, world, ledger, monkeypatch):
    busy_world(api, world)
    followed = Projections(ledger, namespace="pass_")
    assert Follower(followed).catch_up()
    allocation_id = world["allocation"]["id"]
    api.post(f"/api/allocations/{allocation_id}/activities", activity(units=4))
    api.post(f"/api/allocations/{allocation_id}/activities", activity(team_member="ben"))
    opened = counting_transactions(followed, monkeypatch)
    assert Follower(followed).catch_up()
    assert len(opened) == 1
    assert followed.positions() == dict.fromkeys(NAMES, api.log_size())
    assert followed.dump() == replayed(ledger).dump()


def test_a_view_held_by_another_writer_is_left_and_the_others_go_together(
    api, world, ledger, monkeypatch
):
    followed = Projections(ledger, namespace="held_")
    assert Follower(followed).catch_up()
    api.post(f"/api/allocations/{world['allocation']['id']}/activities", activity(units=4))
    opened = counting_transactions(followed, monkeypatch)
    with ViewLocks(ledger.factory.datastore, "held_").hold("usage") as held:
        assert held
        assert not Follower(followed).catch_up()
    assert len(opened) == 1
    positions = followed.positions()
    assert positions.pop("usage") < api.log_size()
    assert positions == dict.fromkeys(set(NAMES) - {"usage"}, api.log_size())
