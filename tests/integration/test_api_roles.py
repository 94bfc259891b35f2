"""Every /api route checks its token and role; member tokens act only for their member."""

import re
import uuid
from pathlib import Path

import pytest

from tests.support.api import activity
from tests.support.dates import days_ago
from tests.support.routes import ANY, MONTH, ROUTES


@pytest.mark.boundary
@pytest.mark.parametrize("method, path", ROUTES)
def test_every_api_route_needs_a_token(api, method, path):
    before = api.log_size()
    for headers in ({}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic abc"}):
        response = api.client.open(path, method=method, json={}, headers=headers)
        assert response.status_code == 401, (method, path, headers)
        assert response.mimetype == "application/problem+json"
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert api.log_size() == before


@pytest.mark.boundary
def test_every_api_route_in_the_app_is_in_the_checked_list(app):
    checked = {
        path.replace(ANY, "<id>").replace("/ana", "/<id>").replace(f"/{MONTH}/", "/<id>/")
        for _, path in ROUTES
    }
    routed = set()
    for rule in app.url_map.iter_rules():
        # The API's own description (openapi.json, /api/docs) is open to all.
        if rule.rule.startswith("/api/") and not rule.endpoint.startswith("api-docs."):
            path = rule.rule
            for arg in rule.arguments:
                path = path.replace(f"<uuid:{arg}>", "<id>").replace(f"<{arg}>", "<id>")
            routed.add(path)
    assert routed <= checked, f"routes without a role test: {sorted(routed - checked)}"


WRONG_ROLE = [
    ("viewer", "POST", "/api/engagements"),
    ("member", "POST", "/api/engagements"),
    ("manager", "PATCH", f"/api/engagements/{ANY}"),
    ("viewer", "POST", f"/api/engagements/{ANY}/closure"),
    ("manager", "POST", f"/api/projects/{ANY}/allocations"),
    ("member", "POST", f"/api/projects/{ANY}/allocation-series"),
    ("auditor", "PATCH", f"/api/allocations/{ANY}"),
    ("bd", "POST", f"/api/allocations/{ANY}/activities"),
    ("viewer", "POST", f"/api/activities/{ANY}/corrections"),
    ("auditor", "POST", f"/api/activities/{ANY}/move"),
    ("bd", "POST", "/api/team-members"),
    ("viewer", "GET", "/api/team-members"),
    ("bd", "POST", "/api/team-members/ana/hand-over"),
    ("bd", "GET", f"/api/audit/streams/{ANY}"),
    ("member", "GET", f"/api/audit/streams/{ANY}"),
    ("viewer", "GET", "/api/audit/events"),
    ("member", "GET", "/api/audit/proof/inclusion"),
    ("bd", "GET", "/api/audit/proof/consistency"),
    ("member", "GET", "/api/reports/capacity"),
    ("member", "GET", "/api/reports/planning"),
    ("member", "GET", "/api/reports/late-activities"),
    ("viewer", "GET", "/api/me/allocations"),
    ("bd", "GET", "/api/me/allocations"),
    ("viewer", "GET", "/api/me/activities"),
    ("auditor", "GET", "/api/me/activities"),
    ("manager", "POST", f"/api/periods/{MONTH}/closure"),
    ("bd", "POST", f"/api/periods/{MONTH}/closure"),
    ("manager", "POST", "/api/imports/activities"),
    ("bd", "POST", "/api/imports/allocations"),
]


@pytest.mark.boundary
@pytest.mark.parametrize("role, method, path", WRONG_ROLE)
def test_the_wrong_role_is_403(api, make_token, world, role, method, path):
    token = make_token(role, member="ana" if role == "member" else None)
    before = api.log_size()
    response = api.client.open(path, method=method, json={}, headers=api.headers(token=token))
    assert response.status_code == 403, response.json
    assert role in response.json["detail"]
    assert api.log_size() == before


def test_a_member_records_only_their_own_activities(api, make_token, world):
    ana = api.as_(make_token("member", member="ana"))
    allocation_id = world["allocation"]["id"]
    assert (
        ana.post(
            f"/api/allocations/{allocation_id}/activities", activity(team_member="ana")
        ).status_code
        == 201
    )
    before = api.log_size()
    assert (
        ana.post(
            f"/api/allocations/{allocation_id}/activities", activity(team_member="ben")
        ).status_code
        == 403
    )
    assert api.log_size() == before


def test_a_member_corrects_and_retracts_only_their_own(api, make_token, world):
    allocation_id = world["allocation"]["id"]
    bens = api.post(
        f"/api/allocations/{allocation_id}/activities", activity(team_member="ben")
    ).json
    anas = api.post(
        f"/api/allocations/{allocation_id}/activities", activity(team_member="ana")
    ).json
    ana = api.as_(make_token("member", member="ana"))
    before = api.log_size()
    assert (
        ana.post(
            f"/api/activities/{bens['id']}/corrections", {"units": 1, "reason": "r"}
        ).status_code
        == 403
    )
    assert ana.post(f"/api/activities/{bens['id']}/retraction", {"reason": "r"}).status_code == 403
    handed = ana.post(
        f"/api/activities/{anas['id']}/corrections", {"team_member": "ben", "reason": "r"}
    )
    assert handed.status_code == 403
    assert api.log_size() == before
    assert (
        ana.post(
            f"/api/activities/{anas['id']}/corrections", {"units": 1, "reason": "r"}
        ).status_code
        == 201
    )


def test_a_manager_records_for_anyone(api, make_token, world):
    manager = api.as_(make_token("manager"))
    response = manager.post(
        f"/api/allocations/{world['allocation']['id']}/activities", activity(team_member="ben")
    )
    assert response.status_code == 201
    assert response.json["recorded_by"] == "Test Manager"


def test_a_viewer_limited_to_one_engagement_sees_only_it(api, make_token, world):
    other = api.post(
        "/api/engagements",
        {
            "name": "Other",
            "community": "X",
            "description": "d",
            "start_date": days_ago(5),
            "end_date": days_ago(-5),
        },
    ).json
    viewer = api.as_(make_token("viewer", engagement_id=uuid.UUID(world["engagement"]["id"])))
    assert viewer.get(f"/api/engagements/{world['engagement']['id']}").status_code == 200
    assert viewer.get(f"/api/allocations/{world['allocation']['id']}").status_code == 200
    assert viewer.get(f"/api/engagements/{other['id']}").status_code == 404
    assert [e["id"] for e in viewer.get("/api/engagements").json["items"]] == [
        world["engagement"]["id"]
    ]


def test_tokens_are_stored_only_as_hashes(api, ledger, make_token):
    secret = make_token("auditor")
    stored = b"".join(
        bytes(n.state) for n in ledger.recorder.select_notifications(start=1, limit=1000)
    )
    assert secret.encode() not in stored
    assert api.as_(secret).get("/api/team-members").status_code == 200


def documented_roles() -> dict[tuple[str, str], set[str]]:
    """The roles table of docs/reference/roles.md: (method, path with {…} for ids) -> roles
    besides admin."""
    readme = (Path(__file__).parents[2] / "docs" / "reference" / "roles.md").read_text()
    table = readme.split("### Roles", 1)[1].split("\n\n", 2)[2]
    documented = {}
    for row in table.splitlines()[2:]:
        if not row.startswith("|"):
            break
        routes, roles = (cell.strip() for cell in row.strip("|").split("|"))
        for route in routes.split(", "):
            method, path = route.strip("`").split(" ")
            # "—": no role besides admin
            documented[(method, path)] = {role.strip() for role in roles.split(",")} - {"—"}
    return documented


@pytest.mark.boundary
def test_the_readme_roles_table_is_what_the_code_enforces(app):
    enforced = {}
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        if not rule.rule.startswith("/api/") or not hasattr(view, "required_roles"):
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: "{" + m[1].replace("_id", "") + "}", rule.rule)
        path = path.replace("{engagement}", "{id}").replace("{allocation}", "{id}")
        path = path.replace("{project}", "{id}").replace("{activity}", "{id}")
        path = path.replace("{stream}", "{id}").replace("{statement}", "{id}")
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            enforced[(method, path)] = set(view.required_roles) - {"admin"}
    assert enforced == documented_roles()
