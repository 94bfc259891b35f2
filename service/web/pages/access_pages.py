"""People's access (`/access`), for admins: give someone a token or a one-time sign-in
link for a role, see every token issued (never a secret: only their digests are kept),
give a new sign-in link, revoke.

The same ledger commands as `tokens create | link | revoke` (service/cli/tokens.py),
which hold the rules (a token names its person; a member token its member); the page
knows tokens by id, as the `access` read model lists them. A secret or a link is shown
once, on the page answering the form (not stored to be shown after a redirect), and
that page is not cached. Links point at PUBLIC_URL when it is set, else at the address
the admin reached this page on."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

from flask import current_app, flash, g, make_response, redirect, render_template, url_for

from projections import Projections
from projections.reports.declared import reads
from projections.reports.queries import access_grants
from service.domain import DomainError
from service.domain.tokens import ROLES, ApiToken
from service.web.http.reads import fresh
from service.web.http.runtime import ledger
from service.web.pages.blueprints import page_blueprint, status_of
from service.web.pages.labelled_forms import Field, Form
from service.web.pages.people import page
from service.web.schemas.access import AccessGrantSchema

blp = page_blueprint("access_pages", __name__)

GIVE = (
    Field("role", "Role"),
    Field(
        "member",
        "Team member",
        required=False,
        hint="Needed for the member role; the token then bears their registered name.",
    ),
    Field(
        "name",
        "Name",
        required=False,
        hint="The person's full name; may stay empty for a team member.",
    ),
    Field(
        "engagement_id",
        "Engagement",
        required=False,
        hint="For a viewer from a partner community: the one engagement they may see.",
    ),
    Field("delivery", "Give it as"),
)
ROLE_LABELS = {
    "admin": "admin: everything, people's access too",
    "bd": "bd: engagements, projects, allocations, statements",
    "manager": "manager: the team, anyone's activities, review",
    "member": "member: their own activities",
    "auditor": "auditor: reads everything and the audit log",
    "viewer": "viewer: reads reports and balances",
}


@blp.route("/access", methods=["GET"])
@page("page:access")
def access():
    return _render(Form(GIVE, values={"delivery": "link"}))


@blp.route("/access", methods=["POST"])
@page("page:access")
def give():
    form = Form(GIVE).posted()
    body = form.read(AccessGrantSchema())
    if body is None:
        return _render(form), 422
    try:
        secret, token = ledger().issue_token(
            role=body["role"],
            member=body.get("member"),
            engagement_id=body.get("engagement_id"),
            name=body.get("name"),
            actor=g.caller.actor,
        )
        link = _new_link(secret) if body["delivery"] == "link" else None
    except DomainError as refused:
        form.refused(refused)
        return _render(form), status_of(refused)
    return _shown_once(token, secret=None if link else secret, link=link)


@blp.route("/access/<uuid:token_id>/link", methods=["POST"])
@page("page:access")
def new_link(token_id: UUID):
    code, token = ledger().issue_sign_in_link_by_id(
        token_id, valid_for=_link_lifetime(), actor=g.caller.actor
    )
    return _shown_once(token, link=_sign_in_url(code))


@blp.route("/access/<uuid:token_id>/revocation", methods=["POST"])
@page("page:access")
def revoke(token_id: UUID):
    token = ledger().revoke_token_by_id(token_id, actor=g.caller.actor)
    flash(
        f"Revoked the {token.role} access of {token.name or 'a token without a name'}: "
        "its sessions end at their next page, the API refuses it within 30 seconds.",
        "recorded",
    )
    return redirect(url_for("access_pages.access"), code=303)


def _link_lifetime() -> timedelta:
    return timedelta(minutes=current_app.extensions["settings"].web.sign_in_link_minutes)


def _new_link(secret: str) -> str:
    code = ledger().issue_sign_in_link(secret, valid_for=_link_lifetime(), actor=g.caller.actor)
    return _sign_in_url(code)


def _sign_in_url(code: str) -> str:
    """The link at PUBLIC_URL when it is set, else at the address of this request."""
    web = current_app.extensions["settings"].web
    if web.public_url_set:
        return web.sign_in_url(code)
    return url_for("session_pages.sign_in_link", code=code, _external=True)


def _shown_once(token: ApiToken, *, secret: str | None = None, link: str | None = None):
    minutes = current_app.extensions["settings"].web.sign_in_link_minutes
    page_html = render_template(
        "pages/access_given.html", token=token, secret=secret, link=link, minutes=minutes
    )
    response = make_response(page_html)
    response.headers["Cache-Control"] = "no-store"
    return response


@reads("access", "team", "balances")
def _render(form: Form, read_models: Projections | None = None) -> str:
    read_models = read_models or fresh(_render, None)
    members = read_models.view("team").members()
    engagements, _ = read_models.view("balances").engagements_and_projects()
    return render_template(
        "pages/access.html",
        form=form,
        grants=access_grants(read_models),
        roles=[(role, ROLE_LABELS[role]) for role in ROLES],
        members=members,
        on_team=[(h, f"{m.name} ({h})") for h, m in members.items() if m.departed_on is None],
        engagements={e_id: e["name"] for e_id, e in engagements.items()},
    )
