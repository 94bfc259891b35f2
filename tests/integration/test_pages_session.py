"""Signing in to the pages: with a token or a one-time link; sessions that end; forms
that refuse a post without their CSRF token; the API still bearer-only."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient

from service.application import Ledger
from tests.integration.pages import CSRF_INPUT, PageClient, signed_in_page


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
    response = page.get("/engagements")
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]


def test_a_revoked_token_ends_its_sessions(app: Flask, make_token, ledger: Ledger):
    secret = make_token("viewer")
    page = signed_in_page(app, secret)
    ledger.revoke_token(secret, actor="test")
    app.extensions["tokens"].clear()  # what the 30 s token cache would do in time
    assert page.get("/engagements").status_code == 302


def test_an_idle_session_is_signed_out(app: Flask, make_token):
    page = signed_in_page(app, make_token("viewer"))
    with page.client.session_transaction() as session:
        session["seen"] -= 31 * 60
    response = page.get("/engagements")
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]
    assert "without activity" in page.get("/sign-in").text


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
