"""HubSpot's deal search, as a pytest-httpserver handler answering like HubSpot.

`POST /crm/v3/objects/deals/search` over deals held in memory: the filters the poll
sends (dealstage IN, hs_lastmodifieddate GTE milliseconds), one sort, at most 200 a
page (a larger `limit` is a 400), an offset cursor in `paging.next.after`, and at most
`cap` results per query (HubSpot's 10,000: a cursor at or past it is a 400). Queued
failures (`fail_next`) are answered first, one per request, as HubSpot answers a 429.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

SEARCH_PATH = "/crm/v3/objects/deals/search"
TOKEN = "pat-test-token"


@dataclass
class StubDeal:
    id: str
    stage: str
    last_modified: datetime
    stamp: str | None = None
    """`hs_lastmodifieddate` as sent, when not `last_modified` (a malformed one)"""

    @property
    def modified_ms(self) -> int:
        return int(self.last_modified.timestamp() * 1000)

    def as_result(self) -> dict[str, Any]:
        stamp = self.last_modified.astimezone(UTC).isoformat(timespec="milliseconds")
        stamp = stamp.replace("+00:00", "Z")
        return {
            "id": self.id,
            "properties": {
                "dealstage": self.stage,
                "hs_lastmodifieddate": stamp if self.stamp is None else self.stamp,
                "hs_object_id": self.id,
                "createdate": "2024-11-20T10:00:00.000Z",
            },
            "createdAt": "2024-11-20T10:00:00.000Z",
            "updatedAt": stamp,
            "archived": False,
        }


class SearchStub:
    """The deals HubSpot holds, and the search requests it was sent (their bodies)."""

    def __init__(self, httpserver: HTTPServer, cap: int = 10_000):
        self.deals: dict[str, StubDeal] = {}
        self.requests: list[dict[str, Any]] = []
        self.failures: list[tuple[int, dict[str, str]]] = []
        self.failing_at: dict[int, tuple[int, dict[str, str]]] = {}
        self.cap = cap
        httpserver.expect_request(SEARCH_PATH, method="POST").respond_with_handler(self.answer)

    def put(
        self, deal_id: str, last_modified: datetime, stage: str = "closedwon", **stamp: str
    ) -> None:
        self.deals[deal_id] = StubDeal(deal_id, stage, last_modified, **stamp)

    def fail_next(self, status: int, **headers: str) -> None:
        self.failures.append((status, headers))

    def fail_at(self, request_number: int, status: int, **headers: str) -> None:
        """Answer the `request_number`th request (from 1) with `status`."""
        self.failing_at[request_number] = (status, headers)

    def answer(self, request: Request) -> Response:
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return _error(401, "Authentication credentials not found.")
        body = request.get_json()
        self.requests.append(body)
        failure = self.failing_at.pop(len(self.requests), None)
        if failure is None and self.failures:
            failure = self.failures.pop(0)
        if failure is not None:
            status, headers = failure
            return _error(status, "You have reached your secondly limit.", headers)
        limit = body.get("limit", 10)
        offset = int(body.get("after") or 0)
        if limit > 200:
            return _error(400, "limit must be less than or equal to 200")
        if offset >= self.cap:
            return _error(400, f"Search results are limited to {self.cap} results")
        matching = sorted(
            (deal for deal in self.deals.values() if _passes(deal, body["filterGroups"])),
            key=lambda deal: (deal.modified_ms, len(deal.id), deal.id),  # ids as numbers
        )
        assert body["sorts"] == [{"propertyName": "hs_lastmodifieddate", "direction": "ASCENDING"}]
        page = matching[offset : offset + limit]
        answer: dict[str, Any] = {
            "total": len(matching),
            "results": [deal.as_result() for deal in page],
        }
        if offset + limit < len(matching):
            following = str(offset + limit)
            answer["paging"] = {"next": {"after": following, "link": f"?after={following}"}}
        return Response(json.dumps(answer), status=200, content_type="application/json")


def _passes(deal: StubDeal, groups: list[dict[str, Any]]) -> bool:
    return any(all(_holds(deal, f) for f in group["filters"]) for group in groups)


def _holds(deal: StubDeal, condition: dict[str, Any]) -> bool:
    name, operator = condition["propertyName"], condition["operator"]
    if (name, operator) == ("dealstage", "IN"):
        return deal.stage in condition["values"]
    if (name, operator) == ("hs_lastmodifieddate", "GTE"):
        return deal.modified_ms >= int(condition["value"])
    raise AssertionError(f"the stub does not know the filter {condition}")


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    body = {"status": "error", "message": message, "category": "VALIDATION_ERROR"}
    if status == 429:
        body["category"] = "RATE_LIMITS"
    return Response(
        json.dumps(body), status=status, headers=headers, content_type="application/json"
    )
