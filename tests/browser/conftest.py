"""Browser fixtures: for each store (PostgreSQL, then SQLite) one database and one
gunicorn (3 workers) shared by the tests, Debian's Chromium driven by Playwright (never a
downloaded browser), and a new browser context per test, at 1280 px (`page`) or at a
phone's 375 px (`phone_page`).

The browser tests are never skipped: without /usr/bin/chromium they fail and say how to
install it (`make test` does, through scripts/ensure-test-tools)."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright

from tests.support.browser_pages import DESKTOP, PHONE, Member, new_member
from tests.support.servers import Client, Service, drop_database, new_database

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
STORES = ("postgresql", "sqlite")
SHARED_ROLES = ("admin", "bd", "manager", "auditor", "viewer")
# Generous for a page of this app, short enough that a missing element fails quickly.
TIMEOUT_MS = 10_000


@pytest.fixture(scope="session", params=STORES)
def browser_database_url(request: pytest.FixtureRequest, tmp_path_factory) -> Iterator[str]:
    """The ledger the browser tests run on: every browser test runs once on PostgreSQL
    and once on SQLite (the store `make run` serves), one fresh database for each."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('browser-ledger') / 'ledger.sqlite3'}"
        return
    name = new_database()
    yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    drop_database(name)


@pytest.fixture(scope="session")
def service(browser_database_url: str) -> Iterator[Service]:
    """gunicorn with 3 workers on the store's database; sign-in links point at it."""
    service = Service(
        env={"DATABASE_URL": browser_database_url, "SECRET_KEY": secrets.token_urlsafe(32)},
        workers=3,
    )
    service.env["PUBLIC_URL"] = service.url
    service.start()
    yield service
    service.stop()


@pytest.fixture(scope="session")
def token_for(service: Service) -> Callable[[str], str]:
    """`token_for(role)`: the session's shared token of that role (named "Test <Role>"),
    all made at once, in parallel (each CLI run takes seconds); a member token names its
    member: use the `member` fixture."""
    with ThreadPoolExecutor(len(SHARED_ROLES)) as pool:
        made = dict(zip(SHARED_ROLES, pool.map(service.token, SHARED_ROLES), strict=True))

    def token(role: str) -> str:
        assert role in made, f"no shared {role} token: for a member use the `member` fixture"
        return made[role]

    return token


@pytest.fixture(scope="session")
def admin(service: Service, token_for: Callable[[str], str]) -> Client:
    """The JSON API as an admin (`token_for("admin")`), to make the data pages show."""
    return Client(service.url, token_for("admin"))


@pytest.fixture
def member(service: Service, admin: Client) -> Member:
    """A new team member with an active allocation of 40 units and a member token."""
    return new_member(service, admin)


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    driver = sync_playwright().start()
    yield driver
    driver.stop()


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: install Debian's chromium (`make test-tools` does, as root)",
            pytrace=False,
        )
    browser = playwright.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
    )
    yield browser
    browser.close()


@pytest.fixture
def new_context(browser: Browser, service: Service) -> Iterator[Callable[..., BrowserContext]]:
    """Make a fresh context (own cookies) on the service: `new_context()` at 1280×800,
    `new_context(phone=True)` at 375 px with touch, or with any of Playwright's options."""
    contexts: list[BrowserContext] = []

    def make(phone: bool = False, **options) -> BrowserContext:
        if phone:
            options = {"viewport": PHONE, "is_mobile": True, "has_touch": True, **options}
        context = browser.new_context(
            **{"viewport": DESKTOP, "base_url": service.url, "locale": "en-GB", **options}
        )
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_context: Callable[..., BrowserContext]) -> Page:
    """A page at 1280×800 in a context of its own; relative URLs go to the service."""
    return new_context().new_page()


@pytest.fixture
def phone_page(new_context: Callable[..., BrowserContext]) -> Page:
    """A page on a 375-px-wide phone screen, in a context of its own."""
    return new_context(phone=True).new_page()
