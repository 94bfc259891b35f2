"""The audit trail: any aggregate's full history, event by event."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import marshmallow as ma

from service.web.auth import requires
from service.web.boundary import Blueprint
from service.web.runtime import ledger
from service.web.schemas import POSITION

blp = Blueprint("audit", __name__, url_prefix="/api/audit", description="Audit trail")

BOOKKEEPING = {"originator_id", "originator_version", "timestamp", "originator_topic", "actor"}


class AuditEventSchema(ma.Schema):
    stream_id = ma.fields.UUID()
    version = ma.fields.Integer()
    event_type = ma.fields.String()
    timestamp = ma.fields.AwareDateTime()
    actor = ma.fields.String(allow_none=True)
    fields = ma.fields.Dict()


class StreamSchema(ma.Schema):
    stream_id = ma.fields.UUID()
    events = ma.fields.List(ma.fields.Nested(AuditEventSchema))


def audit_entry(domain_event: Any) -> dict[str, Any]:
    state = domain_event.__dict__
    return {
        "stream_id": domain_event.originator_id,
        "version": domain_event.originator_version,
        "event_type": type(domain_event).__name__,
        "timestamp": domain_event.timestamp,
        "actor": state.get("actor"),
        "fields": {k: _plain(v) for k, v in state.items() if k not in BOOKKEEPING},
    }


def _plain(value: Any) -> Any:
    """Render dates, UUIDs and decimals inside free-form fields as JSON strings."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


@blp.route("/streams/<uuid:stream_id>", methods=["GET"])
@requires("auditor")
@blp.response(200, StreamSchema)
def stream(stream_id: UUID):
    """Every event of one aggregate (engagement, allocation, team member), oldest first."""
    return {"stream_id": stream_id, "events": [audit_entry(e) for e in ledger().stream(stream_id)]}


class AuditLogQuerySchema(ma.Schema):
    after = ma.fields.Integer(
        load_default=0,
        validate=POSITION,
        metadata={"description": "the position to read after (0: from the start)"},
    )
    limit = ma.fields.Integer(load_default=100, validate=ma.validate.Range(min=1, max=1000))


class AuditLogEntrySchema(AuditEventSchema):
    position = ma.fields.Integer(metadata={"description": "the event's position in the log"})


class AuditLogPageSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(AuditLogEntrySchema))
    next_after = ma.fields.Integer(
        metadata={"description": "pass as `after` for the next page (the last position read)"}
    )
    at_end = ma.fields.Boolean(metadata={"description": "no event after this page yet"})


@blp.route("/events", methods=["GET"])
@requires("auditor")
@blp.arguments(AuditLogQuerySchema, location="query")
@blp.response(200, AuditLogPageSchema)
def events(query):
    """The whole event log in order, a page at a time, each event with its position."""
    events, head = ledger().log_page(after=query["after"], limit=query["limit"])
    items = [{"position": position, **audit_entry(event)} for position, event in events]
    next_after = items[-1]["position"] if items else query["after"]
    at_end = len(items) < query["limit"] or next_after >= head
    return {"items": items, "next_after": next_after, "at_end": at_end}
