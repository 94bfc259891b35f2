"""The web side of the input policy (service/infra/input_policy.py): JSON bodies are
checked before they are parsed, query parameters a route does not know are refused,
and a body without a Content-Length (chunked) is held to the same size limit as one
with it.

Why refuse unknown query parameters: a misspelt filter (`?stauts=active`) silently
ignored answers everything, which looks like a correct answer to the wrong question.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterable
from typing import Any

import flask_smorest
from flask import Response, current_app, request
from webargs import core
from webargs.flaskparser import FlaskParser, abort, is_json_request

from service.infra.input_policy import InputRefused, loads_json
from service.web.http.problems import problem


class PolicyParser(FlaskParser):
    """webargs' parser, with JSON bodies parsed under the input policy."""

    def _raw_load_json(self, req: Any) -> Any:
        if not is_json_request(req):
            return core.missing
        try:
            return loads_json(req.get_data(cache=True))
        except InputRefused as error:
            abort(400, messages={"json": [str(error)]})


class Blueprint(flask_smorest.Blueprint):
    """Every JSON API blueprint: flask-smorest's, parsing under the input policy."""

    ARGUMENTS_PARSER = PolicyParser()


def refuse_unknown_query_parameters() -> Response | None:
    """Answer 400 naming the query parameters the route does not take. A request that
    matched no route is left to the routing error (404, or 405 for a method the path
    does not take): Flask runs this before raising it, and without a route every
    parameter would look unknown."""
    if not request.path.startswith("/api/") or not request.args:
        return None
    if request.routing_exception is not None:
        return None
    view = current_app.view_functions.get(request.endpoint or "")
    unknown = sorted(set(request.args) - set(query_parameters_of(view)))
    if not unknown:
        return None
    return problem(
        400,
        f"unknown query parameter(s): {', '.join(unknown)}",
        {name: ["Unknown query parameter."] for name in unknown},
    )


def query_parameters_of(view: Callable[..., Any] | None) -> Iterable[str]:
    """The names the route's query schema reads (none when it has no query schema)."""
    arguments = getattr(view, "_apidoc", {}).get("arguments", {})
    for parameter in arguments.get("parameters", []):
        if parameter["in"] == "query":
            schema = parameter["schema"]
            schema = schema() if isinstance(schema, type) else schema
            for name, field in schema.fields.items():
                yield field.data_key or name


class BodyLimit:
    """WSGI middleware: a request body sent without a Content-Length (chunked) is
    read up to the limit; past it the answer is 413, as for a declared length.
    Werkzeug would otherwise hand the app the first `limit` bytes as if they were the
    whole body."""

    def __init__(self, app: Callable[..., Any], limit: int):
        self.app = app
        self.limit = limit

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if not environ.get("CONTENT_LENGTH") and _has_body(environ):
            body = environ["wsgi.input"].read(self.limit + 1)
            if len(body) > self.limit:
                return _too_large(self.limit, start_response)
            environ["wsgi.input"] = io.BytesIO(body)
            environ["CONTENT_LENGTH"] = str(len(body))
            environ.pop("HTTP_TRANSFER_ENCODING", None)
            environ["wsgi.input_terminated"] = False
        return self.app(environ, start_response)


def _has_body(environ: dict[str, Any]) -> bool:
    return "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower() or bool(
        environ.get("wsgi.input_terminated")
    )


def _too_large(limit: int, start_response: Callable[..., Any]) -> list[bytes]:
    body = json.dumps(
        {
            "type": "about:blank",
            "title": "Request Entity Too Large",
            "status": 413,
            "detail": f"the request body is larger than {limit} bytes",
        }
    ).encode()
    start_response(
        "413 Request Entity Too Large",
        [("Content-Type", "application/problem+json"), ("Content-Length", str(len(body)))],
    )
    return [body]
