"""Signing in to the pages: with a token or a one-time link; sessions that end (on the
server: a copied cookie opens nothing after sign-out); forms that refuse a post without
their CSRF token; the API still bearer-only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient

from service.application import Ledger
from tests.support.clocks import SetClock
from tests.support.pages import CSRF_INPUT, PageClient, signed_in_page

COOKIE = "ces_session"


@pytest.fixture
def clock() -> SetClock:
    """The app's clock, at the real now until a test moves it (sessions age by it)."""
    return SetClock(datetime.now(UTC))


def sent_to_sign_in(response) -> bool:
    return response.status_code == 302 and "/sign-in" in response.headers["Location"]


def link_code(ledger: Ledger, secret: str) -> str:
    return ledger.issue_sign_in_link(secret, valid_for=timedelta(minutes=5), actor="test")


def test_sign_in_with_a_token_sends_each_role_home(app: Flask, make_token):
    homes = {"bd": "/plan", "manager": "/review", "auditor": "/audit", "viewer": "/engagements"}
    for role, home in homes.items():
        page = signed_in_page(app, make_token(role))
        response = page.get("/")
        assert response.status_code == 302 and response.headers["Location"] == home, role


def test_a_wrong_token_is_refused_with_a_message(app: Flask):
    page = PageClient(app.test_client())
    page.get("/sign-in")
    response = page.post("/sign-in", {"token": "ces_not-a-token"})
    assert response.status_code == 401
    assert "not valid" in response.text
    assert page.get("/my").status_code == 302, "a refused sign-in must not open a session"


def test_the_session_cookie_is_http_only_and_same_site_lax(app: Flask, make_token):
    page = PageClient(app.test_client())
    page.get("/sign-in")
    response = page.post("/sign-in", {"token": make_token("viewer")})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie, cookie
    assert "Secure" not in cookie, "plain http on localhost cannot keep a Secure cookie"


def test_the_session_cookie_is_secure_over_https(app: Flask, make_token):
    client = app.test_client()
    page = PageClient(client)
    page.csrf = _csrf_over_https(client)
    response = client.post(
        "/sign-in",
        data={"token": make_token("viewer"), "csrf_token": page.csrf},
        base_url="https://ces.example.org",
        headers={"Referer": "https://ces.example.org/sign-in"},
    )
    assert response.status_code == 303, response.text[:300]
    assert "Secure" in response.headers["Set-Cookie"]


def _csrf_over_https(client: FlaskClient) -> str:
    page = client.get("/sign-in", base_url="https://ces.example.org")
    return CSRF_INPUT.search(page.text).group(1)


def test_sign_out_ends_the_session(app: Flask, make_token):
    page = signed_in_page(app, make_token("viewer"))
    page.get("/engagements")
    assert page.post("/sign-out", {}).status_code == 303
    assert sent_to_sign_in(page.get("/engagements"))


def test_a_cookie_copied_before_sign_out_opens_nothing_after_it(app: Flask, make_token):
    page = signed_in_page(app, make_token("manager"))
    copied = page.client.get_cookie(COOKIE).value
    assert page.post("/sign-out", {}).status_code == 303
    thief = app.test_client()
    thief.set_cookie(COOKIE, copied)
    assert sent_to_sign_in(thief.get("/review"))


def test_signing_in_again_gives_a_new_session_and_ends_the_old_one(app: Flask, make_token):
    page = signed_in_page(app, make_token("viewer"))
    before = page.client.get_cookie(COOKIE).value
    page.get("/sign-in")
    assert page.post("/sign-in", {"token": make_token("bd")}).status_code == 303
    assert page.get("/plan").status_code == 200
    planted = app.test_client()
    planted.set_cookie(COOKIE, before)
    assert sent_to_sign_in(planted.get("/engagements")), "the session before sign-in lives on"


def test_a_revoked_token_ends_its_sessions_at_their_next_request(app: Flask, make_token):
    secret = make_token("viewer")
    pages = [signed_in_page(app, secret) for _ in range(2)]
    assert all(page.get("/engagements").status_code == 200 for page in pages)
    result = app.test_cli_runner().invoke(args=["tokens", "revoke", secret])
    assert result.exit_code == 0, result.output
    assert all(sent_to_sign_in(page.get("/engagements")) for page in pages)


