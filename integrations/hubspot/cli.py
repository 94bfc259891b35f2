"""`flask --app wsgi hubspot replay FILE`: record a saved webhook body.

For deliveries HubSpot gave up on (it retries for a day) or that were refused while
the service was misconfigured: save the body as HubSpot sent it (a JSON array of
events) and replay it. The body goes through the same parsing and recording as a live
delivery, but its signature is NOT checked: a replayed file is trusted because the
person running the command chose it. Recording is idempotent, so replaying a body
that was delivered before changes nothing; the running service's follower fetches
the details of any deal it creates.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import click
from flask.cli import AppGroup

from integrations.hubspot.events import PayloadError, parse_batch
from integrations.hubspot.intake import record_closed_won

if TYPE_CHECKING:
    from integrations.hubspot import HubSpotIntegration


def hubspot_cli(integration: HubSpotIntegration) -> AppGroup:
    hubspot = AppGroup("hubspot", help="HubSpot integration tools.")

    @hubspot.command("replay")
    @click.argument("file", type=click.File("rb"))
    def replay(file) -> None:
        """Record the Closed-Won deals of a saved HubSpot webhook body (signature not checked)."""
        try:
            events = parse_batch(file.read(), integration.settings.closed_won_stages)
        except PayloadError as error:
            raise click.ClickException(f"{file.name}: {error}") from None
        recorded = record_closed_won(integration.ledger(), events)
        for event, written in zip(events, recorded, strict=True):
            outcome = "already recorded" if written.replayed else "created"
            deal = f"deal {event.deal_id} of portal {event.portal_id}"
            click.echo(f"{deal}: engagement {written.value.id} {outcome}")
        click.echo(f"{len(events)} closed-won deal event(s) in {file.name}", err=True)

    return hubspot
