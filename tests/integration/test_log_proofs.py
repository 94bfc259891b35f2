"""The proofs of the log (docs/explanation/audit.md), on both stores, checked by a verifier written
here from RFC 9162's verification algorithms (§2.1.3.2, §2.1.4.2) with `hashlib`
alone, never the service's tree code: leaf hashes recomputed from the stored records,
inclusion proofs for random tree sizes up to 5,000 and for every leaf of small trees,
consistency between random sizes and between every pair of stored checkpoints, each
checkpoint's signature with the served public key, and scripts/verify_statement.py
run as a partner would."""

from __future__ import annotations

import ast
import base64
import hashlib
import json
import random
import subprocess
import sys
import time
import uuid
from functools import cache
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from eventsourcing.domain import Aggregate

from projections.engine.freshness import await_position
from service.infra.signing import create_key_file
from service.web.http.runtime import runtime
from tests.support.api import activity

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "verify_statement.py"
SEED = 9162
BIG = 5_000


@pytest.fixture
def app_env(tmp_path) -> dict[str, str]:
    key = tmp_path / "signing.pem"
    create_key_file(key)
    return {
        "CHECKPOINT_SIGNING_KEY_FILE": str(key),
        "CHECKPOINT_ORIGIN": "ces.test/log",
        "PROJECTIONS_WAIT_SECONDS": "30",  # reads wait for the tree even on a loaded machine
    }


# The independent verifier: RFC 9162, hashlib only.


