"""Signed one-click unsubscribe links (RFC 8058): the link alone says who stops getting
which kind, signed with SECRET_KEY so nobody can switch off another's notices by
guessing. A link never expires: an old message's link still works."""

from __future__ import annotations

from itsdangerous import BadSignature, URLSafeSerializer

from service.domain.notices import Kind

SALT = "notification-unsubscribe"


class UnsubscribeLinks:
    def __init__(self, secret_key: str, public_url: str):
        self.serializer = URLSafeSerializer(secret_key, salt=SALT)
        self.public_url = public_url.rstrip("/")

    def token(self, recipient: str, kind: Kind) -> str:
        return str(self.serializer.dumps([recipient, str(kind)]))

    def url(self, recipient: str, kind: Kind) -> str:
        return f"{self.public_url}/notifications/unsubscribe/{self.token(recipient, kind)}"

    def read(self, token: str) -> tuple[str, Kind] | None:
        """(recipient, kind) the token was made for, or None for a token not ours."""
        try:
            recipient, kind = self.serializer.loads(token)
            return str(recipient), Kind(kind)
        except (BadSignature, ValueError, TypeError):
            return None
