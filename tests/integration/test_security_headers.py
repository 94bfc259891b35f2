"""The security headers (service/web/http/headers.py) on every kind of answer: pages, the
API, PDFs, errors (the app's and the body limit's), health and static files; HSTS only
when PUBLIC_URL is https."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from werkzeug.test import EnvironBuilder, TestResponse
from werkzeug.wrappers import Response

from service.bootstrap import create_app
from service.infra.config import Settings
from tests.support.api import ApiClient
from tests.support.apps import close_app
from tests.support.dates import TODAY
from tests.support.pages import signed_in_page

POLICY = {
    "default-src": "'self'",
    "img-src": "'self' data:",
    "style-src": "'self'",
    "script-src": "'self'",
    "frame-ancestors": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
}


def assert_secured(response: TestResponse | Response, *, stored: bool = False) -> None:
    """The headers every answer carries; `stored`: a static file, which may be cached."""
    headers = response.headers
    policy = dict(
        directive.strip().split(" ", 1)
        for directive in headers["Content-Security-Policy"].split(";")
    )
    assert {name: policy.get(name) for name in POLICY} == POLICY, policy
    assert "unsafe-inline" not in headers["Content-Security-Policy"]
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert len(headers.getlist("Content-Security-Policy")) == 1
    if stored:
        assert "no-store" not in headers.get("Cache-Control", "")
    else:
        assert headers["Cache-Control"] == "no-store"
    assert "Strict-Transport-Security" not in headers, "PUBLIC_URL is http here"


def test_pages_signed_in_or_not_carry_the_headers(app: Flask, make_token):
    assert_secured(app.test_client().get("/sign-in"))
    page = signed_in_page(app, make_token("manager"))
    response = page.get("/review")
    assert response.status_code == 200
    assert_secured(response)


def test_api_answers_carry_the_headers(api: ApiClient, world):
    response = api.get(f"/api/engagements/{world['engagement']['id']}")
    assert response.status_code == 200
    assert_secured(response)


def test_a_report_pdf_carries_the_headers(app: Flask, api: ApiClient, world, make_token):
    page = signed_in_page(app, make_token("viewer"))
    engagement = world["engagement"]["id"]
    response = page.get(f"/engagements/{engagement}/reports/{TODAY:%Y-%m}.pdf")
    assert response.status_code in (200, 202), response.status_code  # 202: being prepared
    assert_secured(response)


def test_errors_carry_the_headers(app: Flask, api: ApiClient):
    client = app.test_client()
    assert_secured(client.get("/no-such-page"))
    assert_secured(client.get("/api/engagements"))  # 401, no token
    assert_secured(api.get("/api/engagements/not-a-uuid"))
    # A chunked body over the limit, refused before Flask sees the request.
    environ = EnvironBuilder(
        path="/api/engagements", method="POST", data=b"x" * (2 * 1024 * 1024)
    ).get_environ()
    del environ["CONTENT_LENGTH"]
    environ["HTTP_TRANSFER_ENCODING"] = "chunked"
    environ["wsgi.input_terminated"] = True
    too_large = Response.from_app(app, environ)
    assert too_large.status_code == 413
    assert_secured(too_large)


def test_health_and_static_files_carry_the_headers(app: Flask):
    client = app.test_client()
    assert_secured(client.get("/healthz"))
    stylesheet = client.get("/static/app.css")
    assert stylesheet.status_code == 200
    assert_secured(stylesheet, stored=True)


@pytest.fixture
def https_app(database_url: str) -> Iterator[Flask]:
    settings = Settings.from_environment(
        {"DATABASE_URL": database_url, "PUBLIC_URL": "https://ces.example.org"}
    )
    app = create_app(settings)
    yield app
    close_app(app)


def test_hsts_when_the_public_url_is_https(https_app: Flask):
    for path in ("/sign-in", "/api/engagements", "/static/app.css"):
        response = https_app.test_client().get(path, base_url="https://ces.example.org")
        assert response.headers["Strict-Transport-Security"] == "max-age=31536000", path
