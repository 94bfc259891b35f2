"""The API as the tests speak it: one token holder's client over Flask's test client,
an activity's body, and an allocation on a project of its own."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from service.web.http.runtime import ledger as app_ledger
from tests.support.dates import days_ago


class ApiClient:
    """Speaks to the API as one token holder, and reads the event log size."""

    def __init__(self, app: Flask, client: FlaskClient, token: str):
        self.app = app
        self.client = client
        self.token = token

    def as_(self, token: str) -> ApiClient:
        return ApiClient(self.app, self.client, token)

    def headers(self, key: str | None = None, token: str | None = None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {token or self.token}"}
        if key is not None:
            headers["Idempotency-Key"] = key
        return headers

    def get(self, path: str, **query: Any):
        return self.client.get(path, query_string=query, headers=self.headers())

    def post(self, path: str, body: Any = None, key: str | None = None):
        return self.client.post(path, json=body, headers=self.headers(key))

    def patch(self, path: str, body: Any = None):
        return self.client.patch(path, json=body, headers=self.headers())

    def post_raw(self, path: str, data: bytes | str, content_type: str = "application/json"):
        return self.client.post(path, data=data, content_type=content_type, headers=self.headers())

    def log_size(self) -> int:
        with self.app.app_context():
            return app_ledger().recorder.max_notification_id() or 0


def activity(**overrides: Any) -> dict[str, Any]:
    body = {
        "team_member": "ana",
        "units": 3,
        "description": "review of the guide",
        "date_from": days_ago(2),
        "date_to": days_ago(2),
    }
    body.update(overrides)
    return body


def grant_on_own_project(
    api: ApiClient,
    engagement_id: str,
    *,
    start: int,
    end: int,
    units: int = 10,
    provider: str | None = None,
    description: str = "events",
) -> dict[str, Any]:
    """An allocation on a new project of the engagement (projects' schedules never
    overlap), from `start` days ago to `end` days ago (negative: ahead); its JSON."""
    project = api.post(
        f"/api/engagements/{engagement_id}/projects",
        {"name": f"P {uuid.uuid4().hex[:6]}", "outcome": "o"},
    )
    assert project.status_code == 201, project.json
    body = {"start_date": days_ago(start), "end_date": days_ago(end), "units": units}
    body |= {"description": description} | ({"provider": provider} if provider else {})
    response = api.post(f"/api/projects/{project.json['id']}/allocations", body)
    assert response.status_code == 201, response.json
    return response.json
