"""Who a GitHub account is, asked of GitHub's API with the token of a sign-in (GitHub
speaks OAuth 2, not OpenID Connect: there is no ID token, so the service asks): its id,
its primary email if GitHub has verified it, and whether it is an active member of the
organisation (GITHUB_ORG), asked at every sign-in, so leaving the organisation ends
access at the next sign-in."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from service.application.people import ProvidedIdentity

GITHUB = "github"
SCOPES = "read:user user:email read:org"
"""Reading the account, its emails and its organisation memberships."""


def github_identity(client: Any, token: dict[str, Any]) -> ProvidedIdentity:
    """The account, from GET /user and GET /user/emails (raises on a failed call)."""
    user = _json(client.get("user", token=token))
    emails = _json(client.get("user/emails", token=token))
    primary = next((e for e in emails if isinstance(e, dict) and e.get("primary")), {"email": None})
    return ProvidedIdentity(
        provider=GITHUB,
        subject=str(user["id"]),
        email=primary.get("email"),
        email_verified=primary.get("verified") is True,
    )


def is_member(client: Any, token: dict[str, Any], org: str) -> bool:
    """GET /user/memberships/orgs/{org}: an active membership (a pending invitation, or
    404 for none, is not one)."""
    answer = client.get(f"user/memberships/orgs/{quote(org, safe='')}", token=token)
    return answer.status_code == 200 and answer.json().get("state") == "active"


def _json(answer: Any) -> Any:
    answer.raise_for_status()
    return answer.json()
