"""Schemas of the audit routes: the log's query (its filters), its events and one
stream's history, and the routes that prove
the log (docs/explanation/audit.md): checkpoints, the public key, inclusion and consistency proofs.
Hashes are lower-case hex; the signature is base64."""

from __future__ import annotations

from datetime import UTC

import marshmallow as ma

from service.application.event_catalogue import EVENT_TYPES
from service.infra.input_policy import INT64_MAX
from service.web.http.reads import FreshReadSchema
from service.web.schemas.common import (
    NAME,
    POSITION,
    PageQuerySchema,
    PageSchema,
    PlainMoment,
    QueryInteger,
    supported_moment,
)

TREE_SIZE = ma.validate.Range(min=1, max=INT64_MAX)
HEX = {"pattern": "^[0-9a-f]{64}$"}


class AuditLogQuerySchema(ma.Schema):
    after = QueryInteger(
        load_default=0,
        validate=POSITION,
        metadata={"description": "the position to read after (0: from the start)"},
    )
    limit = QueryInteger(load_default=100, validate=ma.validate.Range(min=1, max=1000))
    stream = ma.fields.UUID(
        metadata={"description": "only this aggregate's events (its id, a UUID)"},
    )
    event_type = ma.fields.String(
        validate=ma.validate.OneOf(
            sorted(EVENT_TYPES), error="unknown event type: give one of {choices}"
        ),
        metadata={
            "description": "only events of this type (the class name, e.g. `ActivityRecorded`); "
            "a bookkeeping type named here is shown without `include_internal`"
        },
    )
    actor = ma.fields.String(
        validate=NAME, metadata={"description": "only events caused by this actor (exact)"}
    )
    since = PlainMoment(
        default_timezone=UTC,
        validate=supported_moment,
        metadata={
            "description": "only events stamped at or after this moment (ISO 8601; UTC when "
            "no offset is given)"
        },
    )
    include_internal = ma.fields.Boolean(
        load_default=False,
        metadata={
            "description": "also bookkeeping events: locators (`Located`, `Relocated`) and tokens "
            "(`TokenIssued`, `TokenRevoked`, sign-in links); hidden by default"
        },
    )


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


class AuditLogEntrySchema(AuditEventSchema):
    position = ma.fields.Integer(metadata={"description": "the event's position in the log"})
    leaf_hash = ma.fields.String(
        allow_none=True,
        metadata={"description": "the event's leaf hash in the log's Merkle tree (hex)"},
    )


class AuditLogPageSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(AuditLogEntrySchema))
    next_after = ma.fields.Integer(
        metadata={
            "description": "pass as `after` for the next page (the last position examined: "
            "with filters, it may lie beyond the last item)"
        }
    )
    at_end = ma.fields.Boolean(
        metadata={
            "description": "no event after this page yet; with filters a page may hold fewer "
            "than `limit` items, or none, and not be the end"
        }
    )


class CheckpointSchema(ma.Schema):
    size = ma.fields.Integer(metadata={"description": "the tree size: log positions covered"})
    root = ma.fields.String(metadata={"description": "the tree's root hash (hex)", **HEX})
    checkpoint = ma.fields.String(
        metadata={
            "description": "the C2SP tlog-checkpoint body that is signed: origin, size and "
            "base64 root, each line ending in a newline"
        }
    )
    signature = ma.fields.String(
        metadata={"description": "Ed25519 signature over the body's UTF-8 bytes (base64)"}
    )
    timestamp = ma.fields.String(
        metadata={"description": "when it was signed (UTC)", "format": "date-time"}
    )
    key_id = ma.fields.String(
        metadata={"description": "hex of the first 8 bytes of SHA-256 of the raw public key"}
    )


class CheckpointQuerySchema(FreshReadSchema):
    pass


class CheckpointListQuerySchema(PageQuerySchema):
    pass


class CheckpointPageSchema(PageSchema):
    items = ma.fields.List(ma.fields.Nested(CheckpointSchema))


class PublicKeySchema(ma.Schema):
    algorithm = ma.fields.String(metadata={"enum": ["Ed25519"]})
    public_key_pem = ma.fields.String(metadata={"description": "SubjectPublicKeyInfo PEM"})
    key_id = ma.fields.String()


class InclusionQuerySchema(ma.Schema):
    position = QueryInteger(
        required=True,
        validate=TREE_SIZE,
        metadata={"description": "the event's log position (leaf position - 1)"},
    )
    size = QueryInteger(
        required=True,
        validate=TREE_SIZE,
        metadata={"description": "the tree size to prove against, e.g. a checkpoint's"},
    )


class InclusionProofSchema(ma.Schema):
    position = ma.fields.Integer()
    size = ma.fields.Integer()
    leaf_hash = ma.fields.String(metadata=HEX)
    path = ma.fields.List(
        ma.fields.String(metadata=HEX),
        metadata={"description": "RFC 9162 §2.1.3 inclusion path, from the leaf up"},
    )


class ConsistencyQuerySchema(ma.Schema):
    first = QueryInteger(
        data_key="from",
        required=True,
        validate=TREE_SIZE,
        metadata={"description": "the earlier tree size"},
    )
    second = QueryInteger(
        data_key="to",
        required=True,
        validate=TREE_SIZE,
        metadata={"description": "the later tree size"},
    )


class ConsistencyProofSchema(ma.Schema):
    first = ma.fields.Integer(data_key="from")
    second = ma.fields.Integer(data_key="to")
    path = ma.fields.List(
        ma.fields.String(metadata=HEX),
        metadata={"description": "RFC 9162 §2.1.4 consistency path"},
    )
