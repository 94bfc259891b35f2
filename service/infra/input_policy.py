"""One policy for what the service accepts from outside: the API, the pages, imports,
the HubSpot webhook, the deal details the follower fetches and the reconciliation poll
all check their input with these functions before anything is parsed or stored.

Why: the stores hold what Python accepts only within limits. PostgreSQL refuses NUL in
text and lone surrogates in UTF-8; BIGINT columns hold int64; the calendar arithmetic
of reports assumes sensible years; Python's JSON parser recurses per nesting level and
refuses integer literals over 4,300 digits with an error, not a refusal. A value that
gets past the boundary and then fails in a read model would stop that view, so the
boundary refuses it with a 4xx naming the field. What HubSpot sends is not a request we
can refuse: a field of it that breaks the policy is recorded as missing instead
(integrations/hubspot/deal_policy.py).
"""

from __future__ import annotations

import json
import re
from datetime import date
from typing import Any

INT64_MAX = 2**63 - 1
EARLIEST_DATE = date(1970, 1, 1)
LATEST_DATE = date(2199, 12, 31)
MAX_JSON_DEPTH = 32
MAX_NUMBER_LITERAL = 40
"""characters in one JSON number literal: int64 has 19 digits, a decimal a few more"""
MAX_NAME_LENGTH = 200
"""names, handles, ids of imports: what a person reads in a list or a heading"""
MAX_TEXT_LENGTH = 5000
"""descriptions and outcomes"""
MAX_REASON_LENGTH = 2000
MAX_UNITS = 100_000
"""hours in one allocation or activity"""

# Control characters other than tab, newline and carriage return (C0, DEL and C1: a
# terminal or a log viewer acts on them, U+0085 is a line break to some readers); and
# UTF-16 surrogates, which in a Python str can only be lone halves.
CONTROL_CHARACTERS = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
"""The refused control characters, as the inside of a regex character class (the OpenAPI
document states them as each text field's `pattern`: service/web/schemas/common.py)."""
_FORBIDDEN_CHARACTER = re.compile(rf"[{CONTROL_CHARACTERS}\ud800-\udfff]")
_PLAIN_ID = re.compile(r"0|[1-9][0-9]*")
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_JSON_BRACKET = re.compile(rb"[\[\]{}]")
_JSON_LONG_NUMBER = re.compile(rb"[-+0-9.eE]{%d,}" % (MAX_NUMBER_LITERAL + 1))


class InputRefused(ValueError):
    """The input breaks the policy; the message says how, for the person who sent it."""


def text_problem(value: str, max_length: int | None = None) -> str | None:
    """Why a text value cannot be accepted, or None when it can; with `max_length`, a
    longer one is refused too (the API's schemas check lengths with their own message)."""
    if max_length is not None and len(value) > max_length:
        return f"is longer than {max_length} characters ({len(value)})"
    found = _FORBIDDEN_CHARACTER.search(value)
    if found is None:
        return None
    code = ord(found.group())
    kind = "a lone UTF-16 surrogate" if 0xD800 <= code <= 0xDFFF else "a control character"
    return f"contains {kind} (U+{code:04X}) at position {found.start()}"


def date_problem(value: date) -> str | None:
    if EARLIEST_DATE <= value <= LATEST_DATE:
        return None
    return f"must be between {EARLIEST_DATE.isoformat()} and {LATEST_DATE.isoformat()}"


def whole_number_problem(value: object, low: int = 0, high: int = INT64_MAX) -> str | None:
    """Why a value is not a whole number from `low` to `high` (an int, never a bool)."""
    if isinstance(value, int) and not isinstance(value, bool) and low <= value <= high:
        return None
    return f"must be a whole number from {low} to {high}"


def id_problem(value: object) -> str | None:
    """Why a value cannot be an outside id (HubSpot's portal, deal, company and event
    ids: BIGINT columns, and part of the engagement's derived id): a whole number from
    0 to INT64_MAX, as an int or as its plain ASCII digits ("12", not "012", "+12",
    "１２" or "12\\x0034"), so one id has one spelling."""
    if isinstance(value, str):
        if len(value) > len(str(INT64_MAX)) or not _PLAIN_ID.fullmatch(value):
            return f"must be a whole number from 0 to {INT64_MAX}, in plain digits"
        value = int(value)
    return whole_number_problem(value)


class _DuplicateKey(InputRefused):
    pass


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object, refusing a key given twice: parsers disagree on which one wins
    (Python's takes the last), so a proxy or a signature check may read another value."""
    found: dict[str, Any] = {}
    for key, value in pairs:
        if key in found:
            raise _DuplicateKey(f"the JSON object has the key {key[:MAX_NAME_LENGTH]!r} twice")
        found[key] = value
    return found


def loads_json(raw: bytes) -> Any:
    """Parse a JSON body, refusing nesting deeper than MAX_JSON_DEPTH and number
    literals longer than MAX_NUMBER_LITERAL before the parser sees them, and objects
    with a key given twice. Strings are checked later, field by field, by the schema
    that reads them."""
    outside_strings = _JSON_STRING.sub(b'""', raw)
    depth = deepest = 0
    for bracket in _JSON_BRACKET.finditer(outside_strings):
        depth += 1 if bracket.group() in (b"[", b"{") else -1
        deepest = max(deepest, depth)
    if deepest > MAX_JSON_DEPTH:
        raise InputRefused(f"the JSON is nested deeper than {MAX_JSON_DEPTH} levels")
    if _JSON_LONG_NUMBER.search(outside_strings):
        raise InputRefused(f"a JSON number is longer than {MAX_NUMBER_LITERAL} characters")
    try:
        return json.loads(raw, object_pairs_hook=_unique_keys)
    except _DuplicateKey:
        raise
    except (UnicodeDecodeError, ValueError) as error:
        raise InputRefused(f"the body is not valid JSON: {error}") from None
