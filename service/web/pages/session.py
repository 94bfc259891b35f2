"""Signing in and out: with a token pasted into the form, or with a one-time link
from `tokens create … --link` (opened, then confirmed with a button, so that a mail
scanner fetching the link does not spend it)."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from service.domain.tokens import SignInLinkRefused
from service.web.http.auth import principal_by_id, principal_for_secret
from service.web.http.runtime import ledger
from service.web.pages.blueprints import page_blueprint
from service.web.pages.people import home_url, safe_next, sign_in, sign_out, signed_in

blp = page_blueprint("session_pages", __name__)

MAX_TOKEN = 200
MAX_LINK_CODE = 200


@blp.route("/", methods=["GET"])
def home():
    principal = signed_in()
    if principal is None:
        return redirect(url_for("session_pages.sign_in_form"))
    return redirect(home_url(principal))


@blp.route("/sign-in", methods=["GET"])
def sign_in_form():
    return render_template("pages/sign_in.html", next=safe_next(request.args.get("next")))


@blp.route("/sign-in", methods=["POST"])
def sign_in_with_token():
    secret = request.form.get("token", "").strip()
    next_page = safe_next(request.form.get("next"))
    # The token as it is now, not as the API's cache last saw it: a revoked one is refused.
    principal = principal_for_secret(secret, fresh=True) if 0 < len(secret) <= MAX_TOKEN else None
    if principal is None:
        message = "That token is not valid: it may be mistyped or revoked."
        if not secret:
            message = "Paste your API token to sign in."
        return render_template(
            "pages/sign_in.html", next=next_page, errors={"token": [message]}
        ), 401
    sign_in(principal)
    return redirect(next_page or home_url(principal), code=303)


@blp.route("/sign-out", methods=["POST"])
def sign_out_now():
    sign_out()
    flash("You are signed out.")
    return redirect(url_for("session_pages.sign_in_form"), code=303)


@blp.route("/sign-in/link/<code>", methods=["GET"])
def sign_in_link(code: str):
    try:
        if len(code) > MAX_LINK_CODE:
            raise SignInLinkRefused("this sign-in link is not valid")
        ledger().check_sign_in_link(code)
    except SignInLinkRefused as refused:
        return _link_refused(refused)
    return render_template("pages/sign_in_link.html", code=code)


@blp.route("/sign-in/link/<code>", methods=["POST"])
def use_sign_in_link(code: str):
    try:
        if len(code) > MAX_LINK_CODE:
            raise SignInLinkRefused("this sign-in link is not valid")
        token = ledger().use_sign_in_link(code).value
    except SignInLinkRefused as refused:
        return _link_refused(refused)
    principal = principal_by_id(token.id, lambda: token)
    if principal is None:  # revoked between the use and now
        return redirect(url_for("session_pages.sign_in_form"))
    sign_in(principal)
    return redirect(home_url(principal), code=303)


def _link_refused(refused: SignInLinkRefused) -> tuple[str, int]:
    return render_template(
        "pages/error.html",
        status=410,
        title="This link cannot sign you in",
        message=f"{refused.message[0].upper()}{refused.message[1:]}. "
        "Ask for a new link, or sign in with your token.",
    ), 410
