"""Poisoned views: when applying an event to a view raises (a value the database cannot
store, a bug in a handler), the follower records it here, lets the other views go on,
and retries the failed one with exponential backoff.

The record lives in the event store's database, beside the views (a table
`projection_failures`, prefixed by the views' namespace), so that every process sees
it: the follower may run in `projections run` or in any gunicorn worker, while
/readyz, /metrics, `projections status` and the reads are answered by all of them.
It is written and cleared by the holder of the view's lock; `retry_now` only moves
the next retry forward. A failure is current while its view has not gone past the
event it failed on (`Failure.stops`): a rebuild that got past it makes it moot.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from projections.engine.views import IDENTIFIER
from service.infra.side_table import SideTable

FIRST_RETRY_SECONDS = 1.0
MAX_RETRY_SECONDS = 300.0
ERROR_TEXT_LIMIT = 2000
COLUMNS = (
    "view_name TEXT PRIMARY KEY, position BIGINT NOT NULL, error TEXT NOT NULL, "
    "failed_at TEXT NOT NULL, attempts INTEGER NOT NULL, retry_at TEXT"
)


def backoff_seconds(
    attempts: int, first: float = FIRST_RETRY_SECONDS, limit: float = MAX_RETRY_SECONDS
) -> float:
    """The pause before retrying a view that has failed `attempts` times in a row on
    the same event: `first`, doubling with each attempt, at most `limit`."""
    if attempts < 1:
        return 0.0
    return min(first * 2.0 ** min(attempts - 1, 64), limit)


def now_utc() -> datetime:
    return datetime.now(UTC)


def describe(error: BaseException) -> str:
    """An error as a person reads it: its type and message."""
    text = f"{type(error).__name__}: {error}".strip()
    return text if len(text) <= ERROR_TEXT_LIMIT else text[: ERROR_TEXT_LIMIT - 1] + "…"


class EventFailed(Exception):
    """Applying the event at `position` to view `view` raised `error` (its transaction
    was rolled back; the view stays at the position before it)."""

    def __init__(self, view: str, position: int, error: BaseException):
        super().__init__(
            f"the {view} view failed on the event at log position {position}: {describe(error)}"
        )
        self.view = view
        self.position = position
        self.error = error


@dataclass(frozen=True)
class Failure:
    view: str
    position: int
    """the log position of the event the view failed on (it stays just before it)"""
    error: str
    failed_at: datetime
    attempts: int
    retry_at: datetime | None
    """when the follower tries again; None: at once"""

    def due(self, now: datetime) -> bool:
        return self.retry_at is None or self.retry_at <= now

    def stops(self, view_position: int) -> bool:
        """True while the view has not gone past the event it failed on."""
        return view_position < self.position

    def as_json(self) -> dict[str, Any]:
        return {
            "position": self.position,
            "error": self.error,
            "failed_at": self.failed_at.isoformat(),
            "attempts": self.attempts,
            "retry_at": self.retry_at.isoformat() if self.retry_at else None,
        }


class ViewsFailing(Exception):
    """Views a read needs are stuck on an event they failed to apply (answered 503)."""

    def __init__(self, failures: Iterable[Failure]):
        self.failures = list(failures)
        stuck = "; ".join(
            f"the {failure.view} view is stuck at log position {failure.position}"
            for failure in self.failures
        )
        super().__init__(f"{stuck}: it failed to apply that event and is being retried")


class ViewFailures(SideTable):
    """The `projection_failures` table of one event store (and namespace)."""

    def __init__(self, datastore: Any, namespace: str = ""):
        if not IDENTIFIER.match(namespace + "projection_failures"):
            raise ValueError(f"bad namespace {namespace!r}")
        super().__init__(datastore, f"{namespace}projection_failures")

    def create_table(self) -> None:
        self.create(COLUMNS)

    def read(self, names: Iterable[str] | None = None) -> dict[str, Failure]:
        """The recorded failures (of the named views), current or not."""
        wanted = None if names is None else set(names)
        with self.transaction(commit=False) as tx:
            rows = tx.rows(f"SELECT * FROM {self.table}")
        return {
            row["view_name"]: _failure(row)
            for row in rows
            if wanted is None or row["view_name"] in wanted
        }

    def get(self, name: str) -> Failure | None:
        with self.transaction(commit=False) as tx:
            rows = tx.rows(f"SELECT * FROM {self.table} WHERE view_name = :name", name=name)
        return _failure(rows[0]) if rows else None

    def record(
        self,
        name: str,
        position: int,
        error: BaseException,
        now: datetime,
        first: float = FIRST_RETRY_SECONDS,
        limit: float = MAX_RETRY_SECONDS,
    ) -> Failure:
        """Record that view `name` failed on the event at `position` (by the holder of
        its lock). Failing again on the same event counts one more attempt and doubles
        the pause; failing on another event starts over."""
        with self.transaction(commit=True) as tx:
            rows = tx.rows(f"SELECT * FROM {self.table} WHERE view_name = :name", name=name)
            before = _failure(rows[0]) if rows else None
            attempts = before.attempts + 1 if before and before.position == position else 1
            failure = Failure(
                view=name,
                position=position,
                error=describe(error),
                failed_at=now,
                attempts=attempts,
                retry_at=now + timedelta(seconds=backoff_seconds(attempts, first, limit)),
            )
            tx.run(f"DELETE FROM {self.table} WHERE view_name = :name", name=name)
            tx.run(
                f"INSERT INTO {self.table} "
                "VALUES (:name, :position, :error, :failed_at, :attempts, :retry_at)",
                name=name,
                position=position,
                error=failure.error,
                failed_at=_text(failure.failed_at),
                attempts=attempts,
                retry_at=_text(failure.retry_at),
            )
        return failure

    def clear(self, name: str) -> None:
        with self.transaction(commit=True) as tx:
            tx.run(f"DELETE FROM {self.table} WHERE view_name = :name", name=name)

    def retry_now(self, names: Iterable[str] | None = None) -> list[str]:
        """Have the followers retry these failed views (or all) at their next look,
        rather than when their backoff ends (say, once the cause is fixed). Returns the
        views that had a failure."""
        failed = self.read(names)
        with self.transaction(commit=True) as tx:
            for name in failed:
                tx.run(
                    f"UPDATE {self.table} SET retry_at = NULL WHERE view_name = :name", name=name
                )
        return sorted(failed)

    def drop(self) -> None:
        with self.transaction(commit=True) as tx:
            tx.run(f"DROP TABLE IF EXISTS {self.table}")


def current(failures: dict[str, Failure], positions: dict[str, int]) -> dict[str, Failure]:
    """The failures that still hold their view back, given each view's position."""
    return {
        name: failure
        for name, failure in failures.items()
        if name in positions and failure.stops(positions[name])
    }


def _failure(row: dict[str, Any]) -> Failure:
    return Failure(
        view=row["view_name"],
        position=int(row["position"]),
        error=row["error"],
        failed_at=datetime.fromisoformat(row["failed_at"]),
        attempts=int(row["attempts"]),
        retry_at=datetime.fromisoformat(row["retry_at"]) if row["retry_at"] else None,
    )


def _text(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).isoformat(timespec="microseconds")
