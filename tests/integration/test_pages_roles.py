"""Every page names the roles that may open it, and they are the API's for the same
work: a new page without an entry here fails, and so does a role let in or kept out
by mistake."""

from __future__ import annotations

import pytest
from flask import Flask

from service.domain.tokens import ROLES
from service.web.pages.site import PAGE_BLUEPRINTS
from tests.support.pages import signed_in_page

READERS = {"admin", "bd", "manager", "member", "auditor", "viewer"}
PAGE_ROLES = {
    # The roles of the API routes doing the same work (docs/reference/roles.md).
    "my_work.my_work": {"admin", "manager", "member"},  # POST /api/allocations/{id}/activities
    "my_work.record": {"admin", "manager", "member"},
    "my_work.correct": {"admin", "manager", "member"},  # POST /api/activities/{id}/corrections
    "my_work.retract": {"admin", "manager", "member"},  # POST /api/activities/{id}/retraction
    "my_work.move": {"admin", "manager", "member"},  # POST /api/activities/{id}/move
    "my_week.my_week": {"admin", "manager", "member"},  # as recording, correcting, retracting
    "my_week.save": {"admin", "manager", "member"},
    "my_activities.activities": {"admin", "manager", "member"},  # GET /api/me/activities
    "my_activities.export": {"admin", "manager", "member"},
    "review.review": {"admin", "manager"},  # a subset of the team reports' readers
    "entry_history.entry_history": {"admin", "manager"},  # as the review, which links it
    "plan.plan": {"admin", "bd"},  # POST /api/projects/{id}/allocations, PATCH allocations
    "plan.change": {"admin", "bd"},
    "engagement_pages.engagements": READERS,  # GET /api/engagements
    "engagement_pages.engagement": READERS,
    "engagement_forms.open_engagement": {"admin", "bd"},  # POST /api/engagements
    "engagement_forms.edit_engagement": {"admin", "bd"},  # PATCH /api/engagements/{id}
    "engagement_forms.close_engagement": {"admin", "bd"},  # POST /api/engagements/{id}/closure
    "engagement_forms.define_project": {"admin", "bd"},  # POST /api/engagements/{id}/projects
    "allocation_forms.grant_allocation": {"admin", "bd"},  # POST /api/projects/{id}/allocations
    "allocation_forms.grant_allocation_series": {"admin", "bd"},  # …/allocation-series
    "allocation_forms.amend_allocation": {"admin", "bd"},  # PATCH /api/allocations/{id}
    "allocation_forms.reassign_allocation": {"admin", "bd"},  # the same, naming a provider
    "allocation_forms.cancel_allocation": {"admin", "bd"},  # POST …/cancellation
    "report_pages.monthly_report_page": READERS,  # GET /api/reports/monthly
    "report_pages.statement_file": READERS,  # GET /api/statements/{id}
    "audit_page.audit": {"admin", "auditor"},  # GET /api/audit/events
    "audit_page.stream": {"admin", "auditor"},
    "audit_page.as_of": {"admin", "auditor"},
    "audit_page.verify": {"admin", "auditor"},
    "team_pages.team": {"admin", "manager"},  # POST /api/team-members, PATCH team-members
    "team_pages.new_member": {"admin", "manager"},
    "team_pages.register": {"admin", "manager"},
    "team_pages.member": {"admin", "manager"},
    "team_pages.change": {"admin", "manager"},
    "month_pages.months": READERS,  # GET /api/periods
    "month_pages.close_form": {"admin"},  # POST /api/periods/{month}/closure
    "month_pages.close": {"admin"},
    "statement_pages.statements": READERS,  # GET /api/engagements/{id}/statements
    "statement_pages.download": READERS,  # GET /api/statements/{id}
    "statement_pages.preview": {"admin", "bd"},  # POST /api/engagements/{id}/statements
    "statement_pages.issue": {"admin", "bd"},
    # Whoever is sent notices; no API route does this work.
    "notification_settings.settings": {"admin", "bd", "manager", "member"},
    "notification_settings.save": {"admin", "bd", "manager", "member"},
    "import_pages.imports": {"admin"},  # POST /api/imports/activities, …/allocations
    "import_pages.check_or_import": {"admin"},
    "access_pages.access": {"admin"},  # tokens create | link | revoke: admin only
    "access_pages.give": {"admin"},
    "access_pages.new_link": {"admin"},
    "access_pages.revoke": {"admin"},
    "people_pages.people": {"admin"},  # people add | list | remove: admin only
    "people_pages.add": {"admin"},
    "people_pages.remove": {"admin"},
}
# Signing in and out (with a token, a link or an identity provider); a signed link.
OPEN_TO_ALL = {"session_pages", "sso_pages", "unsubscribe"}


def page_endpoints(app: Flask) -> dict[str, set[str]]:
    names = {module.blp.name for module in PAGE_BLUEPRINTS} - OPEN_TO_ALL
    return {
        rule.endpoint: set(getattr(app.view_functions[rule.endpoint], "required_roles", []))
        for rule in app.url_map.iter_rules()
        if rule.endpoint.split(".")[0] in names
    }


@pytest.mark.boundary
def test_every_page_requires_the_roles_the_api_would(app: Flask):
    found = page_endpoints(app)
    assert set(found) == set(PAGE_ROLES), "pages and this table differ"
    wrong = {name: roles for name, roles in found.items() if roles != PAGE_ROLES[name]}
    assert not wrong, f"pages letting in other roles than the API's: {wrong}"


SOME_PAGES = {
    "/my": "my_work.my_work",
    "/my/week": "my_week.my_week",
    "/my/activities": "my_activities.activities",
    "/review": "review.review",
    "/plan": "plan.plan",
    "/engagements": "engagement_pages.engagements",
    "/engagements/new": "engagement_forms.open_engagement",
    "/audit": "audit_page.audit",
    "/team": "team_pages.team",
    "/access": "access_pages.access",
    "/access/people": "people_pages.people",
}


@pytest.mark.parametrize("path", SOME_PAGES)
def test_each_role_is_let_in_or_refused_as_the_table_says(app: Flask, world, make_token, path):
    for role in ROLES:
        token = make_token(role, member="ana" if role == "member" else None)
        expected = 200 if role in PAGE_ROLES[SOME_PAGES[path]] else 403
        assert signed_in_page(app, token).get(path).status_code == expected, (role, path)