def test_an_idle_session_is_signed_out(app: Flask, make_token, clock: SetClock):
    page = signed_in_page(app, make_token("viewer"))
    clock.now += timedelta(minutes=29)
    assert page.get("/engagements").status_code == 200
    clock.now += timedelta(minutes=31)
    assert sent_to_sign_in(page.get("/engagements"))
    assert "without activity" in page.get("/sign-in").text


def test_a_session_ends_after_session_max_hours_however_busy(
    app: Flask, make_token, clock: SetClock
):
    """Used every ten minutes, never idle, it still ends 12 hours after sign-in."""
    page = signed_in_page(app, make_token("viewer"))
    started = clock.now
    while clock.now - started < timedelta(hours=11, minutes=50):
        clock.now += timedelta(minutes=10)
        assert page.get("/engagements").status_code == 200, clock.now - started
    clock.now = started + timedelta(hours=12, minutes=1)
    assert sent_to_sign_in(page.get("/engagements"))
    assert "12 hours after signing in" in page.get("/sign-in").text


def test_a_one_time_link_signs_in_once(app: Flask, make_token, ledger: Ledger):
    secret = make_token("viewer")
    code = link_code(ledger, secret)
    page = PageClient(app.test_client())
    assert "Sign in" in page.text(f"/sign-in/link/{code}"), "opening the link spends nothing"
    response = page.post(f"/sign-in/link/{code}", {})
    assert response.status_code == 303 and response.headers["Location"] == "/engagements"
    assert page.get("/engagements").status_code == 200

    again = PageClient(app.test_client())
    opened = again.get("/sign-in")
    opened = again.get(f"/sign-in/link/{code}")
    assert opened.status_code == 410 and "already been used" in opened.text
    response = again.post(f"/sign-in/link/{code}", {})
    assert response.status_code == 410 and "already been used" in response.text


def test_a_tampered_or_expired_link_signs_nobody_in(app: Flask, make_token, ledger: Ledger):
    secret = make_token("viewer")
    code = ledger.issue_sign_in_link(secret, valid_for=timedelta(seconds=-1), actor="test")
    page = PageClient(app.test_client())
    page.get("/sign-in")
    assert page.post(f"/sign-in/link/{code}", {}).status_code == 410
    fresh_code = link_code(ledger, secret)
    for bad in (fresh_code[:-2] + "xx", "nonsense", "a" * 500, fresh_code.split(".")[0]):
        response = page.post(f"/sign-in/link/{bad}", {})
        assert response.status_code in (404, 410), (bad, response.status_code)
    assert page.get("/engagements").status_code == 302


def test_the_cli_prints_a_sign_in_link_last(app: Flask, make_token):
    result = app.test_cli_runner().invoke(
        args=["tokens", "create", "auditor", "--name", "Ada Auditor", "--link"]
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert lines[-2].startswith("ces_")
    assert lines[-1].startswith("http://127.0.0.1:8000/sign-in/link/")
    code = lines[-1].rsplit("/", 1)[1]
    page = PageClient(app.test_client())
    page.get(f"/sign-in/link/{code}")
    assert page.post(f"/sign-in/link/{code}", {}).status_code == 303


def test_a_sign_in_post_without_its_csrf_token_is_refused(app: Flask, make_token):
    page = PageClient(app.test_client())
    page.get("/sign-in")
    response = page.post("/sign-in", {"token": make_token("viewer")}, with_csrf=False)
    assert response.status_code == 400
    assert page.get("/engagements").status_code == 302


def test_a_session_does_not_authorise_the_api(app: Flask, make_token):
    page = signed_in_page(app, make_token("viewer"))
    response = page.client.get("/api/engagements")
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"


def test_next_only_leads_to_this_site(app: Flask, make_token):
    page = PageClient(app.test_client())
    page.get("/sign-in", next="https://evil.example/")
    response = page.post("/sign-in", {"token": make_token("viewer"), "next": "//evil.example/x"})
    assert response.status_code == 303 and response.headers["Location"] == "/engagements"


def test_unknown_page_paths_answer_a_page_and_api_paths_a_problem(app: Flask):
    page = app.test_client().get("/no-such-page")
    assert page.status_code == 404 and page.mimetype == "text/html"
    api = app.test_client().get("/api/no-such-thing")
    assert api.status_code == 404 and api.mimetype == "application/problem+json"
