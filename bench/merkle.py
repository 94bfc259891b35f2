"""Merkle tree benchmark: what keeping the tree costs the writes, and that a proof's
cost grows with log2 of the tree, not with the tree. Each figure is printed beside a
baseline measured in the same run, as a ratio (these machines are shared and noisy).

    .venv/bin/python -m bench.merkle                       # SQLite file in a temp dir
    .venv/bin/python -m bench.merkle --database-url postgresql://postgres@127.0.0.1/postgres

1. Appending: `--events` activities recorded one save each (the service's aggregates,
   mapper and recorder; one insert per event, as a request makes), in rounds, the modes
   taken in turn: without the tree; with it, the tree taking each event in right after
   its save (one more transaction per event: the worst case); with it, kept by a
   follower thread as each web process runs one (timed until the tree holds the last
   event). Events per second of each and its ratio to the first; then the tree alone
   catching up a whole log in batches.
2. Proofs: trees of 10,000 and 1,000,000 leaves, their leaves appended to the tree store
   directly (hashed and stored as the projection does, without writing a million
   events first), then inclusion and consistency proofs at random positions, taken in
   turn; the median time of each and the ratio. A proof reads O(log n) stored nodes:
   expect well under 2x for 100x the leaves.

A PostgreSQL URL gets a fresh schema, a SQLite run a temporary folder; both are
removed at the end.
"""

from __future__ import annotations

import argparse
import random
import statistics
import threading
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from bench.projections import FIRST_DAY, LAST_DAY, MEMBERS, TODAY, LogWriter, store
from projections import Projections
from projections.audit.merkle import MerkleTree
from projections.audit.merkle_tree import (
    Frontier,
    consistency_path,
    inclusion_path,
    leaf_hash,
    nodes_needed,
)
from projections.engine.follower import Follower
from projections.engine.freshness import await_position
from projections.engine.rebuild import rebuild
from service.application import FixedClock, Ledger

SMALL, LARGE = 10_000, 1_000_000
CHUNK = 50_000


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", help="postgresql://... (default: a temporary SQLite)")
    parser.add_argument("--events", type=int, default=2_000, help="events per mode, appending")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--proofs", type=int, default=500, help="proofs of each kind and size")
    parser.add_argument("--large", type=int, default=LARGE, help="leaves of the large tree")
    args = parser.parse_args(argv)

    env, drop = store(args.database_url)
    ledger = Ledger(env=env, clock=FixedClock(TODAY))
    try:
        name = "PostgreSQL" if "POSTGRES_DBNAME" in ledger.env else "SQLite"
        print(f"Merkle tree benchmark on {name}\n")
        appending(ledger, args.events, args.rounds)
        proofs(ledger, args.proofs, args.large)
    finally:
        ledger.close()
        drop()


# 1. Appending

MODES = {
    "without": "without the tree",
    "synchronous": "tree after each save",
    "follower": "tree by a follower",
}


