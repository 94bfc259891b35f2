"""Who is signed in to the pages: a browser session, kept on the server
(service/infra/browser_sessions.py) and named by a random id in the cookie, for a token
(its id, never its secret). Each request checks the session and the token afresh:
signing out, a revoked token, a spell of idleness (SESSION_IDLE_MINUTES) or the session's
age (SESSION_MAX_HOURS) ends it, for every process and every copy of the cookie. Pages
see the same `Principal` the API does, so every role rule is one rule.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from flask import current_app, flash, g, redirect, request, session, url_for

from service.application import access
from service.application.permissions import allows, roles_of
from service.infra.browser_sessions import BrowserSessions
from service.web.http.auth import Principal, principal_by_id, refuse, refuse_departed_writer
from service.web.http.runtime import ledger, runtime
from service.web.pages.blueprints import home_endpoint

SESSION_ID = "sid"
# A session's last_seen_at is written again only when a minute old: the idle limit is
# counted in minutes, and a page's every request need not be a database write.
SEEN_RESOLUTION = timedelta(minutes=1)


def browser_sessions() -> BrowserSessions:
    """The session table on this process's ledger database (found again when the
    ledger is made anew, as after gunicorn forks a worker)."""
    datastore = ledger().recorder.datastore
    sessions = current_app.extensions.get("browser_sessions")
    if sessions is None or sessions.datastore is not datastore:
        sessions = BrowserSessions(datastore)
        current_app.extensions["browser_sessions"] = sessions
    return sessions


def sign_in(principal: Principal) -> None:
    """Start a new session for the token's person, under a new id (so a session id
    planted before sign-in is worth nothing); the session the browser had ends, and
    every expired one is swept away."""
    sign_out()
    web = current_app.extensions["settings"].web
    now = runtime().clock.instant()
    sessions = browser_sessions()
    sessions.sweep(
        seen_before=now - timedelta(minutes=web.session_idle_minutes),
        started_before=now - timedelta(hours=web.session_max_hours),
    )
    session.permanent = True
    session[SESSION_ID] = sessions.start(principal.token_id, now)


def sign_out() -> None:
    """End the session on the server (a copy of the cookie opens nothing), and forget it."""
    session_id = session.get(SESSION_ID)
    if isinstance(session_id, str) and session_id:
        browser_sessions().end(session_id)
    session.clear()


def signed_in() -> Principal | None:
    """The session's principal, unless the session has ended (signed out), has been
    idle too long or has lasted too long, or its token has been revoked; each of those
    ends it."""
    if "principal" in g:
        return g.principal
    session_id = session.get(SESSION_ID)
    if not isinstance(session_id, str) or not session_id:
        return None
    sessions = browser_sessions()
    found = sessions.find(session_id)
    if found is None:
        session.clear()
        return None
    web = current_app.extensions["settings"].web
    now = runtime().clock.instant()
    if now - found.last_seen_at > timedelta(minutes=web.session_idle_minutes):
        sign_out()
        flash("You were signed out after a while without activity. Please sign in again.")
        return None
    if now - found.started_at > timedelta(hours=web.session_max_hours):
        sign_out()
        flash(
            f"You were signed out {web.session_max_hours} hours after signing in. "
            "Please sign in again."
        )
        return None
    principal = principal_by_id(found.token_id, fresh=True)
    if principal is None:
        sign_out()
        return None
    if now - found.last_seen_at >= SEEN_RESOLUTION:
        sessions.seen(session_id, now)
    g.principal = principal
    return principal


def page(key: str) -> Callable:
    """A page for people signed in with a role the permission table gives page `key`:
    others are sent to sign in, or told their role may not see it (403), as the API
    would. Builds the request's `Caller` (`g.caller`) once, as the API does."""
    allowed = roles_of(key)

    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            principal = signed_in()
            if principal is None:
                return redirect(url_for("session_pages.sign_in_form", next=request.full_path))
            caller = principal.caller
            refuse(access.require_page, caller, key)
            refuse_departed_writer(caller)
            g.caller = caller
            return view(*args, **kwargs)

        wrapper.required_roles = sorted(allowed)  # type: ignore[attr-defined]
        wrapper.permission = key  # type: ignore[attr-defined]
        return wrapper

    return decorator


def home_url(principal: Principal) -> str:
    """The role's home page; someone whose token names a member and who may record
    work (a manager or admin who records their own) lands on My work instead."""
    if principal.member and allows(principal.role, "page:my_work"):
        return url_for("my_work.my_work")
    return url_for(home_endpoint(principal.role))


def safe_next(target: str | None) -> str | None:
    """Only a path on this site: a sign-in link must not bounce people elsewhere."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target
