"""Every page (docs/reference/pages.md), opened by the role it is meant for, on a 1280-px
screen and on a 375-px phone: it answers as it should, under a Content-Security-Policy it
does not break (no inline style or script), axe-core finds no critical or serious
violation, in the light and in the dark (`prefers-color-scheme: dark`), nothing scrolls
sideways, and a screenshot is left in var/screenshots/ for a person to look at
(`<name>.png`, `<name>-phone.png`).

The pages are filled first (a member with an allocation, an activity and a late one;
a viewer limited to that engagement), and each role signs in once for the module: the
tests open the pages with its session cookie."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from playwright.sync_api import Browser, BrowserContext, expect

from service.application import Clock
from tests.support.browser_pages import (
    Member,
    check_axe,
    new_member,
    no_horizontal_scroll,
    record_activity,
    screenshot,
    sign_in,
    watch_csp,
)
from tests.support.servers import Client, Service


@dataclass(frozen=True)
class Scene:
    member: Member
    activity_id: str
    viewer_token: str
    month: str


@pytest.fixture(scope="module")
def scene(service: Service, admin: Client) -> Scene:
    member = new_member(service, admin)
    activity = record_activity(member, 3, "Wrote the quick-start guide")
    record_activity(member, 2, "Minutes of the kick-off meeting", days=20)
    viewer = service.token("viewer", "--name", "Vera Viewer", "--engagement", member.engagement_id)
    return Scene(member, activity["id"], viewer, Clock().today().strftime("%Y-%m"))


@pytest.fixture(scope="module")
def session_of(
    browser: Browser, service: Service, token_for: Callable[[str], str], scene: Scene
) -> Iterator[Callable[[str], dict | None]]:
    """`session_of(role)`: the cookies of a session signed in through the form as that
    role (None for "nobody"), made once per role."""
    tokens = {"member": scene.member.token, "viewer": scene.viewer_token}
    states: dict[str, dict] = {}

    def state(role: str) -> dict | None:
        if role == "nobody":
            return None
        if role not in states:
            context = browser.new_context(base_url=service.url)
            page = context.new_page()
            landed = sign_in(page, tokens.get(role) or token_for(role))
            assert landed is not None and landed.ok, f"{role} could not sign in"
            states[role] = context.storage_state()
            context.close()
        return states[role]

    yield state


def as_of_now(scene: Scene) -> str:
    moment = datetime.now(UTC).replace(tzinfo=None).isoformat(timespec="milliseconds")
    return f"/audit/as-of?allocation_id={scene.member.allocation_id}&as_of={moment}"


def project_of(scene: Scene) -> str:
    """The address of the scene's project, under which its allocation forms are."""
    return f"/engagements/{scene.member.engagement_id}/projects/{scene.member.project_id}"


# (screenshot name, role it is meant for, its address, the status it answers)
PAGES: list[tuple[str, str, Callable[[Scene], str], int]] = [
    ("sign-in", "nobody", lambda s: "/sign-in", 200),
    ("my-work", "member", lambda s: "/my", 200),
    ("my-week", "member", lambda s: "/my/week", 200),
    ("my-activities", "member", lambda s: "/my/activities", 200),
    ("correction", "member", lambda s: f"/my/activities/{s.activity_id}/correction", 200),
    ("review", "manager", lambda s: "/review", 200),
    ("entry-history", "manager", lambda s: f"/review/activities/{s.activity_id}", 200),
    ("plan", "bd", lambda s: "/plan", 200),
    ("engagements", "bd", lambda s: "/engagements", 200),
    ("engagement", "viewer", lambda s: f"/engagements/{s.member.engagement_id}", 200),
    (
        "report",
        "viewer",
        lambda s: f"/engagements/{s.member.engagement_id}/reports/{s.month}",
        200,
    ),
    ("audit", "auditor", lambda s: "/audit", 200),
    ("audit-stream", "auditor", lambda s: f"/audit/streams/{s.member.allocation_id}", 200),
    ("audit-as-of-form", "auditor", lambda s: "/audit/as-of", 200),
    ("audit-as-of", "auditor", as_of_now, 200),
    ("team", "manager", lambda s: "/team", 200),
    ("team-new", "manager", lambda s: "/team/new", 200),
    ("team-member", "manager", lambda s: f"/team/{s.member.handle}", 200),
    ("notification-settings", "member", lambda s: "/settings/notifications", 200),
    ("months", "bd", lambda s: "/months", 200),
    ("close-month", "admin", lambda s: f"/months/{s.month}/close", 200),
    ("statements", "viewer", lambda s: f"/engagements/{s.member.engagement_id}/statements", 200),
    (
        "statement-preview",
        "bd",
        lambda s: f"/engagements/{s.member.engagement_id}/statements/new?month={s.month}",
        200,
    ),
    ("imports", "admin", lambda s: "/imports", 200),
    ("access", "admin", lambda s: "/access", 200),
    ("access-people", "admin", lambda s: "/access/people", 200),
    ("open-engagement", "bd", lambda s: "/engagements/new", 200),
    ("edit-engagement", "bd", lambda s: f"/engagements/{s.member.engagement_id}/edit", 200),
    ("close-engagement", "bd", lambda s: f"/engagements/{s.member.engagement_id}/close", 200),
    (
        "define-project",
        "bd",
        lambda s: f"/engagements/{s.member.engagement_id}/projects/new",
        200,
    ),
    ("grant-allocation", "bd", lambda s: f"{project_of(s)}/allocations/new", 200),
    ("grant-allocation-series", "bd", lambda s: f"{project_of(s)}/allocation-series/new", 200),
    ("amend-allocation", "bd", lambda s: f"/allocations/{s.member.allocation_id}/amend", 200),
    (
        "reassign-allocation",
        "bd",
        lambda s: f"/allocations/{s.member.allocation_id}/reassign",
        200,
    ),
    ("cancel-allocation", "bd", lambda s: f"/allocations/{s.member.allocation_id}/cancel", 200),
    ("not-found", "bd", lambda s: f"/engagements/{uuid.uuid4()}", 404),
    ("forbidden", "member", lambda s: "/audit", 403),
]


@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
@pytest.mark.parametrize(("name", "role", "path", "status"), PAGES, ids=[p[0] for p in PAGES])
def test_every_page_is_accessible_and_fits_the_screen(
    name: str,
    role: str,
    path: Callable[[Scene], str],
    status: int,
    phone: bool,
    scene: Scene,
    session_of: Callable[[str], dict | None],
    new_context: Callable[..., BrowserContext],
):
    state = session_of(role)
    page = new_context(phone=phone, **({"storage_state": state} if state else {})).new_page()
    csp_violations = watch_csp(page)
    address = path(scene)
    response = page.goto(address)
    assert response is not None and response.status == status, address
    assert "unsafe-inline" not in response.headers["content-security-policy"]
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    if role != "nobody":
        expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    if name == "audit-as-of":
        result = page.get_by_role("region", name="Balance at")
        expect(result.locator('[data-field="units_used"]')).to_have_text("5")
    assert csp_violations() == [], f"{address} breaks its Content-Security-Policy"
    check_axe(page)  # after: axe is injected in a way the policy refuses, then evaluated
    page.emulate_media(color_scheme="dark")
    check_axe(page)  # the same page in the dark (app.css, prefers-color-scheme)
    no_horizontal_scroll(page)
    screenshot(page, f"{name}-phone" if phone else name)
