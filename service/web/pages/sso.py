"""Signing in with the organisation's identity provider: OpenID Connect, through
Authlib's Flask client (docs/how-to/sign-in-with-sso.md); GitHub's OAuth 2 beside it.

The authorization code flow with PKCE: the sign-in page's link sends the browser to the
provider with a fresh `state` and `nonce`, kept in the signed session cookie (a link, not
a form: the pages' CSP lets forms post to this site only, and a browser holds a form's
redirect to the provider to it). The provider sends it back to the callback with a code,
which Authlib exchanges, checking the state and verifying the ID token's signature (the
provider's published keys), issuer, audience, expiry and nonce. No JWT check is written
here. What the verified token says is handed to the ledger
(service/application/people.py), which signs the person in or records the refusal; a
refusal is a page saying why and whom to ask, and no session."""

from __future__ import annotations

import logging

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.base_client import MismatchingStateError
from authlib.integrations.flask_client import OAuth
from flask import Flask, abort, current_app, redirect, render_template, url_for
from joserfc.errors import JoseError

from service.application.people import ProvidedIdentity, SignInRefused
from service.infra.sso_settings import SsoSettings
from service.web.http.auth import Principal
from service.web.http.runtime import ledger
from service.web.pages.blueprints import page_blueprint
from service.web.pages.github_account import GITHUB, SCOPES, github_identity, is_member
from service.web.pages.people import home_url, sign_in

blp = page_blueprint("sso_pages", __name__)
log = logging.getLogger(__name__)

OIDC = "oidc"
PROVIDER_ERRORS = (
    AuthlibBaseError,
    JoseError,
    requests.RequestException,
    ValueError,
    KeyError,
    TypeError,
)
"""What Authlib raises for a wrong state, a refused code, a token that fails a check, or
a provider it cannot reach or understand (an answer not of the expected shape too)."""


def install_sso(app: Flask, sso: SsoSettings) -> None:
    """Register the providers that are configured with Authlib's client on `app`."""
    oauth = OAuth(app)
    if sso.oidc is not None:
        oauth.register(
            OIDC,
            client_id=sso.oidc.client_id,
            client_secret=sso.oidc.client_secret,
            server_metadata_url=sso.oidc.metadata_url,
            client_kwargs={"scope": sso.oidc.scopes, "code_challenge_method": "S256"},
        )
    if sso.github is not None:
        oauth.register(
            GITHUB,
            client_id=sso.github.client_id,
            client_secret=sso.github.client_secret,
            authorize_url=f"{sso.github.url}/login/oauth/authorize",
            access_token_url=f"{sso.github.url}/login/oauth/access_token",
            api_base_url=f"{sso.github.api_url}/",
            client_kwargs={"scope": SCOPES, "code_challenge_method": "S256"},
        )
    app.extensions["github_org"] = sso.github.org if sso.github is not None else None
    app.jinja_env.globals["sign_in_providers"] = lambda: providers(sso)


def providers(sso: SsoSettings) -> list[tuple[str, str]]:
    """(endpoint, label) of each provider's link on the sign-in page."""
    buttons = [("sso_pages.start_oidc", sso.oidc.label)] if sso.oidc is not None else []
    if sso.github is not None:
        buttons.append(("sso_pages.start_github", "GitHub"))
    return buttons


def _client(name: str):
    client = current_app.extensions["authlib.integrations.flask_client"].create_client(name)
    if client is None:
        abort(404)
    return client


@blp.route("/sign-in/oidc", methods=["GET"])
def start_oidc():
    """To the provider, with a new state, nonce and PKCE challenge."""
    return _start(OIDC, "sso_pages.oidc_callback")


@blp.route("/sign-in/github", methods=["GET"])
def start_github():
    """To GitHub, with a new state and PKCE challenge."""
    return _start(GITHUB, "sso_pages.github_callback")


def _start(provider: str, callback: str):
    client = _client(provider)
    try:
        return client.authorize_redirect(url_for(callback, _external=True))
    except PROVIDER_ERRORS as error:
        log.warning("identity provider unreachable: %s", error)
        return _refused(provider, "provider")


@blp.route("/sign-in/oidc/callback", methods=["GET"])
def oidc_callback():
    client = _client(OIDC)
    try:
        token = client.authorize_access_token()
    except PROVIDER_ERRORS as error:
        return _provider_refused(OIDC, error)
    claims = token.get("userinfo")
    if not claims or not claims.get("sub"):
        return _refused(OIDC, "provider")
    identity = ProvidedIdentity(
        provider=OIDC,
        subject=str(claims["sub"]),
        email=claims.get("email"),
        email_verified=claims.get("email_verified") is True,
    )
    return _sign_in(identity)


@blp.route("/sign-in/github/callback", methods=["GET"])
def github_callback():
    """The account GitHub vouches for, once its active membership of GITHUB_ORG is
    confirmed (the refusal names the account when it is not)."""
    client = _client(GITHUB)
    try:
        token = client.authorize_access_token()
        identity = github_identity(client, token)
        member = is_member(client, token, current_app.extensions["github_org"])
    except PROVIDER_ERRORS as error:
        return _provider_refused(GITHUB, error)
    if not member:
        return _refused(GITHUB, "not_in_org", identity)
    return _sign_in(identity)


def _provider_refused(provider: str, error: Exception):
    """Authlib's refusal: a state that does not match, or anything else the provider's
    answer failed."""
    log.info("%s sign-in refused: %r", provider, error)
    reason = "state" if isinstance(error, MismatchingStateError) else "provider"
    return _refused(provider, reason)


def _sign_in(identity: ProvidedIdentity):
    try:
        person = ledger().sign_in_identity(identity)
    except SignInRefused as refused:
        return _refusal_page(refused, identity.email)
    principal = Principal(person.id, person.role, person.member, person.engagement_id, person.name)
    sign_in(principal)
    return redirect(home_url(principal), code=303)


def _refused(provider: str, reason: str, identity: ProvidedIdentity | None = None):
    try:
        ledger().refuse_sign_in(provider, reason, identity)
    except SignInRefused as refused:
        return _refusal_page(refused, identity.email if identity else None)
    raise AssertionError("a refusal is raised once recorded")


def _refusal_page(refused: SignInRefused, email: str | None) -> tuple[str, int]:
    return render_template(
        "pages/sign_in_refused.html", reason=refused.reason, message=refused.message, email=email
    ), 403
