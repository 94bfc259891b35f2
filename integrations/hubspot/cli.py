"""`flask --app wsgi hubspot replay FILE`: record a saved webhook body; and
`flask --app wsgi hubspot poll`: run the reconciliation poll once, now (poll.py).

For deliveries HubSpot gave up on (it retries for a day) or that were refused while
the service was misconfigured: save the body as HubSpot sent it (a JSON array of
events) and replay it. The body goes through the same parsing and recording as a live
delivery, but its signature is NOT checked: a replayed file is trusted because the
person running the command chose it. Recording is idempotent, so replaying a body
that was delivered before changes nothing; the running service's follower fetches
the details of any deal it creates.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

import click
from flask.cli import AppGroup

from integrations.hubspot.events import PayloadError, parse_stage_changes
from integrations.hubspot.intake import record_stage_changes

if TYPE_CHECKING:
    from integrations.hubspot import HubSpotIntegration


def hubspot_cli(integration: HubSpotIntegration) -> AppGroup:
    hubspot = AppGroup("hubspot", help="HubSpot integration tools.")

    @hubspot.command("replay")
    @click.argument("file", type=click.File("rb"))
    def replay(file) -> None:
        """Record the deal stage changes of a saved HubSpot webhook body (signature not checked)."""
        try:
            changes = parse_stage_changes(file.read(), integration.settings.closed_won_stages)
        except PayloadError as error:
            raise click.ClickException(f"{file.name}: {error}") from None
        outcomes = record_stage_changes(integration.ledger(), changes)
        for outcome in outcomes:
            if outcome.engagement_id is None:
                continue  # a deal that was never won here: nothing to say
            change = outcome.change
            deal = f"deal {change.deal_id} of portal {change.portal_id}"
            if outcome.created:
                said = "created"
            elif outcome.recorded:
                said = f"{outcome.recorded} (stage {change.stage})"
            else:
                said = "already recorded"
            click.echo(f"{deal}: engagement {outcome.engagement_id} {said}")
        won = sum(change.won for change in changes)
        click.echo(f"{won} closed-won deal event(s) in {file.name}", err=True)

    @hubspot.command("poll")
    @click.option(
        "--since",
        type=click.DateTime(),
        help="Search deals changed from this UTC time, not from the checkpoint (a backfill).",
    )
    def poll(since: datetime | None) -> None:
        """Search HubSpot now for won deals the service has not recorded, and record them."""
        if not integration.polling:
            raise click.ClickException(
                "the poll needs HUBSPOT_ACCESS_TOKEN and HUBSPOT_PORTAL_ID "
                "(and HUBSPOT_POLL_MINUTES above 0)"
            )
        result = integration.poll().poll_once(since and since.replace(tzinfo=UTC))
        for engagement_id in result.created:
            click.echo(f"engagement {engagement_id} created")
        checkpoint = result.checkpoint.isoformat() if result.checkpoint else "none"
        click.echo(
            f"{result.found} won deal(s) found, {len(result.created)} engagement(s) created "
            f"in {result.requests} search call(s); checkpoint {checkpoint}",
            err=True,
        )
        if result.error:
            raise click.ClickException(f"the poll stopped early: {result.error}")

    return hubspot
