"""Errors as `application/problem+json` (RFC 9457): every refusal names what is wrong
in words a person can act on; validation errors also list `errors: {field: [..]}`."""

from __future__ import annotations

import logging

import marshmallow as ma
from flask import Flask, Response, json
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES

from service.application import ConcurrentChange, Forbidden, IdempotencyKeyReused
from service.domain import Conflict, DomainError, NotFound, RuleViolation
from service.infra.store_errors import DATABASE_UNAVAILABLE

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
VALIDATION_DETAIL = "the request is not valid"
"""How the detail of a refusal by the request's schema begins (a refusal by a rule of
the ledger, a DomainError, says only what the rule is)."""
RETRY_AFTER_SECONDS = "5"


class ProblemSchema(ma.Schema):
    """The body of every error response."""

    type = ma.fields.String(metadata={"example": "about:blank"})
    title = ma.fields.String(required=True, metadata={"example": "Unprocessable Entity"})
    status = ma.fields.Integer(required=True, metadata={"example": 422})
    detail = ma.fields.String(required=True)
    errors = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.List(ma.fields.String()),
        metadata={"description": "per-field messages, for validation errors"},
    )


def problem(
    status: int, detail: str, errors: dict | None = None, headers: dict | None = None
) -> Response:
    title = HTTP_STATUS_CODES.get(status, "Error")
    body: dict = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    if errors:
        body["errors"] = errors
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM_JSON)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


DOMAIN_STATUS = (
    (NotFound, 404),
    (Forbidden, 403),
    (ConcurrentChange, 409),
    (Conflict, 409),
    (IdempotencyKeyReused, 422),
    (RuleViolation, 422),
)


def domain_problem(error: DomainError) -> Response:
    status = next(code for kind, code in DOMAIN_STATUS if isinstance(error, kind))
    errors = {error.field: [error.message]} if error.field else None
    return problem(status, error.message, errors)


def http_problem(error: HTTPException) -> Response:
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    messages = data.get("messages")
    if messages:
        # webargs reports {location: {field: [messages]}}; the location adds nothing.
        errors = _flatten(messages)
        detail = f"{VALIDATION_DETAIL}: " + "; ".join(
            f"{field}: {' '.join(texts)}" for field, texts in errors.items()
        )
        return problem(status, detail, errors)
    detail = data.get("message") or error.description or error.name
    headers = {}
    if status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="api"'
    if status == 405 and getattr(error, "valid_methods", None):
        headers["Allow"] = ", ".join(error.valid_methods)
    return problem(status, detail, headers=headers)


def _flatten(messages: dict | list, prefix: str = "") -> dict[str, list[str]]:
    """Turn webargs' nested {location: {field: [..]}} into {"field.sub": [..]}."""
    if isinstance(messages, list):
        return {prefix or "body": [str(m) for m in messages]}
    flat: dict[str, list[str]] = {}
    for key, value in messages.items():
        if not prefix and key in ("json", "query", "headers", "path", "form"):
            name = ""
        elif key == "_schema":
            name = prefix
        else:
            name = f"{prefix}.{key}" if prefix else str(key)
        for field, texts in _flatten(value, name).items():
            flat.setdefault(field, []).extend(texts)
    return flat


def register_problem_handlers(app: Flask) -> None:
    app.register_error_handler(DomainError, domain_problem)
    app.register_error_handler(HTTPException, http_problem)
    for error_class in DATABASE_UNAVAILABLE:
        app.register_error_handler(error_class, _database_unavailable)
    app.register_error_handler(Exception, _unexpected)


def _database_unavailable(error: Exception) -> Response:
    log.warning("database unavailable: %s", error)
    return problem(
        503,
        "the event store is unreachable; nothing was changed, please retry",
        headers={"Retry-After": RETRY_AFTER_SECONDS},
    )


def _unexpected(error: Exception) -> Response:
    log.exception("unhandled error")
    return problem(500, "an internal error occurred; it has been logged")
