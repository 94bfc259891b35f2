"""Additions to the generated OpenAPI document that every /api operation shares:
bearer security and the problem responses the handlers can give."""

from __future__ import annotations

from apispec import BasePlugin

ERROR_REF = {"$ref": "#/components/schemas/Problem"}
PROBLEM_JSON = "application/problem+json"
COMMON = {
    "401": "Missing or invalid bearer token",
    "403": "The token's role does not allow this",
    "413": "Request body larger than 1 MiB",
    "503": "Event store unreachable; retry after `Retry-After` seconds",
}
WITH_PATH_ID = {"404": "No such resource"}
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
            if "{" in path:
                extra |= WITH_PATH_ID
            if method in ("post", "patch"):
                extra |= WRITES
            for code, description in extra.items():
                responses.setdefault(code, problem_response(description))