def appending(ledger: Ledger, events: int, rounds: int) -> None:
    """Writes in rounds, the three modes taken in turn, each on its own allocation."""
    writer = LogWriter(ledger)
    allocations = dict(zip(MODES, writer.grant(len(MODES)), strict=True))
    follower = Follower(Projections(ledger, names=["merkle"]))
    chooser = random.Random(7)
    seconds = dict.fromkeys(MODES, 0.0)
    written = dict.fromkeys(MODES, 0)
    per_round = max(events // rounds, 1)
    for _ in range(rounds):
        for mode, allocation_id in allocations.items():
            with follower.locks.hold("merkle", wait=30):
                follower.apply_pending("merkle")  # caught up before each block, untimed
            allocation = ledger.repository.get(allocation_id)
            head = ledger.recorder.max_notification_id()
            if mode == "follower":
                elapsed = _with_follower(ledger, allocation, chooser, per_round)
            else:
                with follower.locks.hold("merkle", wait=30):
                    started = time.perf_counter()
                    for _ in range(per_round):
                        record(allocation, chooser)
                        ledger.save(allocation)
                        if mode == "synchronous":
                            follower.apply_pending("merkle")
                    elapsed = time.perf_counter() - started
            seconds[mode] += elapsed
            written[mode] += ledger.recorder.max_notification_id() - head
    rate = {mode: written[mode] / seconds[mode] for mode in MODES}
    print(f"Appending, one save per event, {rounds} rounds taken in turn:")
    for mode, label in MODES.items():
        ratio = rate[mode] / rate["without"]
        print(
            f"  {label:<22}{written[mode]:>7,} events {_rate(seconds[mode], rate[mode])}"
            f"  {ratio:5.2f}x"
        )
    print(
        "  (after each save: the tree takes the event in, one more transaction; by a "
        "follower:\n   a thread following the log as each web process runs it, timed until "
        "the tree holds the last event)"
    )
    total = ledger.recorder.max_notification_id()
    started = time.perf_counter()
    rebuild(Projections(ledger, namespace="r_", names=["merkle"]), "merkle")
    alone = time.perf_counter() - started
    print(
        f"  the tree alone, catching up the whole log in batches: {total:,} events "
        f"{_rate(alone, total / alone)} ({total / alone / rate['without']:.1f}x the write rate)\n"
    )


def _with_follower(ledger: Ledger, allocation: Any, chooser: random.Random, count: int) -> float:
    """Seconds to write `count` events while a follower thread (with connections of its
    own) keeps the tree, until the tree holds the last of them."""
    own = Ledger(env=ledger.env, clock=FixedClock(TODAY))
    projections = Projections(own, names=["merkle"])
    follower = Follower(projections)
    stop = threading.Event()
    thread = threading.Thread(target=follower.run, args=(stop, 0.002, 0.002), daemon=True)
    thread.start()
    try:
        started = time.perf_counter()
        for _ in range(count):
            record(allocation, chooser)
            ledger.save(allocation)
            follower.nudge()
        last = ledger.recorder.max_notification_id()
        await_position(projections, ["merkle"], last, timeout=120)
        return time.perf_counter() - started
    finally:
        stop.set()
        thread.join()
        own.close()


def record(allocation: Any, chooser: random.Random) -> None:
    day = FIRST_DAY + timedelta(chooser.randint(0, (LAST_DAY - FIRST_DAY).days))
    allocation.record_activity(
        activity_id=uuid.uuid4(),
        team_member=chooser.choice(MEMBERS),
        units=chooser.choice((1, 2, 3, 5, 8)),
        description="work",
        date_from=day,
        date_to=day,
        actor="bench",
        today=TODAY,
    )


# 2. Proofs


def proofs(ledger: Ledger, count: int, large: int) -> None:
    print("Proofs; each tree's leaves appended to the tree store directly:")
    trees = {}
    for size, namespace in ((SMALL, "p10k_"), (large, "p1m_")):
        started = time.perf_counter()
        trees[size] = filled(ledger, namespace, size)
        print(f"  a tree of {size:>9,} leaves stored in {time.perf_counter() - started:5.1f}s")
    chooser = random.Random(9162)
    timings: dict[tuple[str, int], list[float]] = {}
    for _ in range(count):
        for size, view in trees.items():
            position = chooser.randint(1, size)
            first = chooser.randint(1, size - 1)
            _time(timings, ("inclusion", size), view.inclusion, position, size)
            _time(timings, ("consistency", size), view.consistency, first, size)
    print(f"Median of {count} proofs at random positions, the two trees taken in turn:")
    for size in trees:
        reads = (
            len(nodes_needed(inclusion_path, size // 3, size)) + 1,
            len(nodes_needed(consistency_path, size // 3, size)),
        )
        print(
            f"  {size:>9,} leaves  inclusion {_ms(timings, 'inclusion', size)} "
            f"({reads[0]} nodes read)  consistency {_ms(timings, 'consistency', size)} "
            f"({reads[1]} nodes read)"
        )
    factor = large / SMALL
    median = {key: statistics.median(values) for key, values in timings.items()}
    ratios = {
        kind: median[(kind, large)] / median[(kind, SMALL)] for kind in ("inclusion", "consistency")
    }
    verdict = "ok" if max(ratios.values()) <= 2 else "OVER 2x"
    print(
        f"  {large:,} vs {SMALL:,} leaves ({factor:.0f}x): inclusion {ratios['inclusion']:.2f}x, "
        f"consistency {ratios['consistency']:.2f}x ({verdict}: at most 2x; "
        f"log2 ratio {(large.bit_length() - 1) / (SMALL.bit_length() - 1):.2f}x)"
    )


def filled(ledger: Ledger, namespace: str, size: int) -> MerkleTree:
    """A tree view of `size` leaves (hashes of their numbers), its nodes stored by bulk
    insert as the projection would have stored them one by one."""
    view: MerkleTree = Projections(ledger, namespace=namespace, names=["merkle"]).views["merkle"]
    frontier = Frontier()
    nodes: list[tuple[int, int, bytes]] = []
    for n in range(size):
        nodes += frontier.append(leaf_hash(n.to_bytes(8, "big")))
        if len(nodes) >= CHUNK:
            bulk_store(view, nodes)
            nodes = []
    bulk_store(view, nodes)
    assert view.size() == size
    return view


def bulk_store(view: MerkleTree, nodes: list[tuple[int, int, bytes]]) -> None:
    with view.view.datastore.transaction(commit=True) as cursor:
        table = view.table("nodes")
        if hasattr(cursor, "copy"):  # psycopg: COPY is the fast path for many rows
            with cursor.copy(f"COPY {table} (level, idx, hash) FROM STDIN") as copy:
                for row in nodes:
                    copy.write_row(row)
        else:
            cursor.executemany(f"INSERT INTO {table} VALUES (?, ?, ?)", nodes)


def _time(timings: dict, key: tuple[str, int], call: Callable[..., object], *args: int) -> None:
    started = time.perf_counter()
    call(*args)
    timings.setdefault(key, []).append(time.perf_counter() - started)


def _ms(timings: dict, kind: str, size: int) -> str:
    return f"{statistics.median(timings[(kind, size)]) * 1000:6.3f} ms"


def _rate(seconds: float, rate: float) -> str:
    return f"{seconds:8.2f}s {rate:>9,.0f} events/s"


if __name__ == "__main__":
    main()
