"""API tokens: random secrets shown once, known to the service only by a hash.

A token is an aggregate whose id is derived from the hash of its secret, so looking
one up is a read of one small stream, and the issue of every token is in the audit log
(without the secret).

Every token names the person who holds it (docs/explanation/audit.md, Attribution): the events a
request causes carry that name as their `actor`, not a token id. Tokens issued before
names were kept have none (their `TokenIssued` is upcast with `name: None`) and keep
working, attributed as before."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate
from eventsourcing.utils import register_topic

from service.domain.errors import RuleViolation

ROLES = ("admin", "bd", "manager", "member", "auditor", "viewer")
TOKEN_NAMESPACE = uuid5(NAMESPACE_URL, "urn:community-enablement:api-token")
TOKEN_PREFIX = "ces_"
MAX_NAME = 200


def new_secret() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_id(secret: str) -> UUID:
    digest = hashlib.sha256(secret.encode()).hexdigest()
    return uuid5(TOKEN_NAMESPACE, digest)


def _without_name(state: dict[str, Any]) -> None:
    """Upcast a `TokenIssued` stored before tokens named their person (version 1)."""
    state["name"] = None


class ApiToken(Aggregate):
    class TokenIssued(Aggregate.Created):
        role: str
        member: str | None
        engagement_id: UUID | None
        name: str | None
        actor: str

        class_version = 2
        upcast_v1_v2 = staticmethod(_without_name)

    def __init__(self, role: str, member: str | None, engagement_id: UUID | None, name: str | None):
        self.role = role
        self.member = member
        self.engagement_id = engagement_id
        self.name = name
        self.revoked = False
        self.sign_in_links: dict[str, datetime] = {}
        self.used_sign_in_links: set[str] = set()

    @classmethod
    def issue(cls, *, secret: str, name: str, **grant: Any) -> ApiToken:
        """`name`: the person holding the token, the actor of what it does. `grant`: the
        rest of `TokenIssued` by name (role, member, engagement id, actor), which refuses
        any other, or one missing."""
        name = " ".join(name.split())
        if not name:
            raise RuleViolation("a token needs the name of the person who holds it", "name")
        if len(name) > MAX_NAME:
            raise RuleViolation(f"a name has at most {MAX_NAME} characters", "name")
        return cls._create(cls.TokenIssued, id=token_id(secret), name=name, **grant)

    def revoke(self, actor: str) -> None:
        self.trigger_event(self.TokenRevoked, actor=actor)

    class TokenRevoked(Aggregate.Event):
        actor: str

        def apply(self, token: ApiToken) -> None:
            token.revoked = True

    def issue_sign_in_link(self, nonce: str, expires_at: datetime, actor: str) -> None:
        """A link that signs its holder in once, before `expires_at`: only the
        nonce's digest is kept, as only the secret's is for the token."""
        self.trigger_event(
            self.SignInLinkIssued, digest=link_digest(nonce), expires_at=expires_at, actor=actor
        )

    class SignInLinkIssued(Aggregate.Event):
        digest: str
        expires_at: datetime
        actor: str

        def apply(self, token: ApiToken) -> None:
            token.sign_in_links[self.digest] = self.expires_at

    def use_sign_in_link(self, nonce: str, now: datetime) -> None:
        """Sign in with a link, once. Two browsers racing with the same link write
        the same next version of this stream: the store lets only one of them in."""
        self.check_sign_in_link(nonce, now)
        self.trigger_event(
            self.SignInLinkUsed, digest=link_digest(nonce), actor=self.name or self.role
        )

    def check_sign_in_link(self, nonce: str, now: datetime) -> None:
        """Refuse a link that is unknown, used, expired or of a revoked token."""
        digest = link_digest(nonce)
        expires_at = self.sign_in_links.get(digest)
        if self.revoked or expires_at is None:
            raise SignInLinkRefused("this sign-in link is not valid")
        if digest in self.used_sign_in_links:
            raise SignInLinkRefused("this sign-in link has already been used")
        if now >= expires_at:
            raise SignInLinkRefused("this sign-in link has expired")

    class SignInLinkUsed(Aggregate.Event):
        digest: str
        actor: str

        def apply(self, token: ApiToken) -> None:
            token.used_sign_in_links.add(self.digest)


class SignInLinkRefused(RuleViolation):
    """A one-time sign-in link that is unknown, used, expired or of a revoked token."""


def link_digest(nonce: str) -> str:
    return hashlib.sha256(nonce.encode()).hexdigest()


# Tokens issued before the layout of service/domain/ were stored under this topic.
register_topic("service.tokens:ApiToken", ApiToken)
