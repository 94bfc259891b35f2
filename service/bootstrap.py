"""The composition root: the one place that wires the web app, the CLI groups and the
background workers onto a `Runtime` (service/runtime.py). The packages it wires never
import it: each is handed the runtime, or a ledger callable."""

from __future__ import annotations

from functools import partial

from flask import Flask

from integrations.hubspot import HubSpotIntegration
from projections.cli import projections_cli
from service.application.clock import Clock
from service.cli.audit import audit_cli
from service.cli.demo import demo_cli
from service.cli.imports import imports_cli
from service.cli.notify import notify_cli
from service.cli.people import people_cli
from service.cli.tokens import tokens_cli
from service.cli.worker import worker_cli
from service.infra.config import Settings
from service.runtime import Runtime
from service.web.app import build_web_app
from service.web.documents.pdf_renderer import PdfRenderer
from service.workers import Worker, notifier, notify_worker, run_worker_process


def create_app(settings: Settings | None = None, clock: Clock | None = None) -> Flask:
    """The service as gunicorn and `flask --app wsgi` run it."""
    runtime = Runtime(settings or Settings.from_environment(), clock)
    app = build_web_app(runtime)

    def pdf_renderer(runtime: Runtime) -> Worker:
        return PdfRenderer(app, runtime)

    runtime.background_factories.append(pdf_renderer)
    hubspot = HubSpotIntegration(runtime.settings.hubspot, runtime.ledger)
    hubspot.install(app)
    if hubspot.follower is not None:
        follower = hubspot.follower

        def hubspot_deal_follower(_: Runtime) -> Worker:
            return follower

        runtime.background_factories.append(hubspot_deal_follower)
    if hubspot.polling:  # the reconciliation poll: a token, the portal id, minutes above 0

        def hubspot_poll(_: Runtime) -> Worker:
            return hubspot.poll_worker()

        runtime.background_factories.append(hubspot_poll)
    if runtime.settings.notify.channels:
        runtime.background_factories.append(notify_worker)
    app.cli.add_command(worker_cli(runtime))
    app.cli.add_command(tokens_cli(runtime.ledger, runtime.settings.web))
    app.cli.add_command(people_cli(runtime.ledger))
    app.cli.add_command(projections_cli(runtime.ledger, partial(run_worker_process, runtime)))
    app.cli.add_command(audit_cli(runtime))
    app.cli.add_command(demo_cli(runtime.ledger, runtime.settings.web))
    app.cli.add_command(imports_cli(runtime.ledger))
    app.cli.add_command(
        notify_cli(
            lambda: notifier(runtime, runtime.ledger()), runtime.settings.notify.interval_seconds
        )
    )
    return app
