"""`flask --app wsgi tokens create ROLE (--name "Full Name" | --member H) [--engagement ID]
[--link]`, `tokens link SECRET` and `tokens revoke SECRET`.

Every token names its person, the actor of every event it causes: `--name`, or
`--member` (the member's registered name). One naming nobody is refused."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import click
from flask.cli import AppGroup

from service.application import Ledger
from service.cli.text import NAME
from service.domain import DomainError
from service.domain.tokens import ROLES
from service.infra.config import WebSettings

OPTIONS = {"name": '--name "Full Name" or --member HANDLE', "member": "--member HANDLE"}
"""The options that answer a refusal of `issue_token`, by the field it names."""


def sign_in_link(ledger: Ledger, web: WebSettings, secret: str, *, actor: str) -> str:
    """A new one-time sign-in link for the token `secret`, valid for SIGN_IN_LINK_MINUTES,
    at PUBLIC_URL (the demo's seed prints them too)."""
    code = ledger.issue_sign_in_link(
        secret, valid_for=timedelta(minutes=web.sign_in_link_minutes), actor=actor
    )
    return web.sign_in_url(code)


def tokens_cli(ledger: Callable[[], Ledger], web: WebSettings) -> AppGroup:
    """The `tokens` command group, on the ledger the composition root gives; `web`
    says where one-time sign-in links point and how long they last."""
    tokens = AppGroup("tokens", help="Issue and revoke API tokens and sign-in links.")

    @tokens.command("create")
    @click.argument("role", type=click.Choice(ROLES))
    @click.option("--name", type=NAME, help="the full name of the person who holds the token")
    @click.option(
        "--member",
        type=NAME,
        help="team member handle (required for the member role; names the holder)",
    )
    @click.option("--engagement", type=click.UUID, help="limit a viewer to one engagement")
    @click.option(
        "--link",
        is_flag=True,
        help="also print a one-time link that signs the person in to the web app",
    )
    def create_token(
        role: str, name: str | None, member: str | None, engagement, link: bool
    ) -> None:
        """Issue a token for a person (--name "Full Name", or --member HANDLE). The
        secret is printed once, on its own line; only its hash is kept. With --link,
        a one-time sign-in URL follows it, on the last line."""
        try:
            secret, token = ledger().issue_token(
                role=role, member=member, engagement_id=engagement, name=name, actor="cli"
            )
        except DomainError as error:
            hint = OPTIONS.get(error.field or "")
            message = f"{error.message} ({hint})" if hint else error.message
            raise click.ClickException(message) from None
        click.echo(f"# {role} token for {token.name}", err=True)
        click.echo(secret)
        if link:
            click.echo(
                f"# one-time sign-in link, valid {web.sign_in_link_minutes} minutes:", err=True
            )
            click.echo(sign_in_link(ledger(), web, secret, actor="cli"))

    @tokens.command("link")
    @click.argument("secret")
    def link_token(secret: str) -> None:
        """Print a new one-time sign-in link for an existing token (give its secret)."""
        try:
            click.echo(sign_in_link(ledger(), web, secret, actor="cli"))
        except DomainError as error:
            raise click.ClickException(error.message) from None

    @tokens.command("revoke")
    @click.argument("secret")
    def revoke_token(secret: str) -> None:
        """Revoke a token (give its secret). Its browser sessions end at their next
        request; the API's processes stop accepting it within 30 s, the time they cache
        a token."""
        try:
            ledger().revoke_token(secret, actor="cli")
        except DomainError as error:
            raise click.ClickException(error.message) from None
        click.echo("revoked", err=True)

    return tokens
