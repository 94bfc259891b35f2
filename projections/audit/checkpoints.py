"""Signed checkpoints of the Merkle tree (docs/explanation/audit.md): the C2SP
`tlog-checkpoint` body (origin line, tree size, base64 root, each ending in a newline)
signed with Ed25519.

A checkpoint is stored (table `checkpoints`, beside the tree's nodes) whenever one is
made: by `make_checkpoint()` (with every statement, and for `GET /api/audit/checkpoint`)
and by the `CheckpointWorker` of each process, which makes one once the tree has grown
and the last is older than CHECKPOINT_INTERVAL_SECONDS. One row per tree size and key:
a second request at the same size answers the stored one (Ed25519 signing is
deterministic, so racing processes sign the same bytes anyway). A rebuild of the tree
leaves this table alone: the checkpoints are what a rebuilt tree is checked against.
"""

from __future__ import annotations

import base64
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from projections.audit.merkle import MerkleTree
from projections.engine.catalog import Projections
from projections.engine.encoding import moment
from projections.engine.follower import Follower
from projections.engine.freshness import await_position, target_position
from projections.engine.views import Tx
from service.infra.signing import Signer

log = logging.getLogger(__name__)

WAIT_SECONDS = 5.0
MAX_POLL_SECONDS = 30.0


def checkpoint_body(origin: str, size: int, root: bytes) -> str:
    """The C2SP tlog-checkpoint body: what is signed."""
    return f"{origin}\n{size}\n{base64.b64encode(root).decode('ascii')}\n"


@dataclass(frozen=True)
class Checkpoint:
    size: int
    root: bytes
    body: str
    signature: str
    """base64 of the Ed25519 signature over the body's UTF-8 bytes"""
    timestamp: datetime
    key_id: str

    def as_json(self) -> dict[str, Any]:
        """What the API answers and a statement records."""
        return {
            "size": self.size,
            "root": self.root.hex(),
            "checkpoint": self.body,
            "signature": self.signature,
            "timestamp": self.timestamp.isoformat(),
            "key_id": self.key_id,
        }


class CheckpointStore:
    """The `checkpoints` table of the Merkle tree."""

    def __init__(self, tree: MerkleTree):
        self.view = tree.view

    def add(self, checkpoint: Checkpoint) -> Checkpoint:
        """Store it unless one of that size and key is there; return the stored one."""
        with self.view.datastore.transaction(commit=True) as cursor:
            tx = Tx(self.view, cursor)
            tx.run(
                "INSERT INTO {checkpoints} VALUES "
                "(:size, :key_id, :root, :body, :signature, :made_at) "
                "ON CONFLICT (size, key_id) DO NOTHING",
                size=checkpoint.size,
                key_id=checkpoint.key_id,
                root=checkpoint.root.hex(),
                body=checkpoint.body,
                signature=checkpoint.signature,
                made_at=moment(checkpoint.timestamp),
            )
            row = tx.row(
                "SELECT * FROM {checkpoints} WHERE size = :size AND key_id = :key_id",
                size=checkpoint.size,
                key_id=checkpoint.key_id,
            )
        assert row is not None
        return _checkpoint(row)

    def latest(self) -> Checkpoint | None:
        with self.view.reading() as tx:
            row = tx.row("SELECT * FROM {checkpoints} ORDER BY size DESC, made_at DESC LIMIT 1")
        return None if row is None else _checkpoint(row)

    def page(self, offset: int, limit: int) -> tuple[list[Checkpoint], int]:
        """Oldest first (stored checkpoints are only ever added), and how many there are."""
        with self.view.reading() as tx:
            rows = tx.rows(
                "SELECT * FROM {checkpoints} ORDER BY size, made_at LIMIT :limit OFFSET :offset",
                limit=limit,
                offset=offset,
            )
            total = tx.row("SELECT COUNT(*) AS n FROM {checkpoints}")
        return [_checkpoint(row) for row in rows], int(total["n"]) if total else 0

    def all(self) -> list[Checkpoint]:
        with self.view.reading() as tx:
            rows = tx.rows("SELECT * FROM {checkpoints} ORDER BY size, made_at")
        return [_checkpoint(row) for row in rows]


