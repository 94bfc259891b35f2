"""The tree algorithms (projections/audit/merkle_tree.py) against Certificate Transparency's
known answers (the reference tests of RFC 6962's implementations), against a direct
transcription of RFC 6962 §2.1, and the cost of a proof: O(log n) stored nodes."""

from __future__ import annotations

import hashlib
import math
import random
import uuid

import pytest
from eventsourcing.persistence import StoredEvent

from projections.audit.merkle import leaf_data, record_leaf_hash
from projections.audit.merkle_tree import (
    EMPTY_LEAF,
    EMPTY_ROOT,
    Frontier,
    consistency_path,
    inclusion_path,
    leaf_hash,
    nodes_needed,
    root,
)
from tests.support.merkle_vectors import CT_CONSISTENCY, CT_INCLUSION, CT_LEAVES, CT_ROOTS


def grown(leaves: list[bytes]) -> tuple[dict[tuple[int, int], bytes], Frontier]:
    """A node store and frontier with these leaf hashes appended."""
    store: dict[tuple[int, int], bytes] = {}
    frontier = Frontier()
    for leaf in leaves:
        for level, index, value in frontier.append(leaf):
            assert (level, index) not in store, "a node is written once"
            store[(level, index)] = value
    return store, frontier


def getter(store):
    return lambda level, index: store[(level, index)]


@pytest.fixture(scope="module")
def ct_store():
    store, _ = grown([leaf_hash(data) for data in CT_LEAVES])
    return getter(store)


# RFC 6962 §2.1, transcribed as written (recursive, over the whole list).


def mth(leaves: list[bytes]) -> bytes:
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = 1 << ((len(leaves) - 1).bit_length() - 1)
    return hashlib.sha256(b"\x01" + mth(leaves[:k]) + mth(leaves[k:])).digest()


def rfc_path(m: int, leaves: list[bytes]) -> list[bytes]:
    if len(leaves) == 1:
        return []
    k = 1 << ((len(leaves) - 1).bit_length() - 1)
    if m < k:
        return rfc_path(m, leaves[:k]) + [mth(leaves[k:])]
    return rfc_path(m - k, leaves[k:]) + [mth(leaves[:k])]


def rfc_subproof(m: int, leaves: list[bytes], whole: bool) -> list[bytes]:
    n = len(leaves)
    if m == n:
        return [] if whole else [mth(leaves)]
    k = 1 << ((n - 1).bit_length() - 1)
    if m <= k:
        return rfc_subproof(m, leaves[:k], whole) + [mth(leaves[k:])]
    return rfc_subproof(m - k, leaves[k:], False) + [mth(leaves[:k])]


def test_the_empty_tree_and_the_empty_leaf():
    assert EMPTY_ROOT.hex() == hashlib.sha256(b"").hexdigest()
    assert EMPTY_LEAF.hex().startswith("6e340b9c")
    assert root(getter({}), 0) == EMPTY_ROOT == Frontier().root()


def test_certificate_transparency_roots_for_every_size(ct_store):
    frontier = Frontier()
    for size, data in enumerate(CT_LEAVES, start=1):
        frontier.append(leaf_hash(data))
        assert frontier.root().hex() == CT_ROOTS[size - 1]
        assert root(ct_store, size).hex() == CT_ROOTS[size - 1]
    assert root(ct_store, 8).hex() == (
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"
    )


@pytest.mark.parametrize("index, size, path", CT_INCLUSION)
def test_certificate_transparency_inclusion_paths(ct_store, index, size, path):
    assert [value.hex() for value in inclusion_path(ct_store, index, size)] == path


@pytest.mark.parametrize("first, second, path", CT_CONSISTENCY)
def test_certificate_transparency_consistency_paths(ct_store, first, second, path):
    assert [value.hex() for value in consistency_path(ct_store, first, second)] == path


def test_every_root_path_and_proof_of_small_trees_is_the_rfcs():
    leaves = [leaf_hash(i.to_bytes(2, "big")) for i in range(70)]
    store, _ = grown(leaves)
    get = getter(store)
    for size in range(1, len(leaves) + 1):
        assert root(get, size) == mth(leaves[:size])
        for index in range(size):
            assert inclusion_path(get, index, size) == rfc_path(index, leaves[:size])
        for first in range(1, size + 1):
            expected = rfc_subproof(first, leaves[:size], True)
            assert consistency_path(get, first, size) == expected


def test_a_frontier_read_back_from_the_store_continues_the_same_tree():
    leaves = [leaf_hash(i.to_bytes(3, "big")) for i in range(300)]
    store, whole = grown(leaves)
    for size in (1, 2, 3, 7, 8, 100, 255, 256, 299):
        nodes = {level: store[(level, index)] for level, index in Frontier.coordinates(size)}
        resumed = Frontier(size, nodes)
        resumed.extend(leaves[size:])
        assert resumed.root() == whole.root() == mth(leaves)


def test_a_frontier_refuses_nodes_that_do_not_fit_its_size():
    with pytest.raises(ValueError):
        Frontier(3, {0: EMPTY_LEAF})


def test_appending_writes_two_nodes_per_leaf_on_average_and_log_n_at_most():
    frontier = Frontier()
    written = [len(frontier.append(EMPTY_LEAF)) for _ in range(4096)]
    assert sum(written) == 2 * 4096 - 1
    assert max(written) == 13  # the leaf, and the 12 subtrees the 4096th completes


@pytest.mark.parametrize("seed", range(5))
def test_a_proof_reads_o_log_n_stored_nodes(seed):
    chooser = random.Random(seed)
    for size in (chooser.randint(2, 10**4), chooser.randint(10**5, 10**6), 10**9 + 7):
        bound = 2 * math.ceil(math.log2(size)) + 2
        index = chooser.randrange(size)
        first = chooser.randint(1, size)
        assert len(nodes_needed(inclusion_path, index, size)) <= bound
        assert len(nodes_needed(consistency_path, first, size)) <= bound
        assert len(nodes_needed(root, size)) <= math.ceil(math.log2(size)) + 1


def test_proofs_refuse_what_is_not_in_the_tree(ct_store):
    for index, size in ((8, 8), (-1, 8), (0, 0)):
        with pytest.raises(ValueError):
            inclusion_path(ct_store, index, size)
    for first, second in ((0, 8), (9, 8)):
        with pytest.raises(ValueError):
            consistency_path(ct_store, first, second)


def test_a_leaf_is_the_stored_record_byte_for_byte():
    originator = uuid.UUID("12345678-1234-5678-1234-567812345678")
    record = StoredEvent(
        originator_id=originator,
        originator_version=258,
        topic="service.domain.allocation:Allocation.ActivityRecorded",
        state=b'{"units":3}',
    )
    topic = record.topic.encode()
    expected = (
        originator.bytes
        + (258).to_bytes(8, "big")
        + len(topic).to_bytes(2, "big")
        + topic
        + b'{"units":3}'
    )
    assert leaf_data(record) == expected
    assert record_leaf_hash(record) == hashlib.sha256(b"\x00" + expected).digest()
    as_text = StoredEvent(str(originator), 258, record.topic, record.state)
    assert record_leaf_hash(as_text) == record_leaf_hash(record)
