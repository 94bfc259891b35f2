"""Notification settings (`/settings/notifications`): each person switches each kind of
notice on or off for themselves (docs/explanation/notifications.md). A member's notices
are theirs by handle; a BD token without one stands for BD's addresses (NOTIFY_BD_EMAILS).
The switch is the same command an unsubscribe link runs."""

from __future__ import annotations

from flask import g, redirect, render_template, request, url_for

from projections.reports.notices import switched_off
from service.domain.notices import BD, Kind
from service.web.http.reads import read_fresh
from service.web.http.runtime import ledger
from service.web.pages.blueprints import page_blueprint
from service.web.pages.people import page

blp = page_blueprint("notification_settings", __name__)


@blp.route("/settings/notifications", methods=["GET"])
@page("page:notifications")
def settings():
    recipient = _recipient()
    off = read_fresh(switched_off, None).get(recipient or "", frozenset())
    return render_template(
        "pages/notification_settings.html",
        recipient=recipient,
        kinds=[(kind, str(kind) not in off) for kind in Kind],
        saved=request.args.get("saved") == "1",
    )


@blp.route("/settings/notifications", methods=["POST"])
@page("page:notifications")
def save():
    recipient = _recipient()
    if recipient is None:
        return redirect(url_for("notification_settings.settings"), code=303)
    wanted = set(request.form.getlist("on"))
    for kind in Kind:
        ledger().switch_notification_kind(recipient, kind, on=str(kind) in wanted, caller=g.caller)
    return redirect(url_for("notification_settings.settings", saved="1"), code=303)


def _recipient() -> str | None:
    """Whose notices the signed-in person sets: their handle, or BD's for a BD token
    naming no member; None for anyone else (no notice goes to them)."""
    if g.principal.member:
        return g.principal.member
    return BD if g.principal.role == "bd" else None
