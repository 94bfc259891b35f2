"""Helpers for testing the people's pages through Flask's test client: signing in as
a person would (the form at /sign-in, its CSRF token), and reading a page's hidden
fields."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

HIDDEN_INPUT = re.compile(r"<input\b[^>]*>", re.IGNORECASE)
ATTRIBUTE = re.compile(r'(\w[\w-]*)="([^"]*)"')


def hidden_value(html: str, name: str) -> str | None:
    """The value of the first `<input name=…>` in `html` (the CSRF token, a form key)."""
    for tag in HIDDEN_INPUT.findall(html):
        attributes = dict(ATTRIBUTE.findall(tag))
        if attributes.get("name") == name and "value" in attributes:
            return unescape(attributes["value"])
    return None


def form_values(html: str, form_id: str) -> dict[str, str]:
    """The hidden inputs of the form with id `form_id` (csrf_token, form_key, …)."""
    match = re.search(rf'<form\b[^>]*id="{re.escape(form_id)}"[^>]*>(.*?)</form>', html, re.S)
    assert match, f"no form {form_id!r} on the page"
    values = {}
    for tag in HIDDEN_INPUT.findall(match[1]):
        attributes = dict(ATTRIBUTE.findall(tag))
        if attributes.get("type") == "hidden" and "name" in attributes:
            values[attributes["name"]] = unescape(attributes.get("value", ""))
    return values


def signed_in_client(app: Flask, token: str) -> tuple[FlaskClient, str]:
    """A new test client signed in with `token` through the sign-in form, and the
    session's CSRF token (signing in starts a new session, with a new token: it is
    read from the page the sign-in leads to)."""
    client = app.test_client()
    page = client.get("/sign-in")
    assert page.status_code == 200
    csrf = hidden_value(page.get_data(as_text=True), "csrf_token")
    assert csrf, "the sign-in form carries no csrf_token"
    answer = client.post("/sign-in", data={"token": token, "csrf_token": csrf})
    assert answer.status_code == 303, answer.get_data(as_text=True)
    home = client.get(answer.headers["Location"], follow_redirects=True)
    session_csrf = hidden_value(home.get_data(as_text=True), "csrf_token")
    assert session_csrf, "the signed-in home page carries no csrf_token (the sign-out form)"
    return client, session_csrf


CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')
FORM_KEY_INPUT = re.compile(r'name="form_key" value="([^"]+)"')


class PageClient:
    """A browser's session that keeps the CSRF token of the last page it read and
    sends it with every form (unless told not to)."""

    def __init__(self, client: FlaskClient):
        self.client = client
        self.csrf = ""

    def get(self, path: str, **query: Any):
        response = self.client.get(path, query_string=query or None)
        found = response.mimetype == "text/html" and CSRF_INPUT.search(response.text)
        if found:
            self.csrf = found.group(1)
        return response

    def post(self, path: str, form: dict[str, Any], *, with_csrf: bool = True):
        data = {**form, "csrf_token": self.csrf} if with_csrf else dict(form)
        return self.client.post(path, data=data)

    def text(self, path: str, **query: Any) -> str:
        response = self.get(path, **query)
        assert response.status_code == 200, (path, response.status_code, response.text[:500])
        return response.get_data(as_text=True)


def signed_in_page(app: Flask, token: str) -> PageClient:
    """A new browser session signed in with `token` through the sign-in form."""
    client, csrf = signed_in_client(app, token)
    page = PageClient(client)
    page.csrf = csrf
    return page


def follow(page: PageClient, response) -> str:
    """The page a form's answer (303) sends the browser to."""
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    answer = page.client.get(response.headers["Location"])
    assert answer.status_code == 200
    return answer.get_data(as_text=True)
