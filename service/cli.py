"""Command-line tools: `flask --app wsgi tokens create ROLE [--member H] [--engagement ID]`,
`tokens revoke SECRET`, and the projections group."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from projections.cli import projections_cli

from .api.ledger_access import ledger
from .domain import DomainError
from .tokens import ROLES

tokens = AppGroup("tokens", help="Issue and revoke API tokens.")


@tokens.command("create")
@click.argument("role", type=click.Choice(ROLES))
@click.option("--member", help="team member handle (required for the member role)")
@click.option("--engagement", type=click.UUID, help="limit a viewer to one engagement")
def create_token(role: str, member: str | None, engagement) -> None:
    """Issue a token. The secret is printed once, alone on the last line; only its
    hash is kept."""
    try:
        secret, _ = ledger().issue_token(
            role=role, member=member, engagement_id=engagement, actor="cli"
        )
    except DomainError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"# {role} token" + (f" for {member}" if member else ""), err=True)
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


def register_cli(app: Flask) -> None:
    app.cli.add_command(tokens)
    app.cli.add_command(projections_cli)
