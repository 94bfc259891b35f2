"""`flask --app wsgi tokens create ROLE (--name "Full Name" | --member H) [--engagement ID]`
and `tokens revoke SECRET`.

Every token names its person, the actor of every event it causes: `--name`, or
`--member` (the member's registered name). One naming nobody is refused."""

from __future__ import annotations

from collections.abc import Callable

import click
from flask.cli import AppGroup

from service.application import Ledger
from service.domain import DomainError
from service.domain.tokens import ROLES


def tokens_cli(ledger: Callable[[], Ledger]) -> AppGroup:
    """The `tokens` command group, on the ledger the composition root gives."""
    tokens = AppGroup("tokens", help="Issue and revoke API tokens.")

    @tokens.command("create")
    @click.argument("role", type=click.Choice(ROLES))
    @click.option("--name", help="the full name of the person who holds the token")
    @click.option(
        "--member", help="team member handle (required for the member role; names the holder)"
    )
    @click.option("--engagement", type=click.UUID, help="limit a viewer to one engagement")
    def create_token(role: str, name: str | None, member: str | None, engagement) -> None:
        """Issue a token for a person (--name "Full Name", or --member HANDLE). The
        secret is printed once, alone on the last line; only its hash is kept."""
        try:
            secret, token = ledger().issue_token(
                role=role, member=member, engagement_id=engagement, name=name, actor="cli"
            )
        except DomainError as error:
            raise click.ClickException(error.message) from None
        click.echo(f"# {role} token for {token.name}", err=True)
        click.echo(secret)

    @tokens.command("revoke")
    @click.argument("secret")
    def revoke_token(secret: str) -> None:
        """Revoke a token (give its secret). Web processes stop accepting it within 30 s,
        the time they cache a token."""
        try:
            ledger().revoke_token(secret, actor="cli")
        except DomainError as error:
            raise click.ClickException(error.message) from None
        click.echo("revoked", err=True)

    return tokens
