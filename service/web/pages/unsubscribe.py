"""One-click unsubscribe (RFC 8058): the link in a notification's `List-Unsubscribe`
switches its kind off for its recipient, from the link alone, without signing in. The
link is signed (service/notify/unsubscribe.py), so it names whom and what and cannot be
forged; so its POST needs no CSRF token (a mail client posts
`List-Unsubscribe=One-Click` to it), and this blueprint checks none. Opening the link
(GET) only asks to confirm: a mail scanner fetching it switches nothing off."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template

from service.application.caller import Caller
from service.domain.notices import Kind
from service.notify.unsubscribe import UnsubscribeLinks
from service.web.http.runtime import ledger
from service.web.pages.blueprints import error_page

blp = Blueprint("unsubscribe", __name__)
blp.register_error_handler(404, error_page)

MAX_TOKEN = 300


@blp.route("/notifications/unsubscribe/<token>", methods=["GET"])
def confirm(token: str):
    recipient, kind = _read(token)
    return render_template("pages/unsubscribe.html", kind=kind, recipient=recipient, done=False)


@blp.route("/notifications/unsubscribe/<token>", methods=["POST"])
def unsubscribe(token: str):
    recipient, kind = _read(token)
    caller = Caller(f"{recipient} (unsubscribe link)")
    ledger().switch_notification_kind(recipient, kind, on=False, caller=caller)
    return render_template("pages/unsubscribe.html", kind=kind, recipient=recipient, done=True)


def _read(token: str) -> tuple[str, Kind]:
    settings = current_app.extensions["settings"]
    links = UnsubscribeLinks(settings.secret_key, settings.web.public_url)
    found = links.read(token) if len(token) <= MAX_TOKEN else None
    if found is None:
        abort(404, "This unsubscribe link is not valid: it may be mistyped.")
    return found
