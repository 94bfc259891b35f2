"""`flask --app wsgi people add EMAIL ROLE [--name "Full Name" | --member H]
[--engagement ID]`, `people list` and `people remove EMAIL`: who may sign in with the
organisation's identity provider, and as what (docs/how-to/sign-in-with-sso.md)."""

from __future__ import annotations

from collections.abc import Callable

import click
from flask.cli import AppGroup

from service.application import Ledger
from service.cli.text import NAME
from service.domain import DomainError
from service.domain.tokens import ROLES

OPTIONS = {
    "name": '--name "Full Name" or --member HANDLE',
    "member": "--member HANDLE",
    "engagement": "--engagement ID",
}
"""The options that answer a refusal of `add_person`, by the field it names."""


def people_cli(ledger: Callable[[], Ledger]) -> AppGroup:
    """The `people` command group, on the ledger the composition root gives."""
    people = AppGroup("people", help="Give people a role by email, for signing in with SSO.")

    @people.command("add")
    @click.argument("email")
    @click.argument("role", type=click.Choice(ROLES))
    @click.option("--name", type=NAME, help="the person's full name")
    @click.option(
        "--member",
        type=NAME,
        help="their team member handle (required for the member role; names them)",
    )
    @click.option("--engagement", type=click.UUID, help="the engagement a viewer may see")
    def add_person(email: str, role: str, name: str | None, member: str | None, engagement):
        """Give the person with EMAIL the ROLE (again, with a new role, if they had one).
        They sign in with the identity provider; their first sign-in with this email,
        verified by the provider, links their account there to them."""
        try:
            person = ledger().add_person(
                email=email,
                role=role,
                name=name,
                member=member,
                engagement_id=engagement,
                actor="cli",
            )
        except DomainError as error:
            hint = OPTIONS.get(error.field or "")
            raise click.ClickException(
                f"{error.message} ({hint})" if hint else error.message
            ) from None
        click.echo(f"{person.email} may sign in as {person.role} ({person.name})")

    @people.command("list")
    def list_people() -> None:
        """Everyone given a role, one a line: email, role, member or engagement, name,
        and whether they were removed or have signed in with a provider."""
        for person in ledger().people():
            scope = person.member or (str(person.engagement_id) if person.engagement_id else "-")
            state = "removed" if person.removed else ",".join(sorted(person.identities)) or "-"
            click.echo("\t".join((person.email, person.role, scope, person.name, state)))

    @people.command("remove")
    @click.argument("email")
    def remove_person(email: str) -> None:
        """Take the role of the person with EMAIL away: their sessions end at their next
        request, and they cannot sign in again until given a role."""
        try:
            ledger().remove_person(email, actor="cli")
        except DomainError as error:
            raise click.ClickException(error.message) from None
        click.echo("removed", err=True)

    return people
