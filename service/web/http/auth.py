"""Bearer-token authentication for the `/api` routes, and the request's `Caller`
(service/application/caller.py), built once here and checked against the permission
table (service/application/permissions.py) by the rules of
service/application/access.py."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from flask import abort, current_app, g, request

from service.application import access
from service.application.caller import Caller
from service.application.errors import Forbidden
from service.application.permissions import roles_of
from service.domain.tokens import ApiToken, token_id
from service.web.http.runtime import ledger, today

TOKEN_CACHE_SECONDS = 30.0
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass(frozen=True)
class Principal:
    """Who is calling: the token's id (never its secret), role, limits and person."""

    token_id: UUID
    role: str
    member: str | None
    engagement_id: UUID | None
    name: str | None = None

    @property
    def actor(self) -> str:
        """The person the token names, recorded as the `actor` of every event the
        request causes. Tokens issued before they named anyone: the member's handle,
        or the role and the start of the token's id, as then."""
        return self.name or self.member or f"{self.role}:{str(self.token_id)[:8]}"

    @property
    def caller(self) -> Caller:
        """The token's person, role and scopes, as the commands and the rules take them."""
        return Caller(self.actor, self.role, self.member, self.engagement_id)

    def may_see_engagement(self, engagement_id: UUID) -> bool:
        return access.may_see_engagement(self.caller, engagement_id)


def principal_for_secret(secret: str, *, fresh: bool = False) -> Principal | None:
    return principal_by_id(token_id(secret), lambda: ledger().token_for(secret), fresh=fresh)


def principal_by_id(
    key: UUID, load: Callable[[], ApiToken | None] | None = None, *, fresh: bool = False
) -> Principal | None:
    """The principal of a valid token, by its id (a signed-in browser knows no
    secret). Tokens change only when revoked; a short cache (keyed by the token's id,
    never its secret) spares a database read per API request. `fresh` reads the token
    anyway (a browser session: a revocation ends it at its next request). A session
    of someone signed in with an identity provider holds their person's id instead: a
    removal or a departure ends it as a revocation does."""
    cache: dict[UUID, tuple[float, Principal | None]] = current_app.extensions["tokens"]
    now = time.monotonic()
    cached = cache.get(key)
    if cached and now - cached[0] < TOKEN_CACHE_SECONDS and not fresh:
        return cached[1]
    token = load() if load is not None else ledger().token_by_id(key) or ledger().person_by_id(key)
    principal = (
        None
        if token is None
        else Principal(key, token.role, token.member, token.engagement_id, token.name)
    )
    if len(cache) > 10_000:
        cache.clear()
    cache[key] = (now, principal)
    return principal


def requires(key: str) -> Callable:
    """Let the request through only with a valid token whose role the permission table
    gives `key` (a command or read), and build the request's `Caller` (`g.caller`)."""
    allowed = roles_of(key)

    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
            if scheme.lower() != "bearer" or not secret.strip():
                abort(401, description="send Authorization: Bearer <token>")
            principal = principal_for_secret(secret.strip())
            if principal is None:
                abort(401, description="the token is not valid")
            caller = principal.caller
            refuse(access.require_role, caller, key)
            refuse_departed_writer(caller)
            g.principal, g.caller = principal, caller
            return view(*args, **kwargs)

        wrapper.required_roles = sorted(allowed)  # type: ignore[attr-defined]
        wrapper.permission = key  # type: ignore[attr-defined]
        return wrapper

    return decorator


def principal() -> Principal:
    return g.principal


def require_visible(engagement_id: UUID | None, missing: str) -> None:
    """404 (`missing`) unless the thing asked for exists (`engagement_id`: the
    engagement it belongs to; None: nothing found) and the caller may see that
    engagement. One answer for both, so a viewer limited to one engagement cannot learn
    that another engagement's things exist."""
    if engagement_id is None or not principal().may_see_engagement(engagement_id):
        abort(404, description=missing)


def refuse_departed_writer(caller: Caller) -> None:
    """The departed-member rule (service/application/access.py) on every write, on the
    API and the pages alike; the departure is read from the member's stream each time."""
    if caller.member is None or request.method not in WRITES:
        return
    refuse(access.require_not_departed, caller, ledger().departure_of(caller.member), today())


def refuse(rule: Callable[..., None], *args: Any) -> None:
    """Apply an access rule before the view runs: its refusal is a 403 with its words."""
    try:
        rule(*args)
    except Forbidden as refused:
        abort(403, description=refused.message)
