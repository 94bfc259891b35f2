"""Helpers for the browser tests: signing in through the form, the accessibility check
(axe-core, vendored), the Content-Security-Policy watch, the phone-width checks (nothing
scrolls sideways, every action on the screen) and screenshots under var/screenshots/."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, Response

from tests.support.servers import ROOT, Client, Service, days_ago

AXE_JS = Path(__file__).resolve().parents[1] / "browser" / "vendor" / "axe.min.js"
SCREENSHOTS = ROOT / "var" / "screenshots"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 812}
# The impacts that fail a page; "moderate" and "minor" findings are left to review.
FAILING_IMPACTS = ("critical", "serious")

_RUN_AXE = """async () => {
    const results = await axe.run(document, {resultTypes: ["violations"]});
    return results.violations.map(v => ({
        id: v.id, impact: v.impact, help: v.help,
        targets: v.nodes.map(n => n.target.join(" ")),
    }));
}"""


def sign_in(page: Page, token: str) -> Response | None:
    """Sign in through the form at /sign-in; answers the response the form post led to."""
    page.goto("/sign-in")
    page.get_by_label("API token").fill(token)
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name="Sign in").click()
    return navigation.value


def sign_out(page: Page) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name="Sign out").click()


_CSP_WATCH = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => window.__cspViolations.push(
    `${e.effectiveDirective} refused ${e.blockedURI || "inline"} at ${e.sourceFile}:${e.lineNumber}`
));
"""


def watch_csp(page: Page) -> Callable[[], list[str]]:
    """Start collecting the Content-Security-Policy violations `page` reports (the
    `securitypolicyviolation` events of each document it loads, and the console's
    "Refused to …" errors); call the result for those seen so far. Playwright's init
    scripts are not subject to the page's policy."""
    console: list[str] = []
    page.add_init_script(_CSP_WATCH)
    page.on(
        "console",
        lambda message: (
            console.append(message.text)
            if message.type == "error" and "Content Security Policy" in message.text
            else None
        ),
    )

    def seen() -> list[str]:
        return [*page.evaluate("window.__cspViolations || []"), *console]

    return seen


def check_axe(page: Page) -> None:
    """Run axe-core on the page as it is; fail listing every critical or serious violation."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        try:
            page.add_script_tag(path=AXE_JS)
        except PlaywrightError:
            # A Content-Security-Policy refusing inline scripts blocks the tag; evaluating
            # through the DevTools protocol is not subject to it.
            page.evaluate(AXE_JS.read_text())
    violations = [v for v in page.evaluate(_RUN_AXE) if v["impact"] in FAILING_IMPACTS]
    lines = [
        f"{v['impact']} {v['id']}: {v['help']} at {'; '.join(v['targets'])}" for v in violations
    ]
    assert not violations, f"axe on {page.url}:\n" + "\n".join(lines)


def no_horizontal_scroll(page: Page) -> None:
    """The page fits the viewport's width: nothing to scroll sideways."""
    sizes = page.evaluate(
        "() => ({scroll: document.documentElement.scrollWidth, inner: window.innerWidth})"
    )
    width = page.viewport_size["width"]
    # A phone zooms out to fit a page wider than its screen, widening innerWidth with it.
    assert sizes["inner"] <= width, f"{page.url} is wider than the {width}-px screen: {sizes}"
    assert sizes["scroll"] <= sizes["inner"], f"{page.url} scrolls sideways: {sizes}"


_ACTIONS_OUTSIDE = """() => {
    const width = window.innerWidth;
    const actions = document.querySelectorAll(
        "main a[href], main button, main input:not([type=hidden]), main select, main textarea"
    );
    return [...actions].filter(element => {
        const box = element.getBoundingClientRect();
        const shown = box.width > 0 && box.height > 0
            && getComputedStyle(element).visibility !== "hidden";
        return shown && (box.left < 0 || box.right > width);
    }).map(element => `${element.tagName.toLowerCase()} "${
        (element.innerText || element.value || element.name || "").trim().slice(0, 40)
    }"`);
}"""


def every_action_on_screen(page: Page) -> None:
    """Every link, button and field shown in the page's main part lies within the
    screen's width: none cut off at the edge, none reachable only by scrolling sideways
    (inside a table's region included)."""
    outside = page.evaluate(_ACTIONS_OUTSIDE)
    assert not outside, f"{page.url}: actions outside the screen's width: {outside}"


def screenshot(page: Page, name: str) -> Path:
    """The whole page as var/screenshots/<name>.png, for a person to look at."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def unique(prefix: str) -> str:
    """A name no other test of the session uses (they share one database)."""
    return f"{prefix}{uuid.uuid4().hex[:6]}"


@dataclass(frozen=True)
class Member:
    """A team member with a token of role member, providing one active allocation."""

    handle: str
    name: str
    token: str
    engagement_id: str
    project_id: str
    allocation_id: str
    api: Client


def new_member(service: Service, admin: Client, units: int = 40) -> Member:
    """A team member, an engagement with one project and an allocation the member
    provides (active from 60 days ago to 30 days ahead), and the member's token."""
    handle = unique("ana")
    name = f"Ana {handle[3:].upper()}"
    member = {"handle": handle, "name": name, "fte": "0.5", "line_manager": "lee"}
    admin.created("/api/team-members", {**member, "effective_date": days_ago(400)})
    engagement = admin.created(
        "/api/engagements",
        {
            "name": "Open Data Week",
            "community": "Open Data NL",
            "description": "Help the community run its first data week",
            "start_date": days_ago(100),
            "end_date": days_ago(-100),
        },
    )
    project = admin.created(
        f"/api/engagements/{engagement['id']}/projects",
        {"name": "Documentation", "outcome": "Newcomers can publish a data set alone"},
    )
    allocation = admin.created(
        f"/api/projects/{project['id']}/allocations",
        {
            "start_date": days_ago(60),
            "end_date": days_ago(-30),
            "units": units,
            "description": "Documentation hours",
            "provider": handle,
        },
    )
    token = service.token("member", "--member", handle)
    return Member(
        handle=handle,
        name=name,
        token=token,
        engagement_id=engagement["id"],
        project_id=project["id"],
        allocation_id=allocation["id"],
        api=Client(service.url, token),
    )


def sign_in_link(service: Service, role: str, *extra: str) -> tuple[str, str]:
    """A new token and its one-time sign-in link (`tokens create ... --link`)."""
    if "--name" not in extra and "--member" not in extra:
        extra = (*extra, "--name", f"Linked {role.title()}")
    lines = service.flask("tokens", "create", role, *extra, "--link").strip().splitlines()
    return lines[-2], lines[-1]


def read(api: Client, path: str, **params: Any) -> dict[str, Any]:
    """A JSON read that must succeed."""
    response = api.get(path, **params)
    assert response.status_code == 200, response.text
    return response.json()


def record_activity(member: Member, units: int, description: str, days: int = 0) -> dict:
    """An activity of `member` on their allocation, dated `days` ago, through the API
    (to give a page something to show); answers the API's receipt."""
    return member.api.created(
        f"/api/allocations/{member.allocation_id}/activities",
        {
            "team_member": member.handle,
            "units": units,
            "description": description,
            "date_from": days_ago(days),
            "date_to": days_ago(days),
        },
    )
