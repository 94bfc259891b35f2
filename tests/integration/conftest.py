"""The API through Flask's test client, on each event store."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask, request

from service.application import Clock, Ledger
from service.bootstrap import create_app
from service.infra.config import Settings
from service.web.http.runtime import ledger as app_ledger
from service.web.http.runtime import runtime
from tests.support.api import ApiClient, activity
from tests.support.dates import days_ago
from tests.support.moves import grant


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


WORLD_SPAN_DAYS = 3650


@pytest.fixture
def world(api: ApiClient) -> dict[str, Any]:
    """Two members, an engagement with one project and an allocation covering the
    last 60 days and the next 30. The engagement runs ten years each way, so that any
    allocation a test grants (series of fixed 2027 quarters, imports of last year's
    history) lies within its dates, as every allocation must."""
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
            "start_date": days_ago(WORLD_SPAN_DAYS),
            "end_date": days_ago(-WORLD_SPAN_DAYS),
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


@pytest.fixture
def places(api, world) -> dict[str, Any]:
    """The world's allocation `a` (20 units), `b` (10 units, same period, another project)
    and `recent` (only the last day and ahead); on `a`, Ana's 3 units two days ago."""
    engagement_id = world["engagement"]["id"]
    a = world["allocation"]["id"]
    b = grant(api, engagement_id, start=60, end=-30, units=10)["id"]
    recent = grant(api, engagement_id, start=1, end=-30, units=5)["id"]
    recorded = api.post(f"/api/allocations/{a}/activities", activity(units=3))
    assert recorded.status_code == 201, recorded.json
    return {**world, "a": a, "b": b, "recent": recent, "activity": recorded.json}
