"""The people's pages (docs/explanation/web-app.md) on the API's Flask app: the session cookie, CSRF
protection of every form, the page blueprints, and what every template may use.

The API keeps bearer tokens only: a session cookie never authorises an `/api` call, so
the API needs no CSRF protection and pages need no tokens in scripts."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Flask, Request, g, request
from flask.sessions import SecureCookieSessionInterface
from werkzeug.exceptions import HTTPException

from service.application.permissions import allows
from service.infra.config import WebSettings
from service.web.http.auth import Principal
from service.web.http.problems import http_problem
from service.web.pages import (
    access_pages,
    allocation_forms,
    audit_page,
    charts,
    engagement_forms,
    engagement_pages,
    entry_history,
    import_pages,
    months,
    my_activities,
    my_week,
    my_work,
    notification_settings,
    people_pages,
    plan,
    report_pages,
    review,
    session,
    sso,
    statement_pages,
    team_pages,
    unsubscribe,
)
from service.web.pages.blueprints import csrf, error_page, nav_links
from service.web.pages.wording import labelled_cells, moment, plural

MACHINE_PATHS = ("/api", "/webhooks", "/healthz", "/readyz", "/metrics")

PAGE_BLUEPRINTS = (
    session,
    my_work,
    my_week,
    my_activities,
    review,
    entry_history,
    plan,
    engagement_pages,
    engagement_forms,
    allocation_forms,
    report_pages,
    audit_page,
    team_pages,
    months,
    statement_pages,
    notification_settings,
    unsubscribe,
    import_pages,
    access_pages,
    people_pages,
    sso,
)


class SessionOverHttps(SecureCookieSessionInterface):
    """The cookie is `Secure` whenever the page was served over https (directly or
    behind a proxy that says so), not only when configured."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"] or _is_secure(request))


def _is_secure(current: Request) -> bool:
    return current.is_secure or current.headers.get("X-Forwarded-Proto", "") == "https"


def install_pages(app: Flask, web: WebSettings) -> None:
    app.config.update(
        SESSION_COOKIE_NAME="ces_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=web.public_url.startswith("https://"),
        PERMANENT_SESSION_LIFETIME=timedelta(minutes=web.session_idle_minutes),
        WTF_CSRF_CHECK_DEFAULT=False,  # the page blueprints check their forms
        WTF_CSRF_TIME_LIMIT=None,  # a form lives as long as its session
    )
    app.session_interface = SessionOverHttps()
    csrf.init_app(app)
    for module in PAGE_BLUEPRINTS:
        app.register_blueprint(module.blp)
    app.jinja_env.globals.update(nav_links=_nav_links_of, may=_may, pace_bar=charts.pace_bar)
    app.jinja_env.filters.update(plural=plural, labelled_cells=labelled_cells, moment=moment)
    app.register_error_handler(404, _not_found)
    app.register_error_handler(405, _not_found)


def _nav_links_of(principal: Principal) -> list[tuple[str, str]]:
    return nav_links(principal.role)


def _may(key: str) -> bool:
    """Whether the signed-in person may open page `key`: a template shows a link to a
    page only to those who may open it."""
    return "principal" in g and allows(g.principal.role, key)


def _not_found(error: HTTPException) -> Any:
    """Outside `/api`, a person is reading: answer a page. The API keeps its problems."""
    if not _is_page_path(request.path):
        return http_problem(error)
    return error_page(error)


def _is_page_path(path: str) -> bool:
    return not any(path == prefix or path.startswith(prefix + "/") for prefix in MACHINE_PATHS)
