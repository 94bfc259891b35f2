"""Bearer-token authentication and role checks for the `/api` routes."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from flask import abort, current_app, g, request

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

    def may_see_engagement(self, engagement_id: UUID) -> bool:
        return self.engagement_id is None or self.engagement_id == engagement_id


def principal_for_secret(secret: str) -> Principal | None:
    return principal_by_id(token_id(secret), lambda: ledger().token_for(secret))


def principal_by_id(
    key: UUID, load: Callable[[], ApiToken | None] | None = None, *, fresh: bool = False
) -> Principal | None:
    """The principal of a valid token, by its id (a signed-in browser knows no
    secret). Tokens change only when revoked; a short cache (keyed by the token's id,
    never its secret) spares a database read per API request. `fresh` reads the token
    anyway (a browser session: a revocation ends it at its next request)."""
    cache: dict[UUID, tuple[float, Principal | None]] = current_app.extensions["tokens"]
    now = time.monotonic()
    cached = cache.get(key)
    if cached and now - cached[0] < TOKEN_CACHE_SECONDS and not fresh:
        return cached[1]
    token = load() if load is not None else ledger().token_by_id(key)
    principal = (
        None
        if token is None
        else Principal(key, token.role, token.member, token.engagement_id, token.name)
    )
    if len(cache) > 10_000:
        cache.clear()
    cache[key] = (now, principal)
    return principal


def requires(*roles: str) -> Callable:
    """Let the request through only with a valid token of one of `roles` (admin always)."""
    allowed = {"admin", *roles}

    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
            if scheme.lower() != "bearer" or not secret.strip():
                abort(401, description="send Authorization: Bearer <token>")
            principal = principal_for_secret(secret.strip())
            if principal is None:
                abort(401, description="the token is not valid")
            if principal.role not in allowed:
                abort(
                    403,
                    description=f"a {principal.role} token may not do this; "
                    f"it needs one of: {', '.join(sorted(allowed))}",
                )
            refuse_departed_writer(principal)
            g.principal = principal
            return view(*args, **kwargs)

        wrapper.required_roles = sorted(allowed)  # type: ignore[attr-defined]
        return wrapper

    return decorator


def principal() -> Principal:
    return g.principal


def refuse_departed_writer(principal: Principal) -> None:
    """A token naming a member who has left writes nothing more (403), whatever its
    role, on the API and the pages alike; its reads go on (revoke it to end those). Their
    work dated before the departure is recorded or corrected by a manager. The departure
    is read from the member's stream on each write, not cached with the token, so it
    counts from its day at once."""
    if principal.member is None or request.method not in WRITES:
        return
    left_on = ledger().departure_of(principal.member)
    if left_on is not None and left_on <= today():
        abort(
            403,
            description=f"{principal.member} left on {left_on.isoformat()}: their token can "
            "no longer write (it still reads); a manager records or corrects their work "
            "dated before that",
        )
