"""The API's documentation at /api/docs: reached from the footer of a page, drawn by the
Swagger UI files the service itself serves (no CDN), under the Content-Security-Policy
(no inline script), with every request staying on the service, showing the API's
operations; axe-core finds no critical or serious violation, at 1280 and 375 px, in the
light and in the dark; nothing scrolls sideways."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, expect

from tests.support.browser_pages import check_axe, no_horizontal_scroll, screenshot, watch_csp
from tests.support.servers import Service


@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
def test_the_footer_leads_to_the_api_docs_drawn_from_the_service_alone(
    phone: bool, service: Service, new_context: Callable[..., BrowserContext]
):
    page = new_context(phone=phone).new_page()
    csp_violations = watch_csp(page)
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))

    page.goto("/sign-in")
    with page.expect_navigation() as navigation:
        page.get_by_role("contentinfo").get_by_role("link", name="API").click()
    assert navigation.value is not None and navigation.value.status == 200, page.url
    assert page.url == f"{service.url}/api/docs"

    operations = page.locator(".opblock")
    expect(operations.first).to_be_visible()
    expect(page.get_by_text("/api/engagements/{engagement_id}").first).to_be_visible()
    assert operations.count() > 20, "Swagger UI shows only some of the API's operations"
    elsewhere = [url for url in requested if not url.startswith(f"{service.url}/")]
    assert elsewhere == [], f"/api/docs asked outside the service for {elsewhere}"
    assert csp_violations() == [], "/api/docs breaks its Content-Security-Policy"
    check_axe(page)
    no_horizontal_scroll(page)
    operations.first.locator(".opblock-summary-control").click()
    expect(page.get_by_role("button", name="Try it out")).to_be_visible()
    check_axe(page)  # an operation opened: its parameters, body schema and responses
    page.emulate_media(color_scheme="dark")
    check_axe(page)  # the same in the dark (prefers-color-scheme)
    no_horizontal_scroll(page)
    screenshot(page, "api-docs-phone" if phone else "api-docs")
