"""GitHub's OAuth and API endpoints as a tiny WSGI server on localhost, in GitHub's
shapes: /login/oauth/authorize (the account `signing_in` consents at once),
/login/oauth/access_token (each code once), GET /user, /user/emails and
/user/memberships/orgs/{org}."""

from __future__ import annotations

import contextlib
import json
import secrets
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import werkzeug.serving
from werkzeug.wrappers import Request, Response

ORG = "open-team"


@dataclass
class Account:
    id: int
    login: str
    email: str
    verified: bool = True
    orgs: dict[str, str] = field(default_factory=lambda: {ORG: "active"})
    """Organisation → membership state (active, pending)."""


@dataclass
class GitHubStub:
    url: str = ""
    accounts: dict[str, Account] = field(default_factory=dict)
    signing_in: str = ""
    codes: dict[str, str] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        return self.answer(Request(environ))(environ, start_response)

    def answer(self, request: Request) -> Response:
        if request.path == "/login/oauth/authorize":
            code = secrets.token_urlsafe(8)
            self.codes[code] = self.signing_in
            query = urlencode({"code": code, "state": request.args["state"]})
            return Response(
                status=302, headers={"Location": f"{request.args['redirect_uri']}?{query}"}
            )
        if request.path == "/login/oauth/access_token":
            login = self.codes.pop(request.form.get("code", ""), None)
            if login is None:
                return _json({"error": "bad_verification_code"})
            token = secrets.token_urlsafe(8)
            self.tokens[token] = login
            return _json({"access_token": token, "token_type": "bearer", "scope": "read:user"})
        login = self.tokens.get(request.headers.get("Authorization", "").removeprefix("Bearer "))
        if login is None:
            return _json({"message": "Bad credentials"}, 401)
        account = self.accounts[login]
        if request.path == "/user":
            return _json({"id": account.id, "login": account.login})
        if request.path == "/user/emails":
            return _json(
                [
                    {"email": "old@example.org", "primary": False, "verified": True},
                    {"email": account.email, "primary": True, "verified": account.verified},
                ]
            )
        org = request.path.removeprefix("/user/memberships/orgs/")
        if org in account.orgs:
            return _json({"state": account.orgs[org], "role": "member"})
        return _json({"message": "Not Found"}, 404)


def _json(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, mimetype="application/json")


@contextlib.contextmanager
def github_stub() -> Iterator[GitHubStub]:
    stub = GitHubStub()
    server = werkzeug.serving.make_server("127.0.0.1", 0, stub, threaded=True)
    stub.url = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield stub
    finally:
        server.shutdown()
        thread.join()
        server.server_close()
