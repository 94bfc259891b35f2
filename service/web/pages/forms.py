"""Reading a page's form with the API's own schemas, so a field means the same and is
refused for the same reason whichever way it arrives.

Every form also carries a `form_key` made when the page was rendered: it becomes the
write's idempotency key, so a form sent twice (a double click, a reload after a
timeout) records once, as a retried API request with the same Idempotency-Key does."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid4, uuid5

import marshmallow as ma
from flask import request

from service.web.auth import Principal

WHOLE = re.compile(r"-?[0-9]{1,18}")
FORM_NAMESPACE = uuid5(NAMESPACE_URL, "urn:community-enablement:page-form")
MAX_FORM_KEY = 64

Errors = dict[str, list[str]]


def new_form_key() -> str:
    return uuid4().hex


def form_request_id(principal: Principal) -> UUID | None:
    key = request.form.get("form_key", "").strip()
    if not key or len(key) > MAX_FORM_KEY:
        return None
    return uuid5(FORM_NAMESPACE, f"{principal.token_id}:{request.path}:{key}")


def read_form(schema: ma.Schema, names: Iterable[str]) -> tuple[dict[str, Any] | None, Errors]:
    """The named fields through `schema`; an empty field is a field not given (forms
    send every input, filled or not)."""
    given = {name: request.form[name] for name in names if request.form.get(name, "").strip()}
    return load(schema, given)


def load(schema: ma.Schema, given: dict[str, str]) -> tuple[dict[str, Any] | None, Errors]:
    """Forms send text; the API's integer fields are strict (a JSON "3" is refused), so
    a form's whole numbers are turned into numbers first and anything else is left for
    the schema to refuse with its own message."""
    given = {
        name: int(value) if _is_integer_field(schema, name) and WHOLE.fullmatch(value) else value
        for name, value in given.items()
    }
    try:
        return schema.load(given), {}
    except ma.ValidationError as error:
        return None, flatten(error.messages)


def flatten(messages: Any, field: str = "_form") -> Errors:
    if isinstance(messages, list):
        return {field: [str(message) for message in messages]}
    flat: Errors = {}
    for name, inner in messages.items():
        key = field if name == "_schema" else str(name)
        for found, texts in flatten(inner, key).items():
            flat.setdefault(found, []).extend(texts)
    return flat


def _is_integer_field(schema: ma.Schema, name: str) -> bool:
    return isinstance(schema.fields.get(name), ma.fields.Integer)
