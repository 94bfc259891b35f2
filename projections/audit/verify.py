"""`audit verify`: recompute the Merkle tree from the stored events and hold it against
the stored tree and every stored checkpoint.

The events are streamed in log order, a batch at a time, each hashed from its stored
record (projections/audit/merkle.py) into an in-memory right edge of the tree (O(log n)
memory). Each recomputed leaf is compared with the leaf the tree took in when the event
was new, so a changed, removed or reordered event is named by its position; each
recomputed interior node with the stored one, so a tree store altered on its own shows
too; and each checkpoint's root with the recomputed root at its size, and its signature
with the public key, so a log and tree rewritten together still fail against the
checkpoints signed before (and held by partners outside our database).
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from eventsourcing.persistence import ApplicationRecorder, Notification

from projections.audit.checkpoints import Checkpoint, CheckpointStore
from projections.audit.merkle import MerkleTree, record_leaf_hash
from projections.audit.merkle_tree import EMPTY_LEAF, Frontier, Node
from service.infra.store_errors import DATABASE_UNAVAILABLE

BATCH_SIZE = 2000


class Tampered(Exception):
    """The first inconsistency found; `position` is the first log position at fault
    when it can be told."""

    def __init__(self, message: str, position: int | None = None):
        super().__init__(message)
        self.position = position


@dataclass
class Verdict:
    positions: int = 0
    """log positions recomputed (the recomputed tree's size)"""
    empty_positions: int = 0
    """positions that hold no event (see projections/audit/merkle.py)"""
    root: bytes = b""
    tree_size: int = 0
    checkpoints: int = 0
    problems: list[str] = field(default_factory=list)
    first_bad_position: int | None = None

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_log(
    recorder: ApplicationRecorder,
    view: MerkleTree,
    public_keys: dict[str, Ed25519PublicKey],
    progress: Callable[[int], None] | None = None,
    batch_size: int = BATCH_SIZE,
) -> Verdict:
    """Check the log, the stored tree and the stored checkpoints (module docstring)."""
    verdict = Verdict(tree_size=view.size())
    checkpoints = CheckpointStore(view).all()
    verdict.checkpoints = len(checkpoints)
    verdict.problems += signature_problems(checkpoints, public_keys)
    end = max(verdict.tree_size, recorder.max_notification_id() or 0)
    try:
        _recompute(recorder, view, checkpoints, verdict, end, progress, batch_size)
    except Tampered as error:
        verdict.problems.insert(0, str(error))
        verdict.first_bad_position = error.position
    return verdict


def _recompute(
    recorder: ApplicationRecorder,
    view: MerkleTree,
    checkpoints: list[Checkpoint],
    verdict: Verdict,
    end: int,
    progress: Callable[[int], None] | None,
    batch_size: int,
) -> None:
    frontier = Frontier()
    waiting = list(reversed(checkpoints))  # smallest size last, popped first
    last_consistent = 0
    _check_checkpoints(frontier, waiting, last_consistent)
    while frontier.size < end:
        records, complete = _read(recorder, frontier.size, batch_size, end)
        upto = end if complete else records[-1].id
        stored = view.leaf_hashes(frontier.size + 1, min(upto, verdict.tree_size))
        made: list[Node] = []
        before = frontier.size
        by_position = {record.id: record for record in records}
        while frontier.size < upto:
            position = frontier.size + 1
            record = by_position.get(position)
            leaf = EMPTY_LEAF if record is None else _leaf(record)
            if record is None:
                verdict.empty_positions += 1
            if position <= verdict.tree_size:
                _compare_leaf(position, record, leaf, stored.get(position))
            made += frontier.append(leaf)
            last_consistent = _check_checkpoints(frontier, waiting, last_consistent)
        _compare_nodes(view, made, verdict.tree_size)
        if progress is not None:
            progress(frontier.size - before)
    verdict.positions = frontier.size
    verdict.root = frontier.root()
    if waiting:
        beyond = waiting[-1]
        raise Tampered(
            f"position {end + 1}: the checkpoint of size {beyond.size} "
            f"({beyond.timestamp.isoformat()}) covers events the log no longer holds "
            f"(it ends at {end}): events at its end were removed",
            end + 1,
        )


def _read(
    recorder: ApplicationRecorder, after: int, limit: int, end: int
) -> tuple[Sequence[Notification], bool]:
    """Up to `limit` stored records after position `after`, and whether they are all
    there are up to `end`. A record the recorder cannot read (an originator id that is
    not one, say) is tampering at the first position after the last one it could."""
    try:
        records = recorder.select_notifications(
            start=after, limit=limit, stop=end, inclusive_of_start=False
        )
        return records, len(records) < limit
    except DATABASE_UNAVAILABLE:
        raise
    except Exception as error:
        if limit > 1:
            good, _ = _read(recorder, after, 1, end)  # one at a time, to get nearer
            if good:
                return good, False
        raise Tampered(
            f"position {after + 1}: the first stored record after position {after} cannot be "
            f"read ({type(error).__name__}: {error}): it was altered",
            after + 1,
        ) from None


def _leaf(record: Notification) -> bytes:
    try:
        return record_leaf_hash(record)
    except (TypeError, ValueError, OverflowError, AttributeError) as error:
        raise Tampered(
            f"position {record.id}: the stored record is not one the store writes "
            f"({type(error).__name__}: {error}): it was altered",
            record.id,
        ) from None


def _compare_leaf(
    position: int, record: Notification | None, leaf: bytes, stored: bytes | None
) -> None:
    if stored is None:
        raise Tampered(
            f"position {position}: the tree holds no leaf for it: the tree store was altered",
            position,
        )
    if stored == leaf:
        return
    if record is None:
        raise Tampered(
            f"position {position}: the event the tree took in there is missing from the log: "
            "it was removed",
            position,
        )
    raise Tampered(
        f"position {position}: the stored event is not the one the tree took in there "
        f"(leaf {leaf.hex()}, the tree holds {stored.hex()}): it was changed, or another "
        "event was moved there",
        position,
    )


def _compare_nodes(view: MerkleTree, made: Sequence[Node], tree_size: int) -> None:
    """Each recomputed interior node within the stored tree against the stored one."""
    inner = [node for node in made if node[0] > 0 and (node[1] + 1) << node[0] <= tree_size]
    ranges: dict[int, tuple[int, int]] = {}
    for level, index, _ in inner:
        low, high = ranges.get(level, (index, index))
        ranges[level] = (min(low, index), max(high, index))
    stored = view.nodes_in(ranges)
    for level, index, value in inner:
        if stored.get((level, index)) != value:
            first, last = (index << level) + 1, (index + 1) << level
            raise Tampered(
                f"the stored tree node at level {level}, index {index} (positions {first} to "
                f"{last}) is not the hash of the events there: the tree store was altered",
                None,
            )


def _check_checkpoints(frontier: Frontier, waiting: list[Checkpoint], last_consistent: int) -> int:
    """Check the checkpoints of the recomputed tree's size; return the size of the
    last one found consistent."""
    while waiting and waiting[-1].size == frontier.size:
        checkpoint = waiting.pop()
        if checkpoint.root != frontier.root():
            raise Tampered(
                f"position {last_consistent + 1}: the checkpoint of size {checkpoint.size} "
                f"({checkpoint.timestamp.isoformat()}) signed root {checkpoint.root.hex()}, but "
                f"the log's first {checkpoint.size} events give {frontier.root().hex()}: an "
                f"event from position {last_consistent + 1} to {checkpoint.size} was changed, "
                "removed or reordered, and the tree store rewritten to match",
                last_consistent + 1,
            )
        last_consistent = checkpoint.size
    return last_consistent


def signature_problems(
    checkpoints: list[Checkpoint], public_keys: dict[str, Ed25519PublicKey]
) -> list[str]:
    """Each checkpoint whose body does not state its size and root, or whose signature
    does not verify with the key it names."""
    problems = []
    for checkpoint in checkpoints:
        label = f"the checkpoint of size {checkpoint.size} ({checkpoint.timestamp.isoformat()})"
        lines = checkpoint.body.split("\n")
        root = base64.b64encode(checkpoint.root).decode("ascii")
        if len(lines) != 4 or lines[1:] != [str(checkpoint.size), root, ""]:
            problems.append(f"{label}: its body does not state its size and root")
            continue
        key = public_keys.get(checkpoint.key_id)
        if key is None:
            problems.append(
                f"{label}: signed with key {checkpoint.key_id}, not one given to check it "
                f"({', '.join(sorted(public_keys)) or 'none'})"
            )
            continue
        try:
            key.verify(base64.b64decode(checkpoint.signature), checkpoint.body.encode("utf-8"))
        except (InvalidSignature, ValueError):
            problems.append(f"{label}: its signature does not verify with key {checkpoint.key_id}")
    return problems
