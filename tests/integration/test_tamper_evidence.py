"""Tamper evidence, on both stores: whoever edits the event store directly — changes
one event's stored bytes, deletes a row, swaps two rows' states, rewrites the log and
rebuilds the tree to match, forges a checkpoint or a tree node — is caught by
`flask --app wsgi audit verify`, which exits non-zero naming the first position at
fault; an untouched log verifies, exit 0."""

from __future__ import annotations

import re

import pytest
from eventsourcing.persistence import IntegrityError, StoredEvent
from eventsourcing.sqlite import SQLiteApplicationRecorder

from projections.engine.freshness import await_position
from service.infra.signing import create_key_file
from service.web.http.runtime import runtime
from tests.support.api import activity
from tests.support.raw_store import Store

VERIFIED = re.compile(r"^(\d+) events, root ([0-9a-f]{64}), (\d+) checkpoints consistent$", re.M)
EMPTY_LEAF = "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"


@pytest.fixture
def app_env(tmp_path) -> dict[str, str]:
    key = tmp_path / "signing.pem"
    create_key_file(key)
    return {
        "CHECKPOINT_SIGNING_KEY_FILE": str(key),
        "CHECKPOINT_ORIGIN": "ces.test/log",
        "PROJECTIONS_WAIT_SECONDS": "30",  # reads wait for the tree even on a loaded machine
    }


def recorded_history(api, world, app) -> list[int]:
    """Activities recorded with checkpoints taken along the way; the positions of the
    activities, once the tree has taken in the whole log."""
    allocation_id = world["allocation"]["id"]
    positions = []
    for n, units in enumerate((2, 3, 5, 1, 8, 2, 3)):
        written = api.post(
            f"/api/allocations/{allocation_id}/activities",
            activity(units=units, description=f"work {n}"),
        )
        assert written.status_code == 201, written.json
        positions.append(written.json["position"])
        if n % 3 == 0:
            assert api.get("/api/audit/checkpoint").status_code == 200
    assert api.get("/api/audit/checkpoint").json["size"] == api.log_size()
    with app.app_context():
        served = runtime().projections()
        await_position(served, ["merkle"], served.head(), timeout=60)
    return positions


def verify(app):
    return app.test_cli_runner().invoke(args=["audit", "verify"])


def problems(result) -> str:
    """What `audit verify` printed on stderr after its progress bar, first problem first."""
    assert result.exit_code == 1, result.output
    lines = result.stderr.splitlines()
    return "\n".join(line for line in lines if line.strip() and not line.startswith("verifying"))


def test_an_untouched_log_verifies(api, world, app):
    recorded_history(api, world, app)
    result = verify(app)
    assert result.exit_code == 0, result.output
    events, root, checkpoints = VERIFIED.search(result.stdout).groups()
    latest = api.get("/api/audit/checkpoint").json
    assert (int(events), root) == (api.log_size(), latest["root"])
    assert int(checkpoints) == api.get("/api/audit/checkpoints").json["total"] >= 3
    assert "verifying" in result.stderr  # the progress bar, on stderr


def test_a_changed_event_is_named_by_its_position(api, world, ledger, app):
    positions = recorded_history(api, world, app)
    store = Store(ledger)
    target = positions[3]
    state = store.state(target)
    assert b'"units":1' in state
    store.set_state(target, state.replace(b'"units":1', b'"units":8'))
    result = verify(app)
    assert result.exit_code == 1
    assert problems(result).startswith(f"position {target}: the stored event is not the one")
    assert "changed" in result.stderr


def test_a_deleted_event_is_named_by_its_position(api, world, ledger, app):
    positions = recorded_history(api, world, app)
    Store(ledger).delete(positions[2])
    result = verify(app)
    assert problems(result).startswith(f"position {positions[2]}: ")
    assert "removed" in problems(result).splitlines()[0]


def test_the_last_event_deleted_is_named_too(api, world, ledger, app):
    recorded_history(api, world, app)
    last = api.log_size()
    Store(ledger).delete(last)
    result = verify(app)
    assert problems(result).startswith(f"position {last}: ")
    assert "removed" in problems(result).splitlines()[0]


