"""A rebuild folds the log in memory and writes each row once (projections/engine/
fold.py); the live follower applies it event by event. Both must write the same rows,
the as-of `_history` tables (`valid_from`, `valid_to`) included: a random log (seeded,
so a failure can be replayed) is followed live, interleaved with the writes, and
rebuilt by folding in pages that cut it anywhere, and every table is compared row for
row."""

from __future__ import annotations

import random

import pytest

from projections import NAMES, Projections
from projections.engine.follower import Follower
from projections.engine.rebuild import rebuild
from tests.support.stories import MEMBERS, Story

FTES = ("0.2", "0.5", "1")


def random_commands(seed: int, count: int) -> list[tuple]:
    """Commands of every kind Story runs, in the shapes its property test draws."""
    draw = random.Random(seed)
    member = lambda: draw.choice(MEMBERS)  # noqa: E731
    maybe = lambda value: draw.choice((None, value))  # noqa: E731
    makers = [
        lambda: ("grant", draw.randint(0, 1), draw.randint(0, 200), draw.randint(0, 120), 40),
        lambda: ("record", draw.randint(0, 30), member(), draw.randint(1, 8), 
                 draw.randint(0, 400), draw.randint(0, 3)),
        lambda: ("correct", draw.randint(0, 30), maybe(draw.randint(1, 8)), maybe(member()),
                 maybe(draw.randint(0, 400))),
        lambda: ("retract", draw.randint(0, 30)),
        lambda: ("move", draw.randint(0, 30), draw.randint(0, 30)),
        lambda: ("amend", draw.randint(0, 30), maybe(draw.randint(1, 60)),
                 maybe(draw.randint(0, 60))),
        lambda: ("cancel", draw.randint(0, 30)),
        lambda: ("capacity", member(), draw.choice(FTES), draw.randint(0, 300)),
        lambda: ("depart", member(), draw.randint(0, 300)),
        lambda: ("follow", draw.randint(1, 7)),
    ]  # fmt: skip
    weights = [3, 12, 6, 2, 3, 2, 1, 1, 1, 2]
    return [draw.choices(makers, weights)[0]() for _ in range(count)]


@pytest.mark.parametrize("seed", [1, 2])
def test_a_rebuild_by_folding_writes_every_row_the_live_follower_writes(ledger, seed):
    story = Story(ledger, tag=f"fold{seed}")
    live = Projections(ledger, namespace="live_")
    for command in random_commands(seed, 160):
        story.run(command, live)
    assert Follower(live).catch_up()
    folded = Projections(ledger, namespace="folded_")
    for name in NAMES:
        rebuild(folded, name, batch_size=37)
    expected = live.dump()
    assert folded.dump() == expected
    tables = {name: view["tables"] for name, view in expected.items()}
    for name, table in [
        ("activities", "activities_history"),
        ("usage", "by_allocation_history"),
        ("balances", "allocations_history"),
        ("team", "members_history"),
    ]:
        assert tables[name][table], f"the log made no {name}.{table} rows to compare"
