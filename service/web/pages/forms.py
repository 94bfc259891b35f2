"""Reading a page's form with the API's own schemas, so a field means the same and is
refused for the same reason whichever way it arrives.

Every form also carries a `form_key` made when the page was rendered: it becomes the
write's idempotency key, so a form sent twice (a double click, a reload after a
timeout) records once, as a retried API request with the same Idempotency-Key does."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid4, uuid5

import marshmallow as ma
from flask import abort, g, request

from service.application.caller import Caller
from service.web.http.auth import Principal
from service.web.pages.form_messages import Errors, schema_errors
from service.web.schemas.common import plain_integer

FORM_NAMESPACE = uuid5(NAMESPACE_URL, "urn:community-enablement:page-form")
MAX_FORM_KEY = 64


def new_form_key() -> str:
    return uuid4().hex


def form_request_id(principal: Principal) -> UUID | None:
    key = request.form.get("form_key", "").strip()
    if not key or len(key) > MAX_FORM_KEY:
        return None
    return uuid5(FORM_NAMESPACE, f"{principal.token_id}:{request.path}:{key}")


def form_caller() -> Caller:
    """The request's caller (built once by `page`), for the write this form asks for,
    known by the form's key."""
    return g.caller.for_request(form_request_id(g.principal))


def read_form(
    schema: ma.Schema, names: Iterable[str], labels: Mapping[str, str] | None = None
) -> tuple[dict[str, Any] | None, Errors]:
    """The named fields through `schema`; an empty field is a field not given (forms
    send every input, filled or not). Errors are sentences naming each field by its
    label (`labels`: the page's, where they are not the usual ones: form_messages.py)."""
    given = {name: request.form[name] for name in names if request.form.get(name, "").strip()}
    return load(schema, given, labels)


def load(
    schema: ma.Schema, given: dict[str, str], labels: Mapping[str, str] | None = None
) -> tuple[dict[str, Any] | None, Errors]:
    """Forms send text; the API's integer fields are strict (a JSON "3" is refused), so
    a form's whole numbers written plainly (as a query string's must be: `plain_integer`)
    are turned into numbers first, and anything else (`+5`, `007`, `５`) is left for the
    schema to refuse with its own message, said in a person's words (`labels`)."""
    given = {name: _number_if_integer(schema, name, value) for name, value in given.items()}
    try:
        return schema.load(given), {}
    except ma.ValidationError as error:
        return None, schema_errors(error.messages, labels)


def read_query(schema: ma.Schema) -> dict[str, Any]:
    """A page's query parameters through `schema`, the API's fields and limits: a bad
    one answers 400, the error page naming it (links carry these, people rarely type
    them; a form re-renders instead). An empty parameter is one not given, and ones the
    schema does not know are left alone (a browser or a link may add its own)."""
    given = {name: value for name, value in request.args.items() if value}
    try:
        return schema.load(given, unknown=ma.EXCLUDE)
    except ma.ValidationError as error:
        problems = schema_errors(error.messages)
        abort(400, description=" ".join(" ".join(texts) for texts in problems.values()))


def _number_if_integer(schema: ma.Schema, name: str, value: str) -> int | str:
    if not isinstance(schema.fields.get(name), ma.fields.Integer):
        return value
    number = plain_integer(value)
    return value if number is None else number
