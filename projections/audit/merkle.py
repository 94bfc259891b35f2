"""The Merkle tree over the event log (docs/explanation/audit.md), kept as a read model
like the others (projections/engine/readmodel.py): leaf i is the event at log position
i + 1, and its nodes commit in one transaction with its tracking record, so every event
is added exactly once, in log order. It subscribes to every event: its log read is not
filtered by topic.

Leaf data is the event's stored record, exactly as the recorder holds it: originator id
(16 bytes) ‖ originator version (8 bytes, big-endian) ‖ length of the topic (2 bytes,
big-endian) ‖ topic (UTF-8) ‖ the stored state bytes. The projection is therefore handed
the stored record (the `Notification` the follower read) rather than a decoded domain
event (`reads_stored_records`, see projections/engine/readmodel.py): re-encoding a
decoded event would hash what the code makes of the record today, not what is stored,
and re-reading the record by position would read the log twice.

A log position that holds no event is a leaf too, with empty data (hash
`EMPTY_LEAF`, 6e340b9c…), so that leaf i is always position i + 1. On PostgreSQL an
insert the store refused (a concurrent write that lost) still used up its position;
inserts commit in position order under the log's table lock, so a position missing
below an event the follower has read stays missing. A real event's data is never empty.

The nodes (table `nodes`) are the tree's complete subtrees by level and index
(projections/audit/merkle_tree.py); the signed checkpoints live in a table beside them
(`checkpoints`, projections/audit/checkpoints.py) that a rebuild of the tree never drops.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.persistence import Notification, StoredEvent

from projections.audit.merkle_tree import (
    EMPTY_LEAF,
    Frontier,
    consistency_path,
    inclusion_path,
    leaf_hash,
    nodes_needed,
    root,
)
from projections.engine.readmodel import ReadModel, handles
from projections.engine.rows import Rows
from projections.engine.views import Tx

NODES = (
    "level INTEGER NOT NULL, idx BIGINT NOT NULL, hash {binary} NOT NULL, PRIMARY KEY (level, idx)"
)
"""`{binary}`: the store's type for bytes (views.py)"""
CHECKPOINTS = (
    "size BIGINT NOT NULL, key_id TEXT NOT NULL, root TEXT NOT NULL, body TEXT NOT NULL, "
    "signature TEXT NOT NULL, made_at TEXT NOT NULL, PRIMARY KEY (size, key_id)"
)


def leaf_data(record: StoredEvent) -> bytes:
    """The bytes a leaf hashes: the stored record of one event (module docstring)."""
    originator = record.originator_id
    if not isinstance(originator, UUID):
        originator = UUID(str(originator))
    topic = record.topic.encode("utf-8")
    state = record.state
    if isinstance(state, str):  # SQLite hands back text if the column was written as text
        state = state.encode("utf-8")
    return b"".join(
        (
            originator.bytes,
            record.originator_version.to_bytes(8, "big"),
            len(topic).to_bytes(2, "big"),
            topic,
            bytes(state),
        )
    )


def record_leaf_hash(record: StoredEvent) -> bytes:
    return leaf_hash(leaf_data(record))


