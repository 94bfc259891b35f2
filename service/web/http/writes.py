"""What every write route shares: the caller of the write with the request's
Idempotency-Key, and the response carrying the new event's log position."""

from __future__ import annotations

from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from flask import abort, g, request

from service.application import Written
from service.application.caller import Caller
from service.web.http.auth import principal

IDEMPOTENCY_NAMESPACE = uuid5(NAMESPACE_URL, "urn:community-enablement:idempotency-key")
MAX_KEY_LENGTH = 255


def caller() -> Caller:
    """The request's caller (built once by `requires`), for this write. Its request id
    is read here, after the body was checked, so a bad body is answered before a bad
    key, as it always was."""
    return g.caller.for_request(request_id())


def request_id() -> UUID | None:
    """The request's Idempotency-Key, made unique per token and route.

    It becomes the id of what the request creates (or is remembered by the aggregate
    it changes), so a retry with the same key is recognised by the event store."""
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    key = key.strip()
    if not key or len(key) > MAX_KEY_LENGTH:
        abort(400, description=f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} characters")
    return uuid5(IDEMPOTENCY_NAMESPACE, f"{principal().token_id}:{request.path}:{key}")


def written(result: Written[Any], body: dict[str, Any], status: int = 201) -> tuple:
    body = {**body, "position": result.position}
    headers = {"X-Event-Position": str(result.position)}
    if result.replayed:
        headers["Idempotent-Replayed"] = "true"
    return body, status, headers
