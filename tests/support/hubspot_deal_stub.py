"""HubSpot's CRM v3 deal and company, as pytest-httpserver answers them in HubSpot's
shapes: the deal the Closed-Won webhook names, and the engagement it opens."""

from __future__ import annotations

from typing import Any

from pytest_httpserver import HTTPServer

from service.domain import engagement_id_for_deal
from tests.support.hubspot_webhooks import PORTAL

DEAL = "19283746501"
COMPANY = "5550001"
DEAL_PATH = f"/crm/v3/objects/deals/{DEAL}"
COMPANY_PATH = f"/crm/v3/objects/companies/{COMPANY}"
ENGAGEMENT = engagement_id_for_deal(PORTAL, DEAL)
STAMPS = {
    "createdAt": "2024-11-20T10:00:00.000Z",
    "updatedAt": "2024-11-27T13:52:31.737Z",
    "archived": False,
}


def deal_body(**properties: str | None) -> dict[str, Any]:
    """GET /crm/v3/objects/deals/{id}?associations=companies, as HubSpot answers it."""
    defaults: dict[str, str | None] = {
        "dealname": "Open Data Week support",
        "amount": "12000",
        "deal_currency_code": "EUR",
        "closedate": "2024-11-27T13:52:31.737Z",
        "pipeline": "default",
        "dealstage": "closedwon",
        "contract_start_date": "2025-01-01",
        "contract_end_date": "2025-06-30",
        "contract_hours": "40",
        "hs_object_id": DEAL,
    }
    return {
        "id": DEAL,
        "properties": {**defaults, **properties},
        "associations": {
            "companies": {
                "results": [
                    {"id": "999", "type": "deal_to_company_unlabeled"},
                    {"id": COMPANY, "type": "deal_to_company"},
                ]
            }
        },
        **STAMPS,
    }


COMPANY_BODY = {
    "id": COMPANY,
    "properties": {"name": "Open Data NL", "hs_object_id": COMPANY},
    **STAMPS,
}


def serve_deal(httpserver: HTTPServer, body: dict[str, Any] | None = None) -> None:
    httpserver.expect_request(DEAL_PATH, method="GET").respond_with_json(body or deal_body())
    httpserver.expect_request(COMPANY_PATH, method="GET").respond_with_json(COMPANY_BODY)
