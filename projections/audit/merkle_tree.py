"""The Merkle tree of RFC 6962 / RFC 9162 (SHA-256), as pure functions over a store of
the tree's complete subtrees.

Why a store of complete subtrees: the hash of the complete subtree (level L, index i),
covering leaves [i·2^L, (i+1)·2^L), never changes once its last leaf is in. Keeping
every such node (by level and index) makes an append cost O(log n) (the new leaf and
the subtrees it completes: two rows on average), and lets any root, inclusion path or
consistency path, at any past size, be computed from O(log n) stored nodes: every
range the RFC's recursion asks for is either one complete subtree or a right edge made
of a few of them. Nothing here reads the log.

`get(level, index)` is how the algorithms read the store. The nodes an algorithm reads
depend only on the sizes and the index it is given, never on the hashes, so
`nodes_needed` can list them with a dry run and a caller can fetch them in one query.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable

HASH_SIZE = 32
Get = Callable[[int, int], bytes]
"""(level, index) -> the hash of that complete subtree"""
Node = tuple[int, int, bytes]
"""(level, index, hash)"""


def leaf_hash(data: bytes) -> bytes:
    """RFC 6962 §2.1: the hash of a leaf, SHA-256(0x00 ‖ data)."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """RFC 6962 §2.1: the hash of an interior node, SHA-256(0x01 ‖ left ‖ right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


EMPTY_ROOT = hashlib.sha256(b"").digest()
"""The root of the tree of no leaves (RFC 6962 §2.1)."""
EMPTY_LEAF = leaf_hash(b"")
"""The leaf of a log position that holds no event (see projections/audit/merkle.py)."""


def split(n: int) -> int:
    """The largest power of two smaller than n (n ≥ 2): where RFC 6962 splits n leaves."""
    return 1 << ((n - 1).bit_length() - 1)


def subtree(get: Get, start: int, end: int) -> bytes:
    """MTH(D[start:end]). The ranges the RFC's algorithms ask for start on a multiple
    of the largest power of two they hold, so each is one stored node or a stored
    node beside a shorter such range: at most log2(end - start) + 1 reads."""
    n = end - start
    if n < 1:
        raise ValueError(f"an empty range [{start}, {end})")
    if n & (n - 1) == 0 and start % n == 0:
        level = n.bit_length() - 1
        return get(level, start >> level)
    k = split(n)
    return node_hash(subtree(get, start, start + k), subtree(get, start + k, end))


def root(get: Get, size: int) -> bytes:
    """The tree head of the first `size` leaves."""
    if size < 0:
        raise ValueError("a tree size is never negative")
    return EMPTY_ROOT if size == 0 else subtree(get, 0, size)


def inclusion_path(get: Get, index: int, size: int) -> list[bytes]:
    """RFC 6962 §2.1.1 PATH(index, D[size]) (RFC 9162 §2.1.3), ordered from the leaf's
    sibling up to the root's child."""
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is not in a tree of {size}")
    siblings = []
    start, end = 0, size
    while end - start > 1:
        k = split(end - start)
        if index < start + k:
            siblings.append(subtree(get, start + k, end))
            end = start + k
        else:
            siblings.append(subtree(get, start, start + k))
            start += k
    return siblings[::-1]


def consistency_path(get: Get, first: int, second: int) -> list[bytes]:
    """RFC 6962 §2.1.2 PROOF(first, D[second]) (RFC 9162 §2.1.4): that the tree of
    `first` leaves is a prefix of the tree of `second`. Empty when they are equal."""
    if not 0 < first <= second:
        raise ValueError(f"no consistency proof from {first} to {second}")
    siblings = []
    start, end, m, whole = 0, second, first, True
    while m != end - start:
        k = split(end - start)
        if m <= k:
            siblings.append(subtree(get, start + k, end))
            end = start + k
        else:
            siblings.append(subtree(get, start, start + k))
            start, m, whole = start + k, m - k, False
    tail = [] if whole else [subtree(get, start, end)]
    return tail + siblings[::-1]


def nodes_needed(algorithm: Callable[..., object], *args: int) -> set[tuple[int, int]]:
    """The (level, index) of every stored node `algorithm(get, *args)` reads, found by
    running it on placeholder hashes."""
    wanted: set[tuple[int, int]] = set()

    def record(level: int, index: int) -> bytes:
        wanted.add((level, index))
        return bytes(HASH_SIZE)

    algorithm(record, *args)
    return wanted


class Frontier:
    """The right edge of a tree: the roots of the complete subtrees that make up its
    `size` leaves, one per set bit of `size` (level -> hash). Enough to append a leaf
    and to compute the root, without any other node."""

    def __init__(self, size: int = 0, nodes: dict[int, bytes] | None = None):
        self.size = size
        self.nodes = dict(nodes or {})
        if set(self.nodes) != {level for level, _ in self.coordinates(size)}:
            raise ValueError(f"a frontier of {size} leaves needs the levels of its set bits")

    @staticmethod
    def coordinates(size: int) -> list[tuple[int, int]]:
        """The (level, index) of the complete subtrees of a tree of `size` leaves."""
        return [
            (level, (size >> level) - 1)
            for level in range(size.bit_length())
            if (size >> level) & 1
        ]

    def append(self, leaf: bytes) -> list[Node]:
        """Add a leaf hash; return the nodes this completes (the leaf first), each to
        be stored."""
        made = [(0, self.size, leaf)]
        value, index, level = leaf, self.size, 0
        while index & 1:
            value = node_hash(self.nodes.pop(level), value)
            index, level = index >> 1, level + 1
            made.append((level, index, value))
        self.nodes[level] = value
        self.size += 1
        return made

    def extend(self, leaves: Iterable[bytes]) -> list[Node]:
        made: list[Node] = []
        for leaf in leaves:
            made.extend(self.append(leaf))
        return made

    def root(self) -> bytes:
        value = None
        for level in sorted(self.nodes):
            value = self.nodes[level] if value is None else node_hash(self.nodes[level], value)
        return EMPTY_ROOT if value is None else value
