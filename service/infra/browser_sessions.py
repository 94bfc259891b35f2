"""Browser sessions kept on the server, in the event store's database (a table
`web_sessions`), so that signing out ends a session for every process at once, whatever
cookie a browser (or someone who copied it) still holds.

The cookie holds only a random session id; the table keeps its SHA-256 digest (someone
reading the database cannot take a session over), the token's id, when the session
started and when it was last seen. A session exists while its row does: signing out
deletes it, an expired one is deleted when met, and each sign-in sweeps the expired
rows away, so the table holds about as many rows as there are people signed in. Whether
a session is expired, and whether its token is still valid, the caller decides
(service/web/pages/people.py): this module only stores.

Not events in the log: a session is no fact of the ledger, and it changes as it is used.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from service.infra.side_table import SideTable

TABLE = "web_sessions"
COLUMNS = (
    "session_digest TEXT PRIMARY KEY, token_id TEXT NOT NULL, "
    "started_at TEXT NOT NULL, last_seen_at TEXT NOT NULL"
)


@dataclass(frozen=True)
class BrowserSession:
    token_id: UUID
    started_at: datetime
    last_seen_at: datetime


class BrowserSessions(SideTable):
    """The `web_sessions` table of one event store's database (SQLite or PostgreSQL,
    in the store's schema), made on first use."""

    def __init__(self, datastore: Any):
        super().__init__(datastore, TABLE)
        self.create(COLUMNS)

    def start(self, token_id: UUID, now: datetime) -> str:
        """A new session for the token: its id, for the cookie (never stored as is)."""
        session_id = secrets.token_urlsafe(32)
        with self.transaction(commit=True) as tx:
            tx.run(
                f"INSERT INTO {self.table} VALUES (:digest, :token, :now, :now)",
                digest=_digest(session_id),
                token=str(token_id),
                now=_text(now),
            )
        return session_id

    def find(self, session_id: str) -> BrowserSession | None:
        with self.transaction(commit=False) as tx:
            row = tx.row(
                f"SELECT token_id, started_at, last_seen_at FROM {self.table} "
                "WHERE session_digest = :digest",
                digest=_digest(session_id),
            )
        if row is None:
            return None
        return BrowserSession(
            token_id=UUID(row["token_id"]),
            started_at=datetime.fromisoformat(row["started_at"]),
            last_seen_at=datetime.fromisoformat(row["last_seen_at"]),
        )

    def seen(self, session_id: str, now: datetime) -> None:
        with self.transaction(commit=True) as tx:
            tx.run(
                f"UPDATE {self.table} SET last_seen_at = :now WHERE session_digest = :digest",
                now=_text(now),
                digest=_digest(session_id),
            )

    def end(self, session_id: str) -> None:
        with self.transaction(commit=True) as tx:
            tx.run(
                f"DELETE FROM {self.table} WHERE session_digest = :digest",
                digest=_digest(session_id),
            )

    def sweep(self, *, seen_before: datetime, started_before: datetime) -> None:
        """Delete the sessions idle since `seen_before` or started before `started_before`."""
        with self.transaction(commit=True) as tx:
            tx.run(
                f"DELETE FROM {self.table} WHERE last_seen_at < :seen OR started_at < :started",
                seen=_text(seen_before),
                started=_text(started_before),
            )


def _digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def _text(moment: datetime) -> str:
    """ISO text in UTC, which sorts as the moments do."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")
