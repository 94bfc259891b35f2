"""API tokens: issued and revoked from the command line and the admin's access page
(service/cli/tokens.py, service/web/pages/access_pages.py), looked up on every request."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from service.application.base import LedgerBase
from service.application.commands import RequestId, Written, command
from service.domain import (
    Conflict,
    Engagement,
    NotFound,
    RuleViolation,
    TeamMember,
    team_member_id,
)
from service.domain.tokens import ROLES, ApiToken, SignInLinkRefused, new_secret, token_id


class TokenCommands(LedgerBase):
    def issue_token(
        self,
        *,
        role: str,
        member: str | None,
        engagement_id: UUID | None,
        actor: str,
        name: str | None = None,
    ) -> tuple[str, ApiToken]:
        """A new token; its secret is returned once and only its hash is stored.
        It names its person: `name`, or else the registered name of `member`; a token
        naming nobody is refused, so that every event is attributed to a person."""
        if role not in ROLES:
            raise RuleViolation(f"role must be one of {', '.join(ROLES)}", "role")
        if role == "member" and not member:
            raise RuleViolation("a member token names its team member", "member")
        if member is not None:
            self.require_member_exists(member, "member")
        if engagement_id is not None:
            self.get(Engagement, engagement_id)
        if name is None and member is not None:
            name = self.get(TeamMember, team_member_id(member)).name
        if name is None:
            raise RuleViolation(
                "a token names the person who holds it: give their full name, or the team "
                "member it is for",
                "name",
            )
        secret = new_secret()
        token = ApiToken.issue(
            secret=secret,
            role=role,
            member=member,
            engagement_id=engagement_id,
            name=name,
            actor=actor,
        )
        self.save(token)
        return secret, token

    def revoke_token(self, secret: str, *, actor: str) -> None:
        token = self.token_for(secret)
        if token is None:
            raise NotFound("no such token, or it is already revoked")
        token.revoke(actor=actor)
        self.save(token)

    def revoke_token_by_id(self, token_id: UUID, *, actor: str) -> ApiToken:
        """Revoke a token known by its id (as the access page lists tokens: it never
        holds a secret). One already revoked is left as it is, so a revocation sent
        twice records once."""
        token = self._token_with_id(token_id)
        if not token.revoked:
            token.revoke(actor=actor)
            self.save(token)
        return token

    def token_for(self, secret: str) -> ApiToken | None:
        try:
            token = self.repository.get(token_id(secret))
        except AggregateNotFoundError:
            return None
        return token if isinstance(token, ApiToken) and not token.revoked else None

    def token_by_id(self, token_id: UUID) -> ApiToken | None:
        """A signed-in browser is known by its token's id (its session never holds
        the secret); a revoked token signs it out."""
        try:
            token = self.repository.get(token_id)
        except AggregateNotFoundError:
            return None
        return token if isinstance(token, ApiToken) and not token.revoked else None

    def issue_sign_in_link(self, secret: str, *, valid_for: timedelta, actor: str) -> str:
        """A code for a link that signs the token's person in once, within
        `valid_for`: `<token id>.<nonce>`, of which only the nonce's digest is kept."""
        token = self.token_for(secret)
        if token is None:
            raise NotFound("no such token, or it is revoked")
        return self._new_sign_in_link(token, valid_for, actor)

    def issue_sign_in_link_by_id(
        self, token_id: UUID, *, valid_for: timedelta, actor: str
    ) -> tuple[str, ApiToken]:
        """A new link for a token known by its id (the access page's), and the token."""
        token = self._token_with_id(token_id)
        if token.revoked:
            raise Conflict("this token is revoked: give the person a new one")
        return self._new_sign_in_link(token, valid_for, actor), token

    def _new_sign_in_link(self, token: ApiToken, valid_for: timedelta, actor: str) -> str:
        nonce = secrets.token_urlsafe(32)
        token.issue_sign_in_link(nonce, datetime.now(UTC) + valid_for, actor=actor)
        self.save(token)
        return f"{token.id.hex}.{nonce}"

    def _token_with_id(self, token_id: UUID) -> ApiToken:
        try:
            token = self.repository.get(token_id)
        except AggregateNotFoundError:
            token = None
        if not isinstance(token, ApiToken):
            raise NotFound("no such token")
        return token

    @command
    def use_sign_in_link(self, code: str, *, request: RequestId) -> Written[ApiToken]:
        """Sign in with a link's code, once: a second use, even a concurrent one,
        is refused (the store takes one next event of the token's stream; `command`
        retries the loser, which then finds the link used). `request` is unused: the
        link's nonce is what makes the command idempotent."""
        token, nonce = self._token_of_link(code)
        token.use_sign_in_link(nonce, datetime.now(UTC))
        return self.save_all(token, value=token)

    def check_sign_in_link(self, code: str) -> None:
        """Say whether a link would sign in, without spending it (the page a link opens
        tells at once that it is used or expired)."""
        token, nonce = self._token_of_link(code)
        token.check_sign_in_link(nonce, datetime.now(UTC))

    def _token_of_link(self, code: str) -> tuple[ApiToken, str]:
        token_hex, _, nonce = code.partition(".")
        try:
            token = self.token_by_id(UUID(hex=token_hex)) if nonce else None
        except ValueError:
            token = None
        if token is None:
            raise SignInLinkRefused("this sign-in link is not valid")
        return token, nonce
