"""Who is signed in to the pages: a browser session holding a token's id (never its
secret), checked against the token on every request, and forgotten after a spell of
idleness. Pages see the same `Principal` the API does, so every role rule is one rule.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID

from flask import abort, current_app, flash, g, redirect, request, session, url_for

from service.web.auth import Principal, principal_by_id, refuse_departed_writer

SESSION_TOKEN = "token_id"
SESSION_SEEN = "seen"

HOME_OF_ROLE = {
    "member": "my_work.my_work",
    "manager": "review.review",
    "bd": "plan.plan",
    "auditor": "audit_page.audit",
    "viewer": "engagement_pages.engagements",
    "admin": "engagement_pages.engagements",
}


def sign_in(principal: Principal) -> None:
    """Start a new session (a fresh cookie, so a session id planted before sign-in
    is worth nothing) for the token's person."""
    session.clear()
    session.permanent = True
    session[SESSION_TOKEN] = str(principal.token_id)
    session[SESSION_SEEN] = int(time.time())


def sign_out() -> None:
    session.clear()


def signed_in() -> Principal | None:
    """The session's principal, unless the session is idle past its limit or the
    token has been revoked since; either ends the session."""
    if "principal" in g:
        return g.principal
    token_text = session.get(SESSION_TOKEN)
    if not token_text:
        return None
    idle_limit = current_app.extensions["settings"].web.session_idle_minutes * 60
    now = int(time.time())
    if now - int(session.get(SESSION_SEEN, 0)) > idle_limit:
        sign_out()
        flash("You were signed out after a while without activity. Please sign in again.")
        return None
    try:
        principal = principal_by_id(UUID(token_text))
    except ValueError:
        principal = None
    if principal is None:
        sign_out()
        return None
    session[SESSION_SEEN] = now
    g.principal = principal
    return principal


def page(*roles: str) -> Callable:
    """A page for people signed in with one of `roles` (admin always): others are
    sent to sign in, or told their role may not see it (403), as the API would."""
    allowed = {"admin", *roles}

    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            principal = signed_in()
            if principal is None:
                return redirect(url_for("session_pages.sign_in_form", next=request.full_path))
            if principal.role not in allowed:
                abort(403, description=f"a {principal.role} may not open this page")
            refuse_departed_writer(principal)
            return view(*args, **kwargs)

        wrapper.required_roles = sorted(allowed)  # type: ignore[attr-defined]
        return wrapper

    return decorator


def home_url(principal: Principal) -> str:
    if principal.role in ("manager", "admin") and principal.member:
        return url_for("my_work.my_work")
    return url_for(HOME_OF_ROLE[principal.role])


def safe_next(target: str | None) -> str | None:
    """Only a path on this site: a sign-in link must not bounce people elsewhere."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target