def test_two_swapped_states_name_the_first_of_them(api, world, ledger, app):
    positions = recorded_history(api, world, app)
    store = Store(ledger)
    early, late = positions[1], positions[5]
    early_state, late_state = store.state(early), store.state(late)
    store.set_state(early, late_state)
    store.set_state(late, early_state)
    result = verify(app)
    assert problems(result).startswith(f"position {early}: ")


def test_a_log_rewritten_with_its_tree_fails_against_the_signed_checkpoints(
    api, world, ledger, app
):
    positions = recorded_history(api, world, app)
    sizes = [c["size"] for c in api.get("/api/audit/checkpoints").json["items"]]
    store = Store(ledger)
    target = positions[-1]
    store.set_state(target, store.state(target).replace(b'"units":3', b'"units":30'))
    rebuilt = app.test_cli_runner().invoke(args=["projections", "rebuild", "merkle"])
    assert rebuilt.exit_code == 0, rebuilt.output
    assert api.get("/api/audit/checkpoints").json["total"] == len(sizes)  # never dropped
    result = verify(app)
    before = max(size for size in sizes if size < target)
    assert problems(result).startswith(f"position {before + 1}: the checkpoint of size ")
    assert f"from position {before + 1} to {min(s for s in sizes if s >= target)}" in (
        result.stderr
    )


def test_a_forged_checkpoint_or_tree_node_is_found(api, world, ledger, app):
    recorded_history(api, world, app)
    with app.app_context():
        view = runtime().projections().view("merkle")
    store = Store(ledger)
    checkpoints = view.table("checkpoints")
    store.run(f"UPDATE {checkpoints} SET signature = ? WHERE size = ?", "A" * 88, api.log_size())
    result = verify(app)
    assert f"the checkpoint of size {api.log_size()}" in problems(result)
    assert "signature does not verify" in result.stderr

    api.get("/api/audit/checkpoint")  # stored already for this size: it stays forged
    store.run(
        f"UPDATE {view.table('nodes')} SET hash = ? WHERE level = 1 AND idx = 1", b"\x00" * 32
    )
    result = verify(app)
    assert "the stored tree node at level 1, index 1 (positions 3 to 4)" in problems(result)


def test_a_position_the_store_refused_is_an_empty_leaf(api, world, ledger, app):
    """On PostgreSQL an insert the store refuses still uses up its position: the tree
    takes it in as an empty leaf, so leaf i stays position i + 1."""
    first = ledger.recorder.select_notifications(start=1, limit=1)[0]
    duplicate = StoredEvent(
        first.originator_id, first.originator_version, first.topic, bytes(first.state)
    )
    with pytest.raises(IntegrityError):
        ledger.recorder.insert_events([duplicate])
    before = api.log_size()
    api.post(f"/api/allocations/{world['allocation']['id']}/activities", activity())
    recorded_history(api, world, app)
    positions = [n.id for n in ledger.recorder.select_notifications(start=1, limit=10_000)]
    missing = sorted(set(range(1, api.log_size() + 1)) - set(positions))
    if not isinstance(ledger.recorder, SQLiteApplicationRecorder):
        assert missing == [before + 1]
    for position in missing:
        served = api.get("/api/audit/proof/inclusion", position=position, size=api.log_size())
        assert served.json["leaf_hash"] == EMPTY_LEAF
    result = verify(app)
    assert result.exit_code == 0, result.output
    assert VERIFIED.search(result.stdout).group(1) == str(api.log_size())


def test_a_changed_version_or_an_unreadable_record_is_named(api, world, ledger, app):
    positions = recorded_history(api, world, app)
    store = Store(ledger)
    store.run(
        f"UPDATE {store.events} SET originator_version = originator_version + 1000 "
        f"WHERE {store.position} = ?",
        positions[4],
    )
    assert problems(verify(app)).startswith(f"position {positions[4]}: ")
    if store.sqlite:  # a PostgreSQL column holds only a UUID
        store.run(
            f"UPDATE {store.events} SET originator_id = 'not-an-id' WHERE {store.position} = ?",
            positions[2],
        )
        reported = problems(verify(app))
        assert reported.startswith(f"position {positions[2]}: the first stored record after")
        assert "cannot be read" in reported
