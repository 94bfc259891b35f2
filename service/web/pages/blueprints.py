"""What every page blueprint shares: forms are checked for their CSRF token before any
view runs, errors answer as pages (a person, not a program, is reading), and the
navigation between pages (who sees which link, and where each role lands, is the
permission table's: service/application/permissions.py)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import NamedTuple

from flask import Blueprint, render_template, request
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import HTTPException

from projections.engine.failures import ViewsFailing
from projections.engine.freshness import PositionBeyondLog, ProjectionsBehind, WorkerDown
from service.application.permissions import HOME_OF_ROLE, allows
from service.domain import DomainError
from service.infra.store_errors import DATABASE_UNAVAILABLE
from service.web.http.problems import DOMAIN_STATUS
from service.web.pages.form_messages import Errors, rule_errors

log = logging.getLogger(__name__)

csrf = CSRFProtect()


class NavLink(NamedTuple):
    endpoint: str
    label: str
    page: str
    """The page's key in the permission table."""
    not_for: tuple[str, ...] = ()
    """Roles that may open the page but get no link to it."""


NAV = (
    NavLink("my_work.my_work", "My work", "page:my_work"),
    NavLink("my_week.my_week", "My week", "page:my_work"),
    NavLink("review.review", "Review", "page:review"),
    NavLink("plan.plan", "Plan", "page:plan"),
    # A member reaches an engagement from their own work, not from a list of all.
    NavLink("engagement_pages.engagements", "Engagements", "page:engagements", ("member",)),
    NavLink("audit_page.audit", "Audit", "page:audit"),
    NavLink("team_pages.team", "Team", "page:team"),
    # Closed months matter to who closes them, states them and records after a close.
    NavLink("month_pages.months", "Months", "page:months", ("member", "auditor", "viewer")),
    NavLink("notification_settings.settings", "Notifications", "page:notifications"),
    NavLink("import_pages.imports", "Import", "page:imports"),
    NavLink("access_pages.access", "Access", "page:access"),
)
"""The pages a role may have a link to, in the order the links show."""


def nav_links(role: str) -> list[tuple[str, str]]:
    """(endpoint, label) of every page in NAV the role may open."""
    return [
        (link.endpoint, link.label)
        for link in NAV
        if allows(role, link.page) and role not in link.not_for
    ]


def home_endpoint(role: str) -> str:
    """The endpoint of the role's home page (HOME_OF_ROLE names a page of NAV)."""
    return next(link.endpoint for link in NAV if link.page == HOME_OF_ROLE[role])


def page_blueprint(name: str, import_name: str) -> Blueprint:
    blueprint = Blueprint(name, import_name)
    blueprint.before_request(_protect_forms)
    blueprint.register_error_handler(CSRFError, _csrf_refused)
    blueprint.register_error_handler(HTTPException, error_page)
    blueprint.register_error_handler(DomainError, _domain_error)
    blueprint.register_error_handler(ProjectionsBehind, _busy)
    blueprint.register_error_handler(WorkerDown, _busy)
    blueprint.register_error_handler(PositionBeyondLog, _beyond_the_log)
    blueprint.register_error_handler(ViewsFailing, _busy)
    for error_class in DATABASE_UNAVAILABLE:
        blueprint.register_error_handler(error_class, _busy)
    blueprint.register_error_handler(Exception, _unexpected)
    return blueprint


def _protect_forms() -> None:
    if request.method == "POST":
        csrf.protect()


def error_page(error: HTTPException) -> tuple[str, int]:
    status = error.code or 500
    return render_template(
        "pages/error.html", status=status, title=error.name, message=error.description
    ), status


def _csrf_refused(error: CSRFError) -> tuple[str, int]:
    return render_template(
        "pages/error.html",
        status=400,
        title="The form could not be accepted",
        message="The form was not sent from this site's page, or the page had expired: "
        "nothing was recorded. Go back, reload the page and try again.",
    ), 400


def _domain_error(error: DomainError) -> tuple[str, int]:
    return render_template(
        "pages/error.html", status=status_of(error), title="Not possible", message=error.message
    ), status_of(error)


def status_of(error: DomainError) -> int:
    """The API's status for the same refusal."""
    return next(code for kind, code in DOMAIN_STATUS if isinstance(error, kind))


def refusal(
    error: DomainError,
    fields: tuple[str, ...],
    moved: Mapping[str, str] | None = None,
    labels: Mapping[str, str] | None = None,
) -> Errors:
    """A refusal of the ledger's rules as a form's errors: under its field, if the
    form has it (`moved`: shows that field of the command as another of its own), else
    above the form, in a person's words (`labels`: form_messages.py). The form is shown
    again; nothing was recorded."""
    return rule_errors(error, fields, moved, labels)


def _beyond_the_log(error: PositionBeyondLog) -> tuple[str, int]:
    """A link naming a log position not yet written (the API's 422 for the same)."""
    return render_template(
        "pages/error.html", status=422, title="Not in the log yet", message=str(error)
    ), 422


def _busy(error: Exception) -> tuple[str, int, dict[str, str]]:
    log.warning("page unavailable for now: %s", error)
    return (
        render_template(
            "pages/error.html",
            status=503,
            title="Busy for a moment",
            message="The ledger could not be read just now; nothing was changed. "
            "Please try again in a few seconds.",
        ),
        503,
        {"Retry-After": "5"},
    )


def _unexpected(error: Exception) -> tuple[str, int]:
    log.exception("unhandled error on a page")
    return render_template(
        "pages/error.html",
        status=500,
        title="Something went wrong",
        message="An internal error occurred; it has been logged.",
    ), 500
