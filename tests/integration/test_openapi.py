"""The served OpenAPI document is valid OpenAPI 3 and says what the API does: problem
responses as application/problem+json, decimals as the strings they are served as."""

from __future__ import annotations

import json

from openapi_spec_validator import validate


def served_document(api) -> dict:
    response = api.client.get("/api/openapi.json")
    assert response.status_code == 200
    return response.json


def test_the_served_document_validates(api):
    validate(served_document(api))


def test_every_error_response_is_documented_as_a_problem(api):
    document = served_document(api)
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if method not in ("get", "post", "patch", "put", "delete"):
                continue
            for status, response in operation["responses"].items():
                if "$ref" in response or not status.startswith(("4", "5")):
                    continue
                assert list(response["content"]) == ["application/problem+json"], (
                    method,
                    path,
                    status,
                )
    for name, response in document["components"]["responses"].items():
        assert set(response.get("content", {})) <= {"application/problem+json"}, name


def test_fte_is_documented_as_the_decimal_string_it_is_served_as(api, world):
    document = served_document(api)
    fte = document["components"]["schemas"]["TeamMemberIn"]["properties"]["fte"]
    assert fte["type"] == "string" and "minimum" not in fte and "maximum" not in fte
    served = api.get("/api/team-members").json["items"][0]["fte"]
    assert isinstance(served, str)
    assert "#/components/schemas/Error" not in json.dumps(document)


def test_every_operation_lists_the_statuses_it_can_answer_and_no_catch_all(api):
    """Schemathesis checks each status against the operation's list; a `default`
    response would document any status at all."""
    document = served_document(api)
    shared = {"400", "401", "403", "413", "414", "431", "503"}
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if method not in ("get", "post", "patch", "put", "delete"):
                continue
            responses = set(operation["responses"])
            assert "default" not in responses, (method, path)
            assert shared <= responses, (method, path, shared - responses)
            takes_an_id = "{" in path or any(
                p["in"] == "query" and p["name"].endswith("_id")
                for p in operation.get("parameters", [])
            )
            if takes_an_id:
                assert "404" in responses, (method, path)
