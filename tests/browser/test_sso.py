"""Signing in with an OpenID Connect provider in a real browser, on each store: the
sign-in page's link, the provider's page (oidc-provider-mock on localhost, another site
than the service's), the callback with the session cookie (SameSite=Lax lets the
provider's redirect back carry it), the person's home page; a refusal's page; and a
removal ending the live session. The pages are axe-clean."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from tests.support.browser_pages import check_axe, sign_in, sign_out
from tests.support.oidc_provider import oidc_provider, set_account
from tests.support.servers import Service, drop_database, new_database

LABEL = "Example SSO"


@pytest.fixture(scope="module")
def issuer() -> Iterator[str]:
    with oidc_provider() as url:
        yield url


@pytest.fixture(scope="module", params=("postgresql", "sqlite"))
def sso_service(request, issuer: str, tmp_path_factory) -> Iterator[Service]:
    """gunicorn with the provider configured, on a database of its own on each store."""
    if request.param == "sqlite":
        database, url = None, f"sqlite:///{tmp_path_factory.mktemp('sso') / 'ledger.sqlite3'}"
    else:
        database = new_database()
        url = f"postgresql://postgres@127.0.0.1:5432/{database}"
    service = Service(
        env={
            "DATABASE_URL": url,
            "SECRET_KEY": secrets.token_urlsafe(32),
            "OIDC_ISSUER": issuer,
            "OIDC_CLIENT_ID": "ces-browser",
            "OIDC_CLIENT_SECRET": "s3cret",
            "OIDC_LABEL": LABEL,
            "AUTHLIB_INSECURE_TRANSPORT": "1",  # the provider is http://localhost
        },
        workers=2,
    )
    service.env["PUBLIC_URL"] = service.url
    service.start()
    service.flask("people", "add", "ada@example.org", "auditor", "--name", "Ada Lovelace")
    set_account(issuer, "ada-sub", email="ada@example.org", email_verified=True)
    set_account(issuer, "stranger", email="stranger@example.org", email_verified=True)
    yield service
    service.stop()
    if database is not None:
        drop_database(database)


@pytest.fixture
def sso_page(browser, sso_service: Service) -> Iterator[Page]:
    context = browser.new_context(base_url=sso_service.url, locale="en-GB")
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def sign_in_with_provider(page: Page, subject: str) -> None:
    """Follow the sign-in page's link and consent at the provider as `subject`; return
    once the browser is back on the service (at the home page the callback redirected
    to, or at the callback's refusal page)."""
    page.goto("/sign-in")
    service_origin = page.url.split("/sign-in")[0]
    page.get_by_role("link", name=f"Sign in with {LABEL}").click()
    page.locator("input[name=sub]").fill(subject)
    page.get_by_role("button", name="Authorize").click()
    page.wait_for_url(lambda url: url.startswith(service_origin))


def path_of(page: Page) -> str:
    return urlsplit(page.url).path


def test_a_person_given_a_role_signs_in_with_the_provider_and_out(sso_page: Page):
    sso_page.goto("/sign-in")
    check_axe(sso_page)
    sign_in_with_provider(sso_page, "ada-sub")
    assert path_of(sso_page) == "/audit", sso_page.content()[:2000]
    expect(sso_page.get_by_role("button", name="Sign out")).to_be_visible()
    sign_out(sso_page)
    sso_page.goto("/audit")
    assert path_of(sso_page) == "/sign-in"


def test_someone_nobody_gave_a_role_is_told_whom_to_ask(sso_page: Page):
    sign_in_with_provider(sso_page, "stranger")
    expect(sso_page.get_by_role("heading", name="You cannot sign in")).to_be_visible()
    expect(sso_page.get_by_text("Ask an administrator of this service to give")).to_be_visible()
    check_axe(sso_page)
    sso_page.goto("/audit")
    assert path_of(sso_page) == "/sign-in", "a refused sign-in left a session"


def test_removing_a_person_ends_their_live_session(sso_page: Page, sso_service: Service):
    sso_service.flask("people", "add", "bo@example.org", "auditor", "--name", "Bo")
    set_account(
        sso_service.env["OIDC_ISSUER"], "bo-sub", email="bo@example.org", email_verified=True
    )
    sign_in_with_provider(sso_page, "bo-sub")
    assert path_of(sso_page) == "/audit"
    sso_service.flask("people", "remove", "bo@example.org")
    sso_page.reload()
    assert path_of(sso_page) == "/sign-in"


def test_an_admin_gives_a_person_a_role_on_the_people_page(sso_page: Page, sso_service: Service):
    sign_in(sso_page, sso_service.token("admin"))
    sso_page.goto("/access")
    sso_page.get_by_role("link", name="People who sign in with the identity provider").click()
    sso_page.locator("#add-email").fill("cy@example.org")
    sso_page.locator("#add-role").select_option("bd")
    sso_page.locator("#add-name").fill("Cy Bd")
    sso_page.get_by_role("button", name="Give the role").click()
    expect(sso_page.get_by_text("cy@example.org may sign in as bd.")).to_be_visible()
    check_axe(sso_page)
    sign_out(sso_page)
    set_account(
        sso_service.env["OIDC_ISSUER"], "cy-sub", email="cy@example.org", email_verified=True
    )
    sign_in_with_provider(sso_page, "cy-sub")
    assert path_of(sso_page) == "/plan"
