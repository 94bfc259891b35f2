"""A real SMTP server (aiosmtpd) and a Slack incoming-webhook stub on localhost, for the
notification tests: each keeps what it received, and the SMTP server can be stopped and
started again on its port (a mail server down, then up)."""

from __future__ import annotations

import email
import email.policy
import json
import threading
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from tests.support.servers import free_port


class SmtpSink:
    """An SMTP server on 127.0.0.1 keeping every message it accepted, in order; with
    `login` (user, password), one that takes mail only from a client signed in so."""

    def __init__(self, login: tuple[str, str] | None = None) -> None:
        self.login = login
        self.port = free_port()
        self.messages: list[EmailMessage] = []
        self.envelopes: list[list[str]] = []
        self._controller: Controller | None = None

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd's hook name
        self.messages.append(
            email.message_from_bytes(envelope.content, policy=email.policy.default)
        )
        self.envelopes.append(list(envelope.rcpt_tos))
        return "250 OK"

    def start(self) -> SmtpSink:
        auth = {}
        if self.login is not None:
            auth = {
                "auth_required": True,
                "auth_require_tls": False,  # a test on localhost: no certificate
                "authenticator": self._authenticate,
            }
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port, **auth)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def _authenticate(self, server, session, envelope, mechanism, data) -> AuthResult:
        given = (data.login.decode(), data.password.decode()) if data else None
        return AuthResult(success=given == self.login)

    def message_ids(self) -> list[str]:
        return [message["Message-ID"] for message in self.messages]

    def env(self) -> dict[str, str]:
        """The settings that send mail here."""
        return {
            "MAIL_SMTP_HOST": "127.0.0.1",
            "MAIL_SMTP_PORT": str(self.port),
            "MAIL_SMTP_STARTTLS": "false",
            "MAIL_FROM": "ledger@example.org",
        }


class SlackStub:
    """An HTTP server taking what slack_sdk's WebhookClient posts: JSON bodies, kept."""

    def __init__(self) -> None:
        self.posts: list[dict] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's hook name
                length = int(self.headers.get("Content-Length") or 0)
                stub.posts.append(json.loads(self.rfile.read(length)))
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/services/T0/B0/x"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> SlackStub:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
