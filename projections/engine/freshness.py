"""Reading your own writes: a read waits, for a bounded time, until the views it
uses have processed a given log position."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from projections.engine.catalog import Projections


class ProjectionsBehind(Exception):
    """The views did not reach the position in time (answered 503 with Retry-After)."""

    def __init__(self, target: int, positions: dict[str, int]):
        behind = ", ".join(f"{name} at {position}" for name, position in positions.items())
        super().__init__(f"the read models have not reached log position {target} yet ({behind})")
        self.target = target
        self.positions = positions


class WorkerDown(Exception):
    """The views are short of the position and no process is advancing them (the
    background worker's heartbeat is stale, heartbeat.py): waiting would not help, so
    the read answers 503 at once."""

    def __init__(self, target: int, positions: dict[str, int], age_seconds: float | None):
        behind = ", ".join(f"{name} at {position}" for name, position in positions.items())
        last = (
            "it has never sent a heartbeat"
            if age_seconds is None
            else f"its last heartbeat was {age_seconds:.0f}s ago"
        )
        super().__init__(
            f"the background worker is not running ({last}), so the read models will not "
            f"reach log position {target} ({behind}) until it is back"
        )
        self.target = target
        self.positions = positions


class PositionBeyondLog(ValueError):
    """min_position (or `field`, another parameter) names a position the log has not
    reached (answered 422)."""

    def __init__(self, message: str, field: str = "min_position"):
        super().__init__(message)
        self.field = field


def await_position(
    projections: Projections,
    names: Sequence[str],
    target: int,
    timeout: float,
    nudge: Callable[[], None] = lambda: None,
) -> None:
    """Return once every named view has processed `target`; raise ProjectionsBehind
    after `timeout` seconds. Polls with short, growing pauses (2 ms to 50 ms)."""
    deadline = time.monotonic() + timeout
    pause = 0.002
    while True:
        positions = projections.positions(names)
        behind = {name: position for name, position in positions.items() if position < target}
        if not behind:
            return
        nudge()
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise ProjectionsBehind(target, behind)
        time.sleep(min(pause, remaining))
        pause = min(pause * 2, 0.05)


def target_position(projections: Projections, min_position: int | None) -> int:
    """What a read must wait for: the position the client names, or else the end of
    the log as the read arrives, so every write acknowledged before it is visible."""
    head = projections.head()
    if min_position is None:
        return head
    if min_position > head:
        raise PositionBeyondLog(
            f"min_position {min_position} is beyond the end of the log ({head})"
        )
    return min_position
