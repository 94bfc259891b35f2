"""The PDFs the worker renders, and the requests for them: one table, `rendered_pdfs`,
in the event store's database, so that a web process on one host can queue a
rendering that the worker process on another renders, and both serve it after.

A row is one rendering asked for: a document (`report/<engagement>/<YYYY-MM>`,
`statement/<id>`), the day it is drawn for (a report's figures and chart depend on
the service's day; '' for a statement, which never changes) and the least log
position it must reflect (`min_position`: the end of the log when it was asked for,
so that it shows every write acknowledged before). Asking twice inserts nothing (the
primary key), so many requests for one PDF queue one rendering.

The renderer claims a pending row with a lease (`claimed_until`: another renderer
takes it over if this one dies mid-render), renders it from read models that have
reached at least `min_position`, and stores the file with the position they had
(`position`). A stored file serves every request of the same document and day whose
`min_position` it has reached; storing one deletes what it makes moot: renderings of
earlier days, older ones, and pending requests it satisfies.

Portable SQL as elsewhere (`:name` parameters, text timestamps); the file is a BLOB
on SQLite and a BYTEA on PostgreSQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from service.infra.side_table import SideTable

TABLE = "rendered_pdfs"
ERROR_TEXT_LIMIT = 2000
UNCLAIMED = "pdf IS NULL AND (claimed_until IS NULL OR claimed_until < :now)"


def _columns(blob: str) -> str:
    return (
        "document TEXT NOT NULL, day TEXT NOT NULL, min_position BIGINT NOT NULL, "
        "requested_at TEXT NOT NULL, claimed_until TEXT, attempts INTEGER NOT NULL, "
        f"error TEXT, position BIGINT, pdf {blob}, rendered_at TEXT, "
        "PRIMARY KEY (document, day, min_position)"
    )


@dataclass(frozen=True)
class Job:
    """A rendering to do: the document, its day, the least position it must reflect,
    and how many times it has been claimed (this one included)."""

    document: str
    day: str
    min_position: int
    attempts: int


class RenderedPdfs(SideTable):
    """The `rendered_pdfs` table of one event store."""

    def __init__(self, datastore: Any):
        super().__init__(datastore, TABLE)

    def create_table(self) -> None:
        self.create(_columns("BYTEA" if self.is_postgres else "BLOB"))

    # The web side

    def stored(self, document: str, day: str, min_position: int) -> bytes | None:
        """The newest rendering of the document for `day` reflecting `min_position`."""
        with self.transaction(commit=False) as tx:
            rows = tx.rows(
                f"SELECT pdf FROM {self.table} WHERE document = :document AND day = :day "
                "AND position >= :min_position AND pdf IS NOT NULL "
                "ORDER BY position DESC LIMIT 1",
                document=document,
                day=day,
                min_position=min_position,
            )
        return bytes(rows[0]["pdf"]) if rows else None

    def request(self, document: str, day: str, min_position: int, now: datetime) -> None:
        """Queue the rendering, unless it is queued already."""
        with self.transaction(commit=True) as tx:
            tx.run(
                f"INSERT INTO {self.table} (document, day, min_position, requested_at, attempts) "
                "VALUES (:document, :day, :min_position, :now, 0) "
                "ON CONFLICT (document, day, min_position) DO NOTHING",
                document=document,
                day=day,
                min_position=min_position,
                now=_text(now),
            )

    # The renderer's side

    def claim(self, now: datetime, lease: timedelta) -> Job | None:
        """The oldest pending rendering no other renderer holds, leased to the caller
        until `now + lease`; None when there is none (or another renderer took it
        first: the UPDATE repeats the SELECT's condition, so one of them gets it)."""
        with self.transaction(commit=False) as tx:  # most looks find none: no lock taken
            rows = tx.rows(
                f"SELECT document, day, min_position, attempts FROM {self.table} "
                f"WHERE {UNCLAIMED} ORDER BY requested_at, min_position LIMIT 1",
                now=_text(now),
            )
        if not rows:
            return None
        key = {name: rows[0][name] for name in ("document", "day", "min_position")}
        with self.transaction(commit=True) as tx:
            claimed = tx.rows(
                f"UPDATE {self.table} SET claimed_until = :until, attempts = attempts + 1 "
                "WHERE document = :document AND day = :day AND min_position = :min_position "
                f"AND {UNCLAIMED} RETURNING attempts",
                until=_text(now + lease),
                now=_text(now),
                **key,
            )
        return Job(**key, attempts=int(claimed[0]["attempts"])) if claimed else None

    def release(self, job: Job, retry_at: datetime, error: str | None = None) -> None:
        """Give the job back, to be claimed again from `retry_at` (with why, if it failed)."""
        with self.transaction(commit=True) as tx:
            tx.run(
                f"UPDATE {self.table} SET claimed_until = :retry_at, error = :error "
                "WHERE document = :document AND day = :day AND min_position = :min_position",
                retry_at=_text(retry_at),
                error=None if error is None else error[:ERROR_TEXT_LIMIT],
                **_key(job),
            )

    def release_all(self) -> None:
        """Free every lease: the deployment's one renderer is starting, so any lease
        left is a dead process's."""
        with self.transaction(commit=True) as tx:
            tx.run(f"UPDATE {self.table} SET claimed_until = NULL WHERE pdf IS NULL")

    def store(self, job: Job, pdf: bytes, position: int, now: datetime) -> None:
        """Keep the rendering (of the read models at `position`) and delete what it
        makes moot: the document's renderings of earlier days, its older ones of this
        day, and its pending requests this one satisfies."""
        with self.transaction(commit=True) as tx:
            tx.run(
                f"UPDATE {self.table} SET pdf = :pdf, position = :position, "
                "rendered_at = :now, claimed_until = NULL, error = NULL "
                "WHERE document = :document AND day = :day AND min_position = :min_position",
                pdf=pdf,
                position=position,
                now=_text(now),
                **_key(job),
            )
            tx.run(
                f"DELETE FROM {self.table} WHERE document = :document "
                "AND NOT (day = :day AND min_position = :min_position) AND (day < :day "
                "OR (day = :day AND min_position <= :position "
                "AND (position IS NULL OR position <= :position)))",
                position=position,
                **_key(job),
            )

    def pending(self) -> int:
        with self.transaction(commit=False) as tx:
            rows = tx.rows(f"SELECT COUNT(*) AS n FROM {self.table} WHERE pdf IS NULL")
        return int(rows[0]["n"])


def _key(job: Job) -> dict[str, Any]:
    return {"document": job.document, "day": job.day, "min_position": job.min_position}


def _text(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")
