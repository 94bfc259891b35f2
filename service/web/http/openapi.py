"""Additions to the generated OpenAPI document that every /api operation shares:
bearer security and the problem responses the handlers can give."""

from __future__ import annotations

from apispec import BasePlugin

ERROR_REF = {"$ref": "#/components/schemas/Problem"}
PROBLEM_JSON = "application/problem+json"
COMMON = {
    "400": "Unknown query parameter, malformed JSON or a bad `Idempotency-Key`",
    "401": "Missing or invalid bearer token",
    "403": "The token's role does not allow this",
    "413": "Request body larger than 1 MiB",
    "414": "Request line (path and query) longer than 4 KiB",
    "431": "Request headers too large",
    "503": "Event store unreachable; retry after `Retry-After` seconds",
}
WITH_ID = {"404": "No such resource (or one the token may not see)"}
WRITES = {
    "409": "Concurrent change or a state that forbids it; may be retried",
    "422": "Valid JSON that breaks a rule of the domain",
}


def problem_response(description: str) -> dict:
    return {
        "description": description,
        "content": {PROBLEM_JSON: {"schema": ERROR_REF}},
    }


class SharedResponsesPlugin(BasePlugin):
    def operation_helper(self, path=None, operations=None, **kwargs):
        if not path or not path.startswith("/api") or not operations:
            return
        for method, operation in operations.items():
            operation.setdefault("security", [{"bearerAuth": []}])
            responses = operation.setdefault("responses", {})
            extra = dict(COMMON)
            if "{" in path or _names_an_id(operation):
                extra |= WITH_ID
            if method in ("post", "patch"):
                extra |= WRITES
            for code, description in extra.items():
                responses.setdefault(code, problem_response(description))


def _names_an_id(operation: dict) -> bool:
    """Whether the operation takes an id in its query (e.g. `engagement_id`), which
    answers 404 when there is no such resource, as an id in the path does."""
    return any(
        parameter.get("in") == "query" and parameter.get("name", "").endswith("_id")
        for parameter in operation.get("parameters", [])
    )