def h_leaf(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def h_node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def stored_leaf(record) -> bytes:
    """The leaf data of docs/explanation/audit.md, from the stored record."""
    topic = record.topic.encode("utf-8")
    return h_leaf(
        record.originator_id.bytes
        + record.originator_version.to_bytes(8, "big")
        + len(topic).to_bytes(2, "big")
        + topic
        + bytes(record.state)
    )


def tree_root(leaves: tuple[bytes, ...]) -> bytes:
    @cache
    def mth(start: int, end: int) -> bytes:
        if end - start == 1:
            return leaves[start]
        k = 1 << ((end - start - 1).bit_length() - 1)
        return h_node(mth(start, start + k), mth(start + k, end))

    return hashlib.sha256(b"").digest() if not leaves else mth(0, len(leaves))


def verify_inclusion(leaf: bytes, index: int, size: int, path: list[bytes], root: bytes) -> bool:
    """RFC 9162 §2.1.3.2."""
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if fn % 2 == 1 or fn == sn:
            r = h_node(p, r)
            if fn % 2 == 0:
                while fn % 2 == 0 and fn != 0:
                    fn, sn = fn // 2, sn // 2
        else:
            r = h_node(r, p)
        fn, sn = fn // 2, sn // 2
    return sn == 0 and r == root


def verify_consistency(first: int, second: int, old: bytes, new: bytes, path: list[bytes]) -> bool:
    """RFC 9162 §2.1.4.2 (equal sizes: an empty proof and equal roots)."""
    if first == second:
        return not path and old == new
    if not path:
        return False
    if first & (first - 1) == 0:
        path = [old, *path]
    fn, sn = first - 1, second - 1
    while fn % 2 == 1:
        fn, sn = fn // 2, sn // 2
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn % 2 == 1 or fn == sn:
            fr, sr = h_node(c, fr), h_node(c, sr)
            if fn % 2 == 0:
                while fn % 2 == 0 and fn != 0:
                    fn, sn = fn // 2, sn // 2
        else:
            sr = h_node(sr, c)
        fn, sn = fn // 2, sn // 2
    return fr == old and sr == new and sn == 0


# Helpers


def caught_up(app) -> int:
    with app.app_context():
        served = runtime().projections()
        head = served.head()
        await_position(served, ["merkle"], head, timeout=120)
    return head


def stored_leaves(ledger) -> tuple[bytes, ...]:
    """Every position's leaf, recomputed from the stored records."""
    leaves: list[bytes] = []
    position = 0
    while True:
        records = ledger.recorder.select_notifications(
            start=position, limit=1000, inclusive_of_start=False
        )
        if not records:
            return tuple(leaves)
        for record in records:
            assert record.id == len(leaves) + 1, "these tests write a log without gaps"
            leaves.append(stored_leaf(record))
        position = records[-1].id


def grow(ledger, events: int) -> None:
    """Filler events, many to a save (the tree hashes any stored record alike)."""
    while events > 0:
        batch = [Aggregate() for _ in range(min(events, 500))]
        ledger.save(*batch)
        events -= len(batch)


def hexes(values: list[str]) -> list[bytes]:
    return [bytes.fromhex(value) for value in values]


def proof(api, position: int, size: int) -> dict:
    response = api.get("/api/audit/proof/inclusion", position=position, size=size)
    assert response.status_code == 200, response.json
    return response.json


def consistency(api, first: int, second: int) -> list[bytes]:
    response = api.get("/api/audit/proof/consistency", **{"from": first, "to": second})
    assert response.status_code == 200, response.json
    assert (response.json["from"], response.json["to"]) == (first, second)
    return hexes(response.json["path"])


def checkpoint_signature_verifies(api, checkpoint: dict) -> bool:
    pem = api.get("/api/audit/public-key").json["public_key_pem"]
    key = serialization.load_pem_public_key(pem.encode())
    try:
        key.verify(base64.b64decode(checkpoint["signature"]), checkpoint["checkpoint"].encode())
    except Exception:
        return False
    return True


# Tests


def test_leaf_hashes_are_the_stored_records_and_every_small_tree_proves_each_leaf(
    api, world, ledger, app
):
    allocation_id = world["allocation"]["id"]
    for units in (1, 2, 3, 5, 8):
        api.post(f"/api/allocations/{allocation_id}/activities", activity(units=units))
    head = caught_up(app)
    leaves = stored_leaves(ledger)
    page = api.get("/api/audit/events", limit=1000, include_internal="true").json["items"]
    assert [bytes.fromhex(item["leaf_hash"]) for item in page] == list(leaves)
    for size in range(1, min(head, 20) + 1):
        root = tree_root(leaves[:size])
        for position in range(1, size + 1):
            served = proof(api, position, size)
            assert (served["position"], served["size"]) == (position, size)
            assert bytes.fromhex(served["leaf_hash"]) == leaves[position - 1]
            path = hexes(served["path"])
            assert verify_inclusion(leaves[position - 1], position - 1, size, path, root)
            assert not verify_inclusion(leaves[position - 1], position - 1, size, path, b"x" * 32)


def test_proofs_for_random_sizes_up_to_5000_and_consistency_between_checkpoints(
    api, world, ledger, app
):
    chooser = random.Random(SEED)
    for size in (api.log_size(), 64, 100, 1024, 1500, 3001, BIG):
        grow(ledger, size - api.log_size())
        assert api.get("/api/audit/checkpoint").json["size"] == api.log_size() == size
    head = caught_up(app)
    assert head >= BIG
    leaves = stored_leaves(ledger)
    roots: dict[int, bytes] = {}

    def root_of(size: int) -> bytes:
        if size not in roots:
            roots[size] = tree_root(leaves[:size])
        return roots[size]

    started = time.monotonic()
    for _ in range(120):
        size = chooser.randint(1, head)
        position = chooser.randint(1, size)
        served = proof(api, position, size)
        path = hexes(served["path"])
        assert len(path) <= size.bit_length()
        assert bytes.fromhex(served["leaf_hash"]) == leaves[position - 1]
        assert verify_inclusion(leaves[position - 1], position - 1, size, path, root_of(size))
    for _ in range(60):
        second = chooser.randint(1, head)
        first = chooser.randint(1, second)
        path = consistency(api, first, second)
        assert verify_consistency(first, second, root_of(first), root_of(second), path)
        if first < second:
            assert not verify_consistency(first, second, root_of(first), root_of(first), path)

    stored = api.get("/api/audit/checkpoints", limit=500).json
    checkpoints = stored["items"]
    assert stored["total"] == len(checkpoints) >= 5
    assert [c["size"] for c in checkpoints] == sorted(c["size"] for c in checkpoints)
    for checkpoint in checkpoints:
        assert bytes.fromhex(checkpoint["root"]) == root_of(checkpoint["size"])
        assert checkpoint_signature_verifies(api, checkpoint)
    for i, old in enumerate(checkpoints):
        for new in checkpoints[i:]:
            path = consistency(api, old["size"], new["size"])
            assert verify_consistency(
                old["size"],
                new["size"],
                bytes.fromhex(old["root"]),
                bytes.fromhex(new["root"]),
                path,
            )
    assert time.monotonic() - started < 120


def test_the_checkpoint_is_signed_stored_and_made_again_only_when_the_log_grew(
    api, world, ledger, app
):
    first = api.get("/api/audit/checkpoint").json
    lines = first["checkpoint"].split("\n")
    assert lines[0] == "ces.test/log" and lines[1] == str(first["size"]) and lines[3] == ""
    assert first["size"] == api.log_size()
    assert bytes.fromhex(first["root"]) == tree_root(stored_leaves(ledger))
    assert checkpoint_signature_verifies(api, first)
    key = api.get("/api/audit/public-key").json
    assert key["algorithm"] == "Ed25519" and key["key_id"] == first["key_id"]
    assert api.get("/api/audit/checkpoint").json == first  # the log did not grow
    api.post(f"/api/allocations/{world['allocation']['id']}/activities", activity())
    second = api.get("/api/audit/checkpoint").json
    assert second["size"] == api.log_size() > first["size"]
    forged = {**second, "checkpoint": second["checkpoint"].replace("ces.test", "ces.evil")}
    assert not checkpoint_signature_verifies(api, forged)
    assert [c["size"] for c in api.get("/api/audit/checkpoints").json["items"]] == [
        first["size"],
        second["size"],
    ]
    with app.app_context():
        made = runtime().checkpointer().make_checkpoint()
    assert made == second  # what a statement records: the stored checkpoint of this size


@pytest.mark.parametrize(
    "query, status, field",
    [
        ({"position": 0, "size": 3}, 422, "position"),
        ({"position": 1, "size": 0}, 422, "size"),
        ({"position": 4, "size": 3}, 422, "position"),
        ({"position": 1, "size": 10**6}, 404, "size"),
        ({"position": "one", "size": 3}, 422, "position"),
        ({"size": 3}, 422, "position"),
    ],
)
def test_a_bad_inclusion_query_names_its_parameter(api, world, query, status, field):
    response = api.get("/api/audit/proof/inclusion", **query)
    assert response.status_code == status, response.json
    assert field in response.json["errors"]


@pytest.mark.parametrize(
    "query, status, field",
    [
        ({"from": 0, "to": 3}, 422, "from"),
        ({"from": 4, "to": 3}, 422, "from"),
        ({"from": 1, "to": 10**6}, 404, "to"),
        ({"from": 1}, 422, "to"),
    ],
)
def test_a_bad_consistency_query_names_its_parameter(api, world, query, status, field):
    response = api.get("/api/audit/proof/consistency", **query)
    assert response.status_code == status, response.json
    assert field in response.json["errors"]


def test_partners_read_the_key_and_checkpoint_and_proofs_but_not_the_log(api, make_token, world):
    viewer = api.as_(make_token("viewer", engagement_id=uuid.UUID(world["engagement"]["id"])))
    member = api.as_(make_token("member", member="ana"))
    for client in (viewer, member):
        assert client.get("/api/audit/public-key").status_code == 200
        assert client.get("/api/audit/checkpoint").status_code == 200
        assert client.get("/api/audit/checkpoints").status_code == 200
    assert viewer.get("/api/audit/proof/inclusion", position=1, size=1).status_code == 200
    assert viewer.get("/api/audit/proof/consistency", **{"from": 1, "to": 2}).status_code == 200
    assert member.get("/api/audit/proof/inclusion", position=1, size=1).status_code == 403
    assert viewer.get("/api/audit/events").status_code == 403


def test_a_checkpoint_is_stored_every_interval_while_the_log_grows(tmp_path, database_url):
    from service.bootstrap import create_app
    from service.infra.config import Settings
    from service.web.http.runtime import ledger as app_ledger
    from tests.support.apps import close_app

    key = tmp_path / "periodic.pem"
    create_key_file(key)
    settings = {
        "DATABASE_URL": database_url,
        "CHECKPOINT_SIGNING_KEY_FILE": str(key),
        "CHECKPOINT_INTERVAL_SECONDS": "1",
    }
    app = create_app(Settings.from_environment(settings))
    try:
        with app.app_context():
            ledger = app_ledger()
            grow(ledger, 3)
            runtime().start_workers()
            checkpointer = runtime().checkpointer()
            deadline = time.monotonic() + 30
            while checkpointer.store.latest() is None and time.monotonic() < deadline:
                time.sleep(0.05)
            first = checkpointer.store.latest()
            assert first is not None and first.size == 3
            time.sleep(1.5)
            assert checkpointer.store.latest() == first  # the log did not grow
            grow(ledger, 2)
            while checkpointer.store.latest().size < 5 and time.monotonic() < deadline:
                time.sleep(0.05)
            assert checkpointer.store.latest().size == 5
            assert (checkpointer.store.latest().timestamp - first.timestamp).total_seconds() >= 1
    finally:
        close_app(app)


def test_the_partners_script_accepts_what_was_served_and_refuses_an_altered_copy(
    api, world, ledger, app, tmp_path
):
    allocation_id = world["allocation"]["id"]
    old = api.get("/api/audit/checkpoint").json
    for units in (2, 3):
        api.post(f"/api/allocations/{allocation_id}/activities", activity(units=units))
    new = api.get("/api/audit/checkpoint").json
    position = new["size"] - 1
    files = {
        "key.pem": api.get("/api/audit/public-key").json["public_key_pem"],
        "key.json": json.dumps(api.get("/api/audit/public-key").json),
        "checkpoint.json": json.dumps(new),
        "old.json": json.dumps(old),
        "proof.json": json.dumps(proof(api, position, new["size"])),
        "consistency.json": json.dumps(
            api.get("/api/audit/proof/consistency", **{"from": old["size"], "to": new["size"]}).json
        ),
        "older-proof.json": json.dumps(proof(api, position, new["size"] - 1)),
        "forged-root.json": json.dumps({**new, "root": old["root"]}),
        "forged-body.json": json.dumps(
            {**new, "checkpoint": new["checkpoint"].replace(f"\n{new['size']}\n", "\n9\n")}
        ),
        "not-json.json": "{",
    }
    leaf_hash = stored_leaves(ledger)[position - 1].hex()
    altered = json.loads(files["proof.json"])
    altered["path"][0] = ("0" if altered["path"][0][0] != "0" else "1") + altered["path"][0][1:]
    files["altered-proof.json"] = json.dumps(altered)
    for name, text in files.items():
        (tmp_path / name).write_text(text)

    def run(*args: str) -> subprocess.CompletedProcess:
        paths = [str(tmp_path / a) if a.endswith((".json", ".pem")) else a for a in args]
        return subprocess.run(
            [sys.executable, str(SCRIPT), *paths], capture_output=True, text=True, timeout=60
        )

    good = run("--public-key", "key.pem", "--checkpoint", "checkpoint.json")
    assert good.returncode == 0, good.stderr
    assert f"size {new['size']}" in good.stdout
    with_proof = run(
        "--public-key", "key.json", "--checkpoint", "checkpoint.json",
        "--proof", "proof.json", "--leaf-hash", leaf_hash,
    )  # fmt: skip
    assert with_proof.returncode == 0, with_proof.stderr
    assert f"position {position}" in with_proof.stdout
    grown_ok = run(
        "--public-key", "key.pem", "--checkpoint", "checkpoint.json",
        "--old-checkpoint", "old.json", "--consistency", "consistency.json",
    )  # fmt: skip
    assert grown_ok.returncode == 0, grown_ok.stderr

    refused = {
        "forged root": ("--checkpoint", "forged-root.json"),
        "forged body": ("--checkpoint", "forged-body.json"),
        "altered proof": ("--checkpoint", "checkpoint.json", "--proof", "altered-proof.json"),
        "another leaf": (
            "--checkpoint", "checkpoint.json", "--proof", "proof.json", "--leaf-hash", "ab" * 32,
        ),
        "another size": ("--checkpoint", "checkpoint.json", "--proof", "older-proof.json"),
    }  # fmt: skip
    for why, args in refused.items():
        result = run("--public-key", "key.pem", *args)
        assert result.returncode == 1, (why, result.stdout, result.stderr)
        assert result.stderr.startswith("FAILED: "), why
    broken = run("--public-key", "key.pem", "--checkpoint", "not-json.json")
    assert broken.returncode == 2 and "not JSON" in broken.stderr


def test_the_partners_script_needs_nothing_of_the_service():
    tree = ast.parse(SCRIPT.read_text())
    imported = {
        (node.module if isinstance(node, ast.ImportFrom) else alias.name).split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    assert imported <= set(sys.stdlib_module_names) | {"cryptography", "__future__"}
