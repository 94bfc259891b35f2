"""The Flask application: the JSON API's blueprints, problems, OpenAPI, health,
metrics, on the runtime the composition root (service/bootstrap.py) gives it."""

from __future__ import annotations

import http
from typing import Any

from flask import Flask, request
from flask_smorest import Api
from flask_smorest.utils import prepare_response

from service.web.api import (
    activities,
    allocation_series,
    allocations,
    audit,
    engagements,
    imports,
    me,
    periods,
    reports,
    statements,
    team_members,
)
from service.web.http import health
from service.web.http.boundary import BodyLimit, refuse_unknown_query_parameters
from service.web.http.headers import SecurityHeaders
from service.web.http.metrics import (
    NotificationCollector,
    ProjectionLagCollector,
    WorkerHeartbeatCollector,
)
from service.web.http.observability import install_metrics_route, install_request_observability
from service.web.http.openapi import PROBLEM_JSON, SharedResponsesPlugin
from service.web.http.problems import ProblemSchema, register_problem_handlers
from service.web.http.reads import install_reads
from service.web.http.runtime import runtime
from service.web.pages.site import install_pages
from service.web.pages.sso import install_sso

BLUEPRINTS = (
    engagements,
    allocations,
    allocation_series,
    activities,
    team_members,
    audit,
    reports,
    periods,
    statements,
    me,
    imports,
)


class LedgerApi(Api):
    """flask-smorest's Api, with its error responses documented as what they are:
    RFC 9457 problems (`application/problem+json`), each status an operation can answer
    listed (service/web/http/openapi.py), and no catch-all `default` response that would
    document any status at all."""

    ERROR_SCHEMA = ProblemSchema
    DEFAULT_ERROR_RESPONSE_NAME = None

    def _register_responses(self) -> None:
        for status in http.HTTPStatus:
            response: dict = {"description": status.phrase}
            if not (100 <= status < 200) and status not in (204, 304):
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, PROBLEM_JSON)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "Default error response", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, PROBLEM_JSON)
        self.spec.components.response("DEFAULT_ERROR", response, lazy=True)


def build_web_app(runtime: Any) -> Flask:
    """`runtime` is a `service.runtime.Runtime`: settings, clock, ledger, read models."""
    settings = runtime.settings
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=settings.max_body_bytes,
        API_TITLE="Community Enablement Service",
        API_VERSION="1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api",
        OPENAPI_JSON_PATH="openapi.json",
        # Swagger UI at /api/docs, from the files vendored in static/ (no CDN); its
        # template, templates/swagger_ui.html, replaces flask-smorest's inline script.
        OPENAPI_SWAGGER_UI_PATH="docs",
        OPENAPI_SWAGGER_UI_URL=f"{app.static_url_path}/vendor/swagger-ui/",
        API_SPEC_OPTIONS={
            "components": {"securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}}}
        },
    )
    app.extensions["runtime"] = runtime
    app.before_request(refuse_unknown_query_parameters)
    app.before_request(_start_workers)
    app.extensions["settings"] = settings
    app.extensions["tokens"] = {}

    api = LedgerApi(app, spec_kwargs={"extra_plugins": [SharedResponsesPlugin()]})
    for module in BLUEPRINTS:
        api.register_blueprint(module.blp)
    app.register_blueprint(health.blp)
    register_problem_handlers(app)
    install_pages(app, settings.web)
    install_sso(app, settings.sso)
    install_reads(app)
    install_request_observability(app)
    install_metrics_route(app)
    app.extensions["metrics_collectors"].append(ProjectionLagCollector(app))
    app.extensions["metrics_collectors"].append(WorkerHeartbeatCollector(app))
    app.extensions["metrics_collectors"].append(NotificationCollector(app))
    app.wsgi_app = BodyLimit(app.wsgi_app, settings.max_body_bytes)  # type: ignore[method-assign]
    app.wsgi_app = SecurityHeaders(  # type: ignore[method-assign]
        app.wsgi_app,
        static_path=app.static_url_path,
        https=settings.web.public_url.startswith("https://"),
    )
    return app


def _start_workers() -> None:
    """With the background work in this process (PROJECTIONS_IN_PROCESS in a single-
    process server), it starts with the first request (liveness probes aside: they must
    answer without the database); a gunicorn web worker or a CLI command starts none."""
    if runtime().background_in_web and request.endpoint != "health.healthz":
        runtime().start_workers()
