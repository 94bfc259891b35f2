"""The follower's usual pass brings every view to the head of the log in ONE
transaction (projections/engine/follower.py), each view's rows with its own tracking,
instead of one transaction per view; a view another writer holds is left to it, and
the others still go together."""

from __future__ import annotations

import threading

import psycopg
from eventsourcing.sqlite import SQLiteCursor

from projections import CATALOG, NAMES, Projections
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


READ_MODELS = tuple(name for name, kind in CATALOG.items() if kind.model is not None)
"""The read models on the read-model base (projections/engine/readmodel.py)."""


def counting_statements(monkeypatch) -> list[str]:
    """Every statement this thread sends to either store from now on (`execute`,
    `executemany`; the app's own follower runs in another thread)."""
    sent: list[str] = []
    thread = threading.get_ident()
    for cursor_class in (psycopg.Cursor, SQLiteCursor):
        for method in ("execute", "executemany"):
            original = getattr(cursor_class, method)

            def counted(cursor, *args, _original=original, **kwargs):
                if threading.get_ident() == thread:
                    sent.append(str(args[0] if args else kwargs.get("query")))
                return _original(cursor, *args, **kwargs)

            monkeypatch.setattr(cursor_class, method, counted)
    return sent


def test_a_pass_of_the_read_models_costs_the_same_statements_for_one_event_or_many(
    api, world, ledger, monkeypatch
):
    """The read models fold a batch in memory and write it in a fixed number of
    statements (projections/engine/readmodel.py), after one read of the log for all of
    them: a pass over ten recordings sends what a pass over one does."""
    followed = Projections(ledger, namespace="fixed_", names=READ_MODELS)
    allocation_id = world["allocation"]["id"]
    api.post(f"/api/allocations/{allocation_id}/activities", activity(units=4))
    assert Follower(followed).catch_up()

    def statements_of_a_pass(recordings: int) -> tuple[list[str], int]:
        for _ in range(recordings):
            api.post(f"/api/allocations/{allocation_id}/activities", activity(units=2))
        reads = []
        select = ledger.recorder.select_notifications
        with monkeypatch.context() as patch:
            patch.setattr(
                ledger.recorder,
                "select_notifications",
                lambda *args, **kwargs: (
                    reads.append(threading.get_ident()) or select(*args, **kwargs)
                ),
            )
            sent = counting_statements(patch)
            assert Follower(followed).catch_up()
        return sent, reads.count(threading.get_ident())

    (one, reads_of_one), (ten, reads_of_ten) = statements_of_a_pass(1), statements_of_a_pass(10)
    assert len(one) == len(ten)
    assert reads_of_one == reads_of_ten == 1
    assert followed.positions() == dict.fromkeys(READ_MODELS, api.log_size())
    replay = Projections(ledger, namespace="fixed_replay_", names=READ_MODELS)
    assert Follower(replay).catch_up()
    assert followed.dump() == replay.dump()
