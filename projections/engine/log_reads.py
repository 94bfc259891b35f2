"""Reading the log for the read models: once per pass (or rebuild page) for all of
them, filtered in the database by the topics they subscribe to."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from projections.engine.readmodel import ReadModel


class LogReads:
    """One pass's reads of the log, each filtered in the database by the topics its
    readers subscribe to (`topics_of`), and each a window of at most `batch_size` log
    positions (so it holds at most that many events, and a read model that cares for
    few events still moves on a window at a time). Its views are mostly at one
    position, so the batch read for one is kept for the next (one read instead of one
    per view): the log up to the pass's head never changes, as no later commit takes a
    lower position (each insert holds the table's lock until it commits)."""

    def __init__(self, recorder: Any, batch_size: int):
        self.recorder = recorder
        self.batch_size = batch_size
        self.last: tuple[tuple[int, int, tuple[str, ...]], Sequence[Any]] | None = None

    def after(self, position: int, until: int, topics: Sequence[str] = ()) -> Sequence[Any]:
        """The events of `topics` (none: all) after `position`, up to
        `reached(position, until)`."""
        asked = (position, until, tuple(topics))
        if self.last is None or self.last[0] != asked:
            self.last = (asked, self._select(position, self.reached(position, until), topics))
        return self.last[1]

    def reached(self, position: int, until: int) -> int:
        """The last log position the read after `position` covers."""
        return min(until, position + self.batch_size)

    def _select(self, position: int, stop: int, topics: Sequence[str]) -> Sequence[Any]:
        return self.recorder.select_notifications(
            start=position,
            limit=self.batch_size,
            stop=stop,
            topics=topics,
            inclusive_of_start=False,
        )


def topics_of(models: Iterable[ReadModel]) -> tuple[str, ...]:
    """The topics that `models` read, to read the log once for all of them: none
    (every event) if any reads every event (the Merkle tree)."""
    topics: set[str] = set()
    for model in models:
        if not model.topics:
            return ()
        topics.update(model.topics)
    return tuple(sorted(topics))
