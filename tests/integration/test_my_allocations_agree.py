"""My work's "My allocations" and `GET /api/me/allocations` are one list, by one function
(issue 21: an admin who is no member saw every active allocation on the page and none in
the API). A person who is no team member has no allocations of their own, on both; the
page's form still offers them every active allocation, to record for a member they
pick. And an activity on an allocation no longer open names it, not "an allocation now
closed"."""

from __future__ import annotations

import re

import pytest
from flask import Flask

from tests.support.api import ApiClient, activity, grant_on_own_project
from tests.support.pages import signed_in_page


def listed_on_page(html: str) -> list[str]:
    section = re.search(
        r'<section aria-labelledby="allocations-heading">(.*?)</section>', html, re.S
    )
    assert section, "no My allocations section"
    return re.findall(r'data-allocation-id="([^"]+)"', section[1])


def listed_by_api(api: ApiClient, token: str) -> list[str]:
    response = api.as_(token).get("/api/me/allocations")
    assert response.status_code == 200, response.json
    return [item["id"] for item in response.json["items"]]


@pytest.fixture
def bens(api: ApiClient, world) -> str:
    """A second allocation, Ben's; the world's is Ana's."""
    return grant_on_own_project(api, world["engagement"]["id"], start=10, end=-10, provider="ben")[
        "id"
    ]


@pytest.mark.parametrize(
    ("role", "member", "expected"),
    [("admin", None, set()), ("manager", None, set()), ("member", "ana", {"world"}),
     ("manager", "ben", {"bens"}), ("admin", "ana", {"world"})],
)  # fmt: skip
def test_the_page_and_the_api_list_the_same_allocations(
    app: Flask, api, world, bens, make_token, role, member, expected
):
    ids = {"world": world["allocation"]["id"], "bens": bens}
    token = make_token(role, member=member)
    on_page = listed_on_page(signed_in_page(app, token).text("/my"))
    assert on_page == listed_by_api(api, token)
    assert set(on_page) == {ids[key] for key in expected}


def test_someone_who_is_no_member_is_told_so_and_may_record_for_any_member(
    app: Flask, world, bens, make_token
):
    html = signed_in_page(app, make_token("admin")).text("/my")
    assert "You are not a team member" in html
    form = re.search(r'<select id="allocation_id".*?</select>', html, re.S)
    assert form, "no allocation to record on"
    offered = set(re.findall(r'<option value="([^"]+)"', form[0]))
    assert offered == {world["allocation"]["id"], bens}


def test_an_activity_on_an_allocation_no_longer_open_names_it(app: Flask, api, world, make_token):
    cancelled = grant_on_own_project(
        api, world["engagement"]["id"], start=10, end=-10, provider="ana", description="Sprint"
    )
    recorded = api.post(f"/api/allocations/{cancelled['id']}/activities", activity(units=2))
    assert recorded.status_code == 201, recorded.json
    done = api.post(f"/api/allocations/{cancelled['id']}/cancellation", {"reason": "done"})
    assert done.status_code == 201, done.json
    project = api.get(f"/api/allocations/{cancelled['id']}").json["project_id"]
    names = api.get(f"/api/engagements/{world['engagement']['id']}").json
    project_name = next(p["name"] for p in names["projects"] if p["id"] == project)

    html = signed_in_page(app, make_token("member", member="ana")).text("/my")
    assert "an allocation now closed" not in html
    expected = (
        f"Open Data Week · {project_name} · Sprint, "
        f"{cancelled['start_date']} to {cancelled['end_date']}"
    )
    assert expected in html
