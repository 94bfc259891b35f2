"""API tokens: random secrets shown once, known to the service only by a hash.

A token is an aggregate whose id is derived from the hash of its secret, so looking
one up is a read of one small stream, and the issue of every token is in the audit log
(without the secret)."""

from __future__ import annotations

import hashlib
import secrets
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate
from eventsourcing.utils import register_topic

ROLES = ("admin", "bd", "manager", "member", "auditor", "viewer")
TOKEN_NAMESPACE = uuid5(NAMESPACE_URL, "urn:community-enablement:api-token")
TOKEN_PREFIX = "ces_"


def new_secret() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_id(secret: str) -> UUID:
    digest = hashlib.sha256(secret.encode()).hexdigest()
    return uuid5(TOKEN_NAMESPACE, digest)


class ApiToken(Aggregate):
    class TokenIssued(Aggregate.Created):
        role: str
        member: str | None
        engagement_id: UUID | None
        actor: str

    def __init__(self, role: str, member: str | None, engagement_id: UUID | None):
        self.role = role
        self.member = member
        self.engagement_id = engagement_id
        self.revoked = False

    @classmethod
    def issue(
        cls, *, secret: str, role: str, member: str | None, engagement_id: UUID | None, actor: str
    ) -> ApiToken:
        return cls._create(
            cls.TokenIssued,
            id=token_id(secret),
            role=role,
            member=member,
            engagement_id=engagement_id,
            actor=actor,
        )

    def revoke(self, actor: str) -> None:
        self.trigger_event(self.TokenRevoked, actor=actor)

    class TokenRevoked(Aggregate.Event):
        actor: str

        def apply(self, token: ApiToken) -> None:
            token.revoked = True


# Tokens issued before the layout of service/domain/ were stored under this topic.
register_topic("service.tokens:ApiToken", ApiToken)
