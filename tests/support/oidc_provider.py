"""A real OpenID Connect provider on localhost for the tests (oidc-provider-mock, the
last line that runs on Python 3.11), and the steps a browser takes through it, for
Flask's test client: the sign-in page's link, the provider's consent form, the
callback."""

from __future__ import annotations

import base64
import contextlib
import threading
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import oidc_provider_mock
import requests
import werkzeug.serving
from flask.testing import FlaskClient


class ClientRenamed:
    """WSGI middleware before the provider that answers another client, `other`, than
    the one asking: the ID token it issues is for another audience, signed as usual."""

    def __init__(self, app: Any, other: str):
        self.app, self.other = app, other

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        query = environ.get("QUERY_STRING", "")
        environ["QUERY_STRING"] = "&".join(
            f"client_id={self.other}" if part.startswith("client_id=") else part
            for part in query.split("&")
        )
        if environ.get("HTTP_AUTHORIZATION", "").startswith("Basic "):
            secret = base64.b64decode(environ["HTTP_AUTHORIZATION"][6:]).partition(b":")[2]
            pair = base64.b64encode(self.other.encode() + b":" + secret).decode()
            environ["HTTP_AUTHORIZATION"] = f"Basic {pair}"
        return self.app(environ, start_response)


@contextlib.contextmanager
def oidc_provider(
    *, token_max_age: timedelta = timedelta(hours=1), answer_client: str | None = None
) -> Iterator[str]:
    """The provider's issuer URL while it runs: ID tokens valid `token_max_age` (negative:
    issued expired); `answer_client`: issued for that client, whoever asks."""
    app: Any = oidc_provider_mock.app(require_nonce=True, access_token_max_age=token_max_age)
    if answer_client is not None:
        app = ClientRenamed(app, answer_client)
    server = werkzeug.serving.make_server("localhost", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield f"http://localhost:{server.server_port}"
    finally:
        server.shutdown()
        thread.join()
        server.server_close()


def set_account(issuer: str, subject: str, **claims: Any) -> None:
    """What the provider says about the account `subject` (email, email_verified, name)."""
    response = requests.put(f"{issuer}/users/{subject}", json=claims, timeout=10)
    assert response.status_code == 204, response.text


def authorize_at_provider(client: FlaskClient, subject: str) -> str:
    """Follow the sign-in page's provider link and consent at the provider as `subject`:
    the callback's path and query the provider sends the browser back to."""
    assert 'href="/sign-in/oidc"' in client.get("/sign-in").get_data(as_text=True)
    started = client.get("/sign-in/oidc")
    assert started.status_code == 302, started.get_data(as_text=True)
    consent = requests.post(
        started.headers["Location"], data={"sub": subject}, allow_redirects=False, timeout=10
    )
    assert consent.status_code == 302, consent.text
    back = urlsplit(consent.headers["Location"])
    return f"{back.path}?{back.query}"
