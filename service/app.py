"""The Flask application factory."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask
from flask_smorest import Api

from integrations.hubspot import init_app as init_hubspot

from .api import (
    activities,
    allocations,
    audit,
    balances,
    engagements,
    health,
    readiness,
    reports,
    team_members,
)
from .api.openapi import SharedResponsesPlugin
from .api.problems import ProblemSchema, register_problem_handlers
from .api.projection_access import install_projections
from .api.projection_metrics import ProjectionLagCollector
from .cli import register_cli
from .config import Settings
from .ledger import Ledger
from .observability import install_metrics_route, install_request_observability
from .store import prepare_storage


def _ledger_factory(settings: Settings) -> Callable[[], Ledger]:
    def make() -> Ledger:
        prepare_storage(settings.persistence)
        return Ledger(env=settings.persistence)

    return make


class LedgerApi(Api):
    ERROR_SCHEMA = ProblemSchema


def create_app(
    settings: Settings | None = None, ledger_factory: Callable[[], Ledger] | None = None
) -> Flask:
    settings = settings or Settings.from_environment()
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=settings.max_body_bytes,
        API_TITLE="Community Enablement Service",
        API_VERSION="1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api",
        OPENAPI_JSON_PATH="openapi.json",
        API_SPEC_OPTIONS={
            "components": {"securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}}}
        },
    )
    app.extensions["settings"] = settings
    app.extensions["ledger"] = {"factory": ledger_factory or _ledger_factory(settings)}
    app.extensions["tokens"] = {}

    api = LedgerApi(app, spec_kwargs={"extra_plugins": [SharedResponsesPlugin()]})
    for module in (engagements, allocations, activities, team_members, audit):
        api.register_blueprint(module.blp)
    for module in (balances, reports):
        api.register_blueprint(module.blp)
    app.register_blueprint(health.blp)
    app.register_blueprint(readiness.blp)
    register_problem_handlers(app)
    install_projections(app)
    install_request_observability(app)
    install_metrics_route(app)
    app.extensions["metrics_collectors"].append(ProjectionLagCollector(app))
    register_cli(app)
    init_hubspot(app)
    return app
