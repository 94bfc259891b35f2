"""The API through Flask's test client, on each event store."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask, request
from flask.testing import FlaskClient

from service.application import Clock, Ledger
from service.bootstrap import create_app
from service.infra.config import Settings
from service.web.http.runtime import ledger as app_ledger
from service.web.http.runtime import runtime

# The service's day: UTC, as its clock keeps it (service/application/clock.py).
TODAY = Clock().today()


def days_ago(n: int) -> str:
    return (TODAY - timedelta(days=n)).isoformat()


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


@pytest.fixture
def app_env() -> dict[str, str]:
    """Settings beyond DATABASE_URL for the app under test; a test module may override."""
    return {}


@pytest.fixture
def clock() -> Clock | None:
    """The app's clock: the real one; a test module may override it."""
    return None


@pytest.fixture
def app(database_url: str, app_env: dict[str, str], clock: Clock | None) -> Iterator[Flask]:
    """The app on one store. Fails the test if any request it served answered 500:
    nothing a client sends may produce one."""
    settings = Settings.from_environment({"DATABASE_URL": database_url, **app_env})
    app = create_app(settings, clock=clock)
    server_errors: list[str] = []

    @app.after_request
    def watch_for_500(response):
        if response.status_code >= 500 and response.status_code != 503:
            server_errors.append(f"{request.method} {request.path} -> {response.status_code}")
        return response

    yield app
    with app.app_context():
        runtime().close()  # its background threads first: the test's schema is dropped next
    assert not server_errors, f"requests answered with a server error: {server_errors}"


@pytest.fixture
def ledger(app: Flask) -> Ledger:
    with app.app_context():
        return app_ledger()


@pytest.fixture
def make_token(app: Flask, ledger: Ledger):
    """A token's secret. It names its person: `name`, or else the member's registered
    name, or else "Test <role>" (every token names someone)."""

    def make(
        role: str, member: str | None = None, engagement_id=None, name: str | None = None
    ) -> str:
        if name is None and member is None:
            name = f"Test {role.title()}"
        secret, _ = ledger.issue_token(
            role=role, member=member, engagement_id=engagement_id, name=name, actor="test"
        )
        return secret

    return make


@pytest.fixture
def api(app: Flask, make_token) -> ApiClient:
    """An admin's client."""
    return ApiClient(app, app.test_client(), make_token("admin"))


@pytest.fixture
def world(api: ApiClient) -> dict[str, Any]:
    """Two members, an engagement with one project and an allocation covering the
    last 60 days and the next 30."""
    for handle, manager in (("ana", "lee"), ("ben", "lee")):
        response = api.post(
            "/api/team-members",
            {
                "handle": handle,
                "name": handle.title(),
                "fte": "0.5",
                "line_manager": manager,
                "effective_date": days_ago(365),
            },
        )
        assert response.status_code == 201, response.json
    engagement = api.post(
        "/api/engagements",
        {
            "name": "Open Data Week",
            "community": "Open Data NL",
            "description": "support",
            "start_date": days_ago(90),
            "end_date": days_ago(-180),
        },
    ).json
    project = api.post(
        f"/api/engagements/{engagement['id']}/projects", {"name": "Docs", "outcome": "better docs"}
    ).json
    allocation = api.post(
        f"/api/projects/{project['id']}/allocations",
        {
            "start_date": days_ago(60),
            "end_date": days_ago(-30),
            "units": 20,
            "description": "Q hours",
            "provider": "ana",
        },
    ).json
    return {"engagement": engagement, "project": project, "allocation": allocation}


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


def granted_on_ledger(ledger: Ledger, *, members: tuple[str, ...], units: int, today) -> Any:
    """Straight on the ledger, no HTTP: the members (the first provides), an engagement,
    a project and its allocation from 30 days ago to 30 days ahead; the allocation's id."""
    for handle in members:
        ledger.register_team_member(
            handle=handle,
            name=handle,
            line_manager="lee",
            fte=Decimal("1"),
            effective_date=today - timedelta(100),
            actor="t",
        )
    engagement = ledger.open_engagement(
        name="E",
        community="C",
        description="",
        start_date=today - timedelta(60),
        end_date=today + timedelta(60),
        contacts=[],
        actor="t",
    ).value
    _, project_id = ledger.define_project(engagement.id, name="P", outcome="o", actor="t").value
    return ledger.grant_allocation(
        project_id,
        start_date=today - timedelta(30),
        end_date=today + timedelta(30),
        units=units,
        description="d",
        provider=members[0],
        actor="t",
    ).value.id
