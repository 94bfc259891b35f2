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

CT_LEAVES = [
    bytes.fromhex(h)
    for h in (
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    )
]
CT_ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
# (leaf index, tree size, path)
CT_INCLUSION = [
    (0, 1, []),
    (
        0,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        5,
        8,
        [
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (
        1,
        5,
        [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
]
# (first size, second size, path)
CT_CONSISTENCY = [
    (1, 1, []),
    (
        1,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        6,
        8,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        2,
        5,
        [
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
]


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
