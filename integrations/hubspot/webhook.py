"""POST /webhooks/hubspot: HubSpot's webhook batches, signed with v3.

The request does only what must not be lost, recording each Closed-Won deal (and each
later move of a won deal's stage, intake.py), and answers 204; the deal's details are
fetched afterwards by the follower, so HubSpot gets its answer in well under its
5-second timeout whatever the state of its API.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from http import HTTPStatus
from typing import TYPE_CHECKING
from urllib.parse import quote

from flask import Blueprint, Response, request

from integrations.hubspot.events import PayloadError, parse_stage_changes
from integrations.hubspot.intake import record_stage_changes
from integrations.hubspot.signature import SignatureRejected, check_signature

if TYPE_CHECKING:
    from integrations.hubspot import HubSpotIntegration

log = logging.getLogger(__name__)


def webhook_blueprint(integration: HubSpotIntegration) -> Blueprint:
    blp = Blueprint("hubspot", __name__)
    blp.post("/webhooks/hubspot")(lambda: receive(integration))
    return blp


def receive(integration: HubSpotIntegration) -> Response:
    settings = integration.settings
    if not settings.client_secret:
        log.error("HubSpot webhook refused: HUBSPOT_CLIENT_SECRET is not set")
        return problem(
            503,
            "the HubSpot webhook is not configured on this service (HUBSPOT_CLIENT_SECRET)",
            headers={"Retry-After": "300"},
        )
    body = request.get_data(cache=True)
    try:
        check_signature(
            client_secret=settings.client_secret,
            method=request.method,
            uri=settings.webhook_url or called_url(),
            body=body,
            signature=request.headers.get("X-HubSpot-Signature-v3"),
            timestamp=request.headers.get("X-HubSpot-Request-Timestamp"),
            now=datetime.now(UTC),
        )
    except SignatureRejected as error:
        log.warning("HubSpot webhook refused: %s", error)
        return problem(401, str(error), headers={"WWW-Authenticate": "HubSpot-Signature-v3"})
    try:
        changes = parse_stage_changes(body, settings.closed_won_stages)
    except PayloadError as error:
        return problem(400, str(error))
    outcomes = record_stage_changes(integration.ledger(), changes)
    if any(outcome.created for outcome in outcomes):
        integration.deals_recorded()
    for outcome in outcomes:
        if outcome.recorded in ("DealReopened", "DealWonAgain"):
            change = outcome.change
            log.warning(
                "HubSpot deal %s of portal %s moved to stage %r: %s on engagement %s",
                change.deal_id,
                change.portal_id,
                change.stage,
                outcome.recorded,
                outcome.engagement_id,
            )
    response = Response(status=204)
    positions = [outcome.position for outcome in outcomes if outcome.position is not None]
    if positions:
        # Like every write: the log position a reader can wait for (`min_position`).
        response.headers["X-Event-Position"] = str(max(positions))
    return response


def called_url() -> str:
    """The URL HubSpot called, as it signed it: behind a proxy, the scheme and host
    the proxy was called with. Trusting these headers is safe here: they only choose
    which URL the signature must match, and forging one needs the client secret."""
    scheme = _first(request.headers.get("X-Forwarded-Proto")) or request.scheme
    host = _first(request.headers.get("X-Forwarded-Host")) or request.host
    target = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI")
    if not target:
        query = request.query_string.decode("latin-1")
        target = quote(request.path) + (f"?{query}" if query else "")
    return f"{scheme}://{host}{target}"


def _first(header: str | None) -> str | None:
    """The first value of a proxy header a chain of proxies may have appended to."""
    if not header:
        return None
    return header.split(",")[0].strip() or None


def problem(status: int, detail: str, headers: dict[str, str] | None = None) -> Response:
    """An RFC 9457 problem, as the API answers its refusals."""
    body = {"type": "about:blank", "title": HTTPStatus(status).phrase, "status": status}
    body["detail"] = detail
    return Response(
        json.dumps(body), status=status, headers=headers, mimetype="application/problem+json"
    )
