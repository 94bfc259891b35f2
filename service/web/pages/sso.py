"""Signing in with the organisation's identity provider: OpenID Connect, through
Authlib's Flask client (docs/how-to/sign-in-with-sso.md).

The authorization code flow with PKCE: the button's form (with its CSRF token) sends the
browser to the provider with a fresh `state` and `nonce`, kept in the signed session
cookie; the provider sends it back to the callback with a code, which Authlib exchanges,
checking the state and verifying the ID token's signature (the provider's published
keys), issuer, audience, expiry and nonce. No JWT check is written here. What the
verified token says is handed to the ledger (service/application/people.py), which
signs the person in or records the refusal; a refusal is a page saying why and whom to
ask, and no session."""

from __future__ import annotations

import logging

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.flask_client import OAuth
from flask import Flask, abort, current_app, redirect, render_template, url_for
from joserfc.errors import JoseError

from service.application.people import ProvidedIdentity, SignInRefused
from service.infra.sso_settings import SsoSettings
from service.web.http.auth import Principal
from service.web.http.runtime import ledger
from service.web.pages.blueprints import page_blueprint
from service.web.pages.people import home_url, sign_in

blp = page_blueprint("sso_pages", __name__)
log = logging.getLogger(__name__)

OIDC = "oidc"
PROVIDER_ERRORS = (AuthlibBaseError, JoseError, requests.RequestException, ValueError)
"""What Authlib raises for a wrong state, a refused code, a token that fails a check, or
a provider it cannot reach or understand."""


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
    app.jinja_env.globals["sign_in_providers"] = lambda: providers(sso)


def providers(sso: SsoSettings) -> list[tuple[str, str]]:
    """(endpoint, label) of each provider's button on the sign-in page."""
    return [("sso_pages.start_oidc", sso.oidc.label)] if sso.oidc is not None else []


def _client(name: str):
    client = current_app.extensions["authlib.integrations.flask_client"].create_client(name)
    if client is None:
        abort(404)
    return client


@blp.route("/sign-in/oidc", methods=["POST"])
def start_oidc():
    """To the provider, with a new state, nonce and PKCE challenge."""
    client = _client(OIDC)
    try:
        return client.authorize_redirect(url_for("sso_pages.oidc_callback", _external=True))
    except PROVIDER_ERRORS as error:
        log.warning("identity provider unreachable: %s", error)
        return _refused(OIDC, "provider")


@blp.route("/sign-in/oidc/callback", methods=["GET"])
def oidc_callback():
    client = _client(OIDC)
    try:
        token = client.authorize_access_token()
    except PROVIDER_ERRORS as error:
        log.info("OIDC sign-in refused: %r", error)
        reason = "state" if "state" in str(error).lower() else "provider"
        return _refused(OIDC, reason)
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


def _sign_in(identity: ProvidedIdentity):
    try:
        person = ledger().sign_in_identity(identity)
    except SignInRefused as refused:
        return _refusal_page(refused, identity.email)
    principal = Principal(person.id, person.role, person.member, person.engagement_id, person.name)
    sign_in(principal)
    return redirect(home_url(principal), code=303)


def _refused(provider: str, reason: str):
    try:
        ledger().refuse_sign_in(provider, reason)
    except SignInRefused as refused:
        return _refusal_page(refused, None)
    raise AssertionError("a refusal is raised once recorded")


def _refusal_page(refused: SignInRefused, email: str | None) -> tuple[str, int]:
    return render_template(
        "pages/sign_in_refused.html", reason=refused.reason, message=refused.message, email=email
    ), 403
