"""The audit trail: any aggregate's full history, event by event; the log in order with
each event's Merkle leaf hash; and the routes that prove the log (docs/explanation/audit.md): signed
checkpoints, the public key, inclusion and consistency proofs.

Who reads what: the checkpoint, the checkpoints and the public key are for everyone
with a token (a partner's viewer token included: a partner must be able to fetch the key
and a checkpoint to check a statement); the proofs are for auditors and viewers (they
show only hashes); the events and streams themselves, for auditors."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from projections.audit.checkpoints import CheckpointStore
from projections.reports.queries import merkle_tree
from service.application.event_catalogue import audit_entry
from service.application.history import LogQuery
from service.domain import NotFound, RuleViolation
from service.web.http.auth import requires
from service.web.http.boundary import Blueprint
from service.web.http.openapi import problem_response
from service.web.http.reads import fresh, read_fresh
from service.web.http.runtime import ledger, runtime
from service.web.schemas.audit import (
    AuditLogPageSchema,
    AuditLogQuerySchema,
    CheckpointListQuerySchema,
    CheckpointPageSchema,
    CheckpointQuerySchema,
    CheckpointSchema,
    ConsistencyProofSchema,
    ConsistencyQuerySchema,
    InclusionProofSchema,
    InclusionQuerySchema,
    PublicKeySchema,
    StreamSchema,
)
from service.web.schemas.common import page_of

blp = Blueprint("audit", __name__, url_prefix="/api/audit", description="Audit trail")


@blp.route("/streams/<uuid:stream_id>", methods=["GET"])
@requires("stream_history")
@blp.response(200, StreamSchema)
def stream(stream_id: UUID):
    """Every event of one aggregate (engagement, allocation, team member), oldest first."""
    return {"stream_id": stream_id, "events": [audit_entry(e) for e in ledger().stream(stream_id)]}


@blp.route("/events", methods=["GET"])
@requires("audit_events")
@blp.arguments(AuditLogQuerySchema, location="query")
@blp.response(200, AuditLogPageSchema)
def events(query):
    """The event log in order, a page at a time, each event with its position.
    Bookkeeping (locators, tokens) is left out unless `include_internal=true`; `stream`,
    `event_type`, `actor` and `since` narrow it. A page examines at most 10,000 positions:
    continue from `next_after` until `at_end`."""
    wanted = LogQuery(
        stream=query.get("stream"),
        event_type=query.get("event_type"),
        actor=query.get("actor"),
        since=query.get("since"),
        include_internal=query["include_internal"],
    )
    page = ledger().log_search(wanted, after=query["after"], limit=query["limit"])
    items = [{"position": position, **audit_entry(event)} for position, event in page.events]
    if items:
        first, last = items[0]["position"], items[-1]["position"]
        hashes = read_fresh(merkle_tree, last).leaf_hashes(first, last)
        for item in items:
            found = hashes.get(item["position"])  # none only if the tree store was altered
            item["leaf_hash"] = None if found is None else found.hex()
    return {"items": items, "next_after": page.reached, "at_end": page.at_end}


def make_checkpoint(min_position: int | None = None) -> dict[str, Any]:
    """A signed checkpoint covering the log up to `min_position`, or up to its end as
    the request arrived (stored; the one stored before when the tree has not grown):
    {size, root (hex), checkpoint (body), signature (base64), timestamp, key_id}. What a
    statement records. Answers 503 when the tree does not get there in time."""
    read_models = fresh(merkle_tree, min_position)
    return runtime().checkpointer(read_models).current().as_json()


@blp.route("/checkpoint", methods=["GET"])
@requires("checkpoint")
@blp.arguments(CheckpointQuerySchema, location="query")
@blp.response(200, CheckpointSchema)
def checkpoint(query):
    """A signed checkpoint of the log as it stood when the request arrived (or up to
    `min_position`): C2SP tlog-checkpoint body, Ed25519 signature."""
    return make_checkpoint(query.get("min_position"))


@blp.route("/checkpoints", methods=["GET"])
@requires("checkpoints")
@blp.arguments(CheckpointListQuerySchema, location="query")
@blp.response(200, CheckpointPageSchema)
def checkpoints(query):
    """The stored checkpoints, oldest first: one every few minutes while the log grows,
    one with every statement."""
    store = CheckpointStore(runtime().projections().view("merkle"))
    found, total = store.page(query["offset"], query["limit"])
    return page_of([each.as_json() for each in found], total, query)


@blp.route("/public-key", methods=["GET"])
@requires("public_key")
@blp.response(200, PublicKeySchema)
def public_key():
    """The Ed25519 key that signs the checkpoints (and statements), as PEM, with its id."""
    return runtime().signer().describe()


@blp.route("/proof/inclusion", methods=["GET"])
@requires("inclusion_proof")
@blp.arguments(InclusionQuerySchema, location="query")
@blp.response(200, InclusionProofSchema)
@blp.doc(responses={"404": problem_response("The log holds fewer events than `size`")})
def inclusion_proof(query):
    """That the event at `position` is leaf `position - 1` of the tree of `size` leaves
    (RFC 9162 §2.1.3): its leaf hash and the path from it to the root."""
    position, size = query["position"], query["size"]
    if position > size:
        raise RuleViolation(
            f"position {position} is not in a tree of size {size}: it must be at most size",
            "position",
        )
    leaf, path = _tree_of(size, "size").inclusion(position, size)
    return {"position": position, "size": size, "leaf_hash": leaf.hex(), "path": _hex(path)}


@blp.route("/proof/consistency", methods=["GET"])
@requires("consistency_proof")
@blp.arguments(ConsistencyQuerySchema, location="query")
@blp.response(200, ConsistencyProofSchema)
@blp.doc(responses={"404": problem_response("The log holds fewer events than `to`")})
def consistency_proof(query):
    """That the tree of `from` leaves is a prefix of the tree of `to` leaves (RFC 9162
    §2.1.4): the log only grew between two checkpoints."""
    first, second = query["first"], query["second"]
    if first > second:
        raise RuleViolation(
            f"from ({first}) must be at most to ({second}): a log only grows", "from"
        )
    path = _tree_of(second, "to").consistency(first, second)
    return {"first": first, "second": second, "path": _hex(path)}


def _tree_of(size: int, field: str) -> Any:
    """The Merkle view, once it holds at least `size` leaves; 404 naming `field` when
    the log has not reached that size."""
    head = runtime().projections().head()
    if size > head:
        raise NotFound(f"no tree of size {size}: the log holds {head} events", field)
    return read_fresh(merkle_tree, size)


def _hex(hashes: list[bytes]) -> list[str]:
    return [value.hex() for value in hashes]
