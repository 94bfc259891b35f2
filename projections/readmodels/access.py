"""Who has access: every API token issued, with the person and role it names, whether
it is revoked, and its one-time sign-in links (how many issued and used, and when the
latest expires). Never a secret or a link: the log holds only their digests. What the
admin's access page lists (service/web/pages/access_pages.py).

Its handlers fold events into rows in memory (readmodel.py): the live follower and a
rebuild run the same ones."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from projections.engine.encoding import moment, to_moment, to_uuid, uid
from projections.engine.readmodel import Event, ReadModel, handles
from projections.engine.rows import Rows
from service.domain.tokens import ApiToken


@dataclass(frozen=True)
class Grant:
    """One token as the access page shows it."""

    token_id: UUID
    name: str | None
    role: str
    member: str | None
    engagement_id: UUID | None
    issued_at: datetime
    issued_by: str
    revoked_at: datetime | None
    revoked_by: str | None
    links_issued: int
    links_used: int
    link_expires_at: datetime | None
    """When the latest sign-in link expires (None: no link was issued)."""


TOKENS = (
    "token_id TEXT PRIMARY KEY, name TEXT, role TEXT NOT NULL, member TEXT, "
    "engagement_id TEXT, issued_at TEXT NOT NULL, issued_by TEXT NOT NULL, revoked_at TEXT, "
    "revoked_by TEXT, links_issued INTEGER NOT NULL, links_used INTEGER NOT NULL, "
    "link_expires_at TEXT, position BIGINT NOT NULL"
)


class Access(ReadModel):
    name = "access"
    version = 1
    tables = {"tokens": TOKENS}
    keys = {"tokens": ("token_id",)}

    # Folding

    def prefetch(self, rows: Rows, events: Sequence[Event]) -> None:
        rows.load("tokens", "token_id", [uid(event.originator_id) for event, _ in events])

    @handles(ApiToken.TokenIssued)
    def _issued(self, rows: Rows, event: Any, position: int) -> None:
        rows.put(
            "tokens",
            {
                "token_id": uid(event.originator_id),
                "name": event.name,
                "role": event.role,
                "member": event.member,
                "engagement_id": uid(event.engagement_id),
                "issued_at": moment(event.timestamp),
                "issued_by": event.actor,
                "revoked_at": None,
                "revoked_by": None,
                "links_issued": 0,
                "links_used": 0,
                "link_expires_at": None,
                "position": position,
            },
        )

    @handles(ApiToken.TokenRevoked)
    def _revoked(self, rows: Rows, event: Any, position: int) -> None:
        key = (uid(event.originator_id),)
        rows.update("tokens", key, revoked_at=moment(event.timestamp), revoked_by=event.actor)

    @handles(ApiToken.SignInLinkIssued)
    def _link_issued(self, rows: Rows, event: Any, position: int) -> None:
        row = rows.get("tokens", uid(event.originator_id))
        if row is not None:
            rows.update(
                "tokens",
                (row["token_id"],),
                links_issued=row["links_issued"] + 1,
                link_expires_at=moment(event.expires_at),
            )

    @handles(ApiToken.SignInLinkUsed)
    def _link_used(self, rows: Rows, event: Any, position: int) -> None:
        row = rows.get("tokens", uid(event.originator_id))
        if row is not None:
            rows.update("tokens", (row["token_id"],), links_used=row["links_used"] + 1)

    # Reads

    def grants(self) -> list[Grant]:
        """Every token, the latest issued first."""
        with self.reading() as tx:
            rows = tx.rows("SELECT * FROM {tokens} ORDER BY position DESC")
        return [
            Grant(
                token_id=UUID(row["token_id"]),
                name=row["name"],
                role=row["role"],
                member=row["member"],
                engagement_id=to_uuid(row["engagement_id"]),
                issued_at=to_moment(row["issued_at"]),
                issued_by=row["issued_by"],
                revoked_at=_moment_or_none(row["revoked_at"]),
                revoked_by=row["revoked_by"],
                links_issued=row["links_issued"],
                links_used=row["links_used"],
                link_expires_at=_moment_or_none(row["link_expires_at"]),
            )
            for row in rows
        ]


def _moment_or_none(text: str | None) -> datetime | None:
    return None if text is None else to_moment(text)


# Tokens issued before the layout of service/domain/ were stored under the topics of
# service.tokens (service/domain/tokens.py registers it): the log is read for those too.
Access.topics = (
    *Access.topics,
    *(topic.replace("service.domain.tokens:", "service.tokens:") for topic in Access.topics),
)