class MerkleTree(ReadModel):
    """Adds each event's leaf, from its stored record, in log order; answers the
    tree's roots and proofs."""

    name = "merkle"
    tables: ClassVar[dict[str, str]] = {"nodes": NODES}
    keys: ClassVar[dict[str, tuple[str, ...]]] = {"nodes": ("level", "idx")}
    clustered: ClassVar[tuple[str, ...]] = ("nodes",)
    kept_tables: ClassVar[dict[str, str]] = {"checkpoints": CHECKPOINTS}
    """The checkpoints keep one name whatever the tree's `version` and generation: a
    new shape of the tree is rebuilt from the log, the signed checkpoints cannot be."""
    reads_stored_records = True
    """Handed the stored records, not domain events, and every one of them."""

    # Folding

    def prefetch(self, rows: Rows, events: Any) -> None:
        """The tree's right edge, read once per batch (its size, then its nodes), then
        kept up to date in memory by the handler, so that an append reads nothing."""
        size = rows.select_one("SELECT MAX(idx) AS last FROM {nodes} WHERE level = 0")
        if size is None:  # a rebuild: the tree starts empty
            return
        size = 0 if size["last"] is None else int(size["last"]) + 1
        coordinates = Frontier.coordinates(size)
        rows.load("nodes", ("level", "idx"), coordinates)  # by key: idx alone scans
        nodes = {}
        for level, index in coordinates:
            node = rows.get("nodes", level, index)
            if node is None:
                raise LookupError(f"the tree has no stored node at (level, index) {level, index}")
            nodes[level] = bytes(node["hash"])
        rows.memo["frontier"] = Frontier(size, nodes)

    @handles(Notification)
    def added(self, rows: Rows, record: Notification, position: int) -> None:
        """The leaf of log position `position`, after empty leaves for any positions
        before it that hold no event."""
        frontier = rows.memo.setdefault("frontier", Frontier())
        if position <= frontier.size:
            raise ValueError(f"position {position} is already in the tree of {frontier.size}")
        made = []
        while frontier.size < position - 1:
            made += frontier.append(EMPTY_LEAF)
        made += frontier.append(record_leaf_hash(record))
        for level, index, value in made:
            rows.put("nodes", {"level": level, "idx": index, "hash": value})

    # Reading

    def size(self) -> int:
        """How many leaves the tree holds (the log position it has reached)."""
        with self.reading() as tx:
            return _size(tx)

    def root(self, size: int | None = None) -> tuple[int, bytes]:
        """(size, root) of the tree now, or of its first `size` leaves."""
        with self.reading() as tx:
            size = _size(tx) if size is None else size
            return size, root(_getter(tx, nodes_needed(root, size)), size)

    def inclusion(self, position: int, size: int) -> tuple[bytes, list[bytes]]:
        """The leaf hash of log position `position` and its inclusion path in the tree
        of `size` leaves (1 ≤ position ≤ size ≤ the tree's size)."""
        index = position - 1
        wanted = nodes_needed(inclusion_path, index, size) | {(0, index)}
        with self.reading() as tx:
            get = _getter(tx, wanted)
            return get(0, index), inclusion_path(get, index, size)

    def consistency(self, first: int, second: int) -> list[bytes]:
        with self.reading() as tx:
            wanted = nodes_needed(consistency_path, first, second)
            return consistency_path(_getter(tx, wanted), first, second)

    def leaf_hashes(self, first: int, last: int) -> dict[int, bytes]:
        """position -> leaf hash, for the positions from `first` to `last` in the tree."""
        with self.reading() as tx:
            rows = tx.rows(
                "SELECT idx, hash FROM {nodes} WHERE level = 0 AND idx >= :lo AND idx <= :hi",
                lo=first - 1,
                hi=last - 1,
            )
        return {row["idx"] + 1: bytes(row["hash"]) for row in rows}

    def nodes_in(self, ranges: dict[int, tuple[int, int]]) -> dict[tuple[int, int], bytes]:
        """The stored nodes of each level whose index lies in its (low, high) range."""
        if not ranges:
            return {}
        params: dict[str, int] = {}
        terms = []
        for n, (level, (low, high)) in enumerate(sorted(ranges.items())):
            terms.append(f"(level = :l{n} AND idx >= :a{n} AND idx <= :b{n})")
            params.update({f"l{n}": level, f"a{n}": low, f"b{n}": high})
        with self.reading() as tx:
            return _select(tx, terms, params)


def _size(tx: Tx) -> int:
    found = tx.row("SELECT MAX(idx) AS last FROM {nodes} WHERE level = 0")
    return 0 if found is None or found["last"] is None else int(found["last"]) + 1


def _nodes(tx: Tx, wanted: Iterable[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
    wanted = sorted(wanted)
    if not wanted:
        return {}
    params: dict[str, int] = {}
    terms = []
    for n, (level, index) in enumerate(wanted):
        terms.append(f"(level = :l{n} AND idx = :i{n})")
        params.update({f"l{n}": level, f"i{n}": index})
    found = _select(tx, terms, params)
    missing = [node for node in wanted if node not in found]
    if missing:
        raise LookupError(f"the tree has no stored node at (level, index) {missing[0]}")
    return found


def _getter(tx: Tx, wanted: set[tuple[int, int]]) -> Any:
    found = _nodes(tx, wanted)
    return lambda level, index: found[(level, index)]


def _select(tx: Tx, terms: list[str], params: dict[str, int]) -> dict[tuple[int, int], bytes]:
    """The nodes matching any of `terms` (one query, each term an index lookup)."""
    rows = tx.rows("SELECT level, idx, hash FROM {nodes} WHERE " + " OR ".join(terms), **params)
    return {(row["level"], row["idx"]): bytes(row["hash"]) for row in rows}
