"""HubSpot's v3 webhook signature, checked before anything in a request is believed.

The HMAC itself comes from hubspot-api-client (`Signature.get_signature`, compared in
constant time). Its `Signature.is_valid` is not used because it reads the wall clock
itself, bounds only the age of a request (not how far ahead it claims to be) and
raises rather than answers for an old one; checking the time window here, against a
clock the caller passes, bounds both sides and keeps the check testable against
HubSpot's published vectors.
"""

from __future__ import annotations

import hmac
import re
from datetime import UTC, datetime, timedelta

from hubspot.utils.signature import Signature

MAX_AGE = timedelta(minutes=5)
MAX_AHEAD = timedelta(seconds=60)

# HubSpot decodes these percent-escapes, and only these, in the URI it signs.
_DECODED_IN_URI = re.compile(r"%(3A|2F|3F|40|21|24|27|28|29|2A|2C|3B)", re.IGNORECASE)


class SignatureRejected(Exception):
    """The request cannot be shown to come from HubSpot (401); says why."""


def signed_uri(uri: str) -> str:
    """The URI as HubSpot puts it in the signed string."""
    return _DECODED_IN_URI.sub(lambda match: bytes.fromhex(match.group(1)).decode(), uri)


def check_signature(
    *,
    client_secret: str,
    method: str,
    uri: str,
    body: bytes,
    signature: str | None,
    timestamp: str | None,
    now: datetime,
) -> None:
    """Raise SignatureRejected unless `signature` is HubSpot's v3 signature of this
    request, made within the accepted window around `now`."""
    if not signature:
        raise SignatureRejected("the X-HubSpot-Signature-v3 header is missing")
    if not timestamp:
        raise SignatureRejected("the X-HubSpot-Request-Timestamp header is missing")
    if not (timestamp.isascii() and timestamp.isdigit()):
        raise SignatureRejected("X-HubSpot-Request-Timestamp must be milliseconds since the epoch")
    try:
        sent = datetime.fromtimestamp(int(timestamp) / 1000, tz=UTC)
    except (OverflowError, OSError, ValueError):
        raise SignatureRejected("X-HubSpot-Request-Timestamp is out of range") from None
    if now - sent > MAX_AGE:
        raise SignatureRejected(
            "the request is more than 5 minutes old (X-HubSpot-Request-Timestamp)"
        )
    if sent - now > MAX_AHEAD:
        raise SignatureRejected(
            "the request is dated more than 60 seconds ahead (X-HubSpot-Request-Timestamp)"
        )
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise SignatureRejected(
            "the body is not UTF-8, so it cannot carry HubSpot's signature"
        ) from None
    expected = Signature.get_signature(
        client_secret, text, "v3", http_uri=signed_uri(uri), http_method=method, timestamp=timestamp
    )
    if not hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace")):
        raise SignatureRejected(
            "the X-HubSpot-Signature-v3 does not match this request, its URL and the client secret"
        )