def _checkpoint(row: dict[str, Any]) -> Checkpoint:
    return Checkpoint(
        size=int(row["size"]),
        root=bytes.fromhex(row["root"]),
        body=row["body"],
        signature=row["signature"],
        timestamp=datetime.fromisoformat(row["made_at"]),
        key_id=row["key_id"],
    )


def now_utc() -> datetime:
    return datetime.now(UTC)


class Checkpointer:
    """Makes, signs and stores checkpoints of one event store's tree."""

    def __init__(
        self,
        projections: Projections,
        signer: Signer,
        origin: str,
        clock: Callable[[], datetime] = now_utc,
    ):
        self.projections = projections
        self.store = CheckpointStore(self.view)
        self.signer = signer
        self.origin = origin
        self.clock = clock

    @property
    def view(self) -> MerkleTree:
        """The tree's serving generation (a rebuild switches it: generations.py); the
        checkpoints' table is one whatever the generation."""
        return self.projections.views["merkle"]  # type: ignore[return-value]

    def current(self) -> Checkpoint:
        """A signed checkpoint of the tree as the view holds it now (stored, or the
        one stored earlier for that size)."""
        size, root = self.view.root()
        body = checkpoint_body(self.origin, size, root)
        checkpoint = Checkpoint(
            size=size,
            root=root,
            body=body,
            signature=self.signer.sign_base64(body.encode("utf-8")),
            timestamp=self.clock(),
            key_id=self.signer.key_id,
        )
        return self.store.add(checkpoint)

    def make_checkpoint(
        self, min_position: int | None = None, wait_seconds: float = WAIT_SECONDS
    ) -> dict[str, Any]:
        """A checkpoint covering the log up to `min_position`, or else up to its end as
        the call arrives: {size, root (hex), checkpoint (body), signature (base64),
        timestamp, key_id}. Brings the tree there itself if no other writer holds it,
        else waits for it (raises ProjectionsBehind after `wait_seconds`)."""
        target = target_position(self.projections, min_position)
        if self.view.position(self.projections.application_name) < target:
            Follower(self.projections).catch_up(["merkle"])
            await_position(self.projections, ["merkle"], target, timeout=wait_seconds)
        return self.current().as_json()

    def due(self, interval_seconds: float) -> bool:
        """The tree has grown since the last checkpoint, made over `interval_seconds` ago."""
        self.projections.positions(["merkle"])  # notices a switch to a rebuilt tree
        size = self.view.size()
        latest = self.store.latest()
        if size == 0 or (latest is not None and latest.size >= size):
            return False
        if latest is None:
            return True
        return (self.clock() - latest.timestamp).total_seconds() >= interval_seconds

    def maybe_checkpoint(self, interval_seconds: float) -> Checkpoint | None:
        """The periodic checkpoint: made when `due`, else None."""
        return self.current() if self.due(interval_seconds) else None


class CheckpointWorker:
    """Stores a checkpoint at least every `interval_seconds` while the log grows: looks
    every tenth of the interval (at most every 30 s), first after one such pause. Its
    checkpointer (with its own connections, see service/workers.py) is made on the
    first look and closed when the worker stops."""

    def __init__(
        self,
        open_checkpointer: Callable[[], tuple[Checkpointer, Callable[[], None]]],
        interval_seconds: float,
        stop: threading.Event,
    ):
        self.open_checkpointer = open_checkpointer
        self.interval_seconds = interval_seconds
        self.poll_seconds = min(interval_seconds / 10, MAX_POLL_SECONDS)
        self.external_stop = stop
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, name="checkpoints", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self, timeout: float = 15.0) -> None:
        """Stop, waiting for the checkpoint in hand."""
        self.stopping.set()
        if self.thread.is_alive():
            self.thread.join(timeout)

    def _run(self) -> None:
        checkpointer: Checkpointer | None = None
        close: Callable[[], None] = lambda: None  # noqa: E731
        try:
            while not self._wait():
                try:
                    if checkpointer is None:
                        checkpointer, close = self.open_checkpointer()
                    made = checkpointer.maybe_checkpoint(self.interval_seconds)
                    if made is not None:
                        log.info("checkpoints: signed the tree of %d events", made.size)
                except Exception:
                    log.exception("checkpoints: could not make one; trying again later")
        finally:
            close()

    def _wait(self) -> bool:
        """Pause for one poll; True once the worker or its process is stopping."""
        self.stopping.wait(self.poll_seconds)
        return self.stopping.is_set() or self.external_stop.is_set()
