"""API tokens: issued and revoked from the command line, looked up on every request."""

from __future__ import annotations

from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from service.application.base import LedgerBase
from service.domain import Engagement, NotFound, RuleViolation, TeamMember, team_member_id
from service.domain.tokens import ROLES, ApiToken, new_secret, token_id


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
            raise RuleViolation("a member token needs --member HANDLE", "member")
        if member is not None:
            self.require_member_exists(member, "member")
        if engagement_id is not None:
            self.get(Engagement, engagement_id)
        if name is None and member is not None:
            name = self.get(TeamMember, team_member_id(member)).name
        if name is None:
            raise RuleViolation(
                'a token names the person who holds it: give --name "Full Name" or --member HANDLE',
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

    def token_for(self, secret: str) -> ApiToken | None:
        try:
            token = self.repository.get(token_id(secret))
        except AggregateNotFoundError:
            return None
        return token if isinstance(token, ApiToken) and not token.revoked else None
