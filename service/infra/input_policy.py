"""One policy for what the service accepts from outside: the API, the HubSpot webhook
and imports all check their input against it before anything is parsed or stored.

Why: the stores hold what Python accepts only within limits. PostgreSQL refuses NUL in
text and lone surrogates in UTF-8; BIGINT columns hold int64; the calendar arithmetic
of reports assumes sensible years; Python's JSON parser recurses per nesting level and
refuses integer literals over 4,300 digits with an error, not a refusal. A value that
gets past the boundary and then fails in a read model would stop that view, so the
boundary refuses it with a 4xx naming the field.
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

# Control characters other than tab, newline and carriage return; and UTF-16
# surrogates, which in a Python str can only be lone halves.
_FORBIDDEN_CHARACTER = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_JSON_BRACKET = re.compile(rb"[\[\]{}]")
_JSON_LONG_NUMBER = re.compile(rb"[-+0-9.eE]{%d,}" % (MAX_NUMBER_LITERAL + 1))


class InputRefused(ValueError):
    """The input breaks the policy; the message says how, for the person who sent it."""


def text_problem(value: str) -> str | None:
    """Why a text value cannot be accepted, or None when it can."""
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


def loads_json(raw: bytes) -> Any:
    """Parse a JSON body, refusing nesting deeper than MAX_JSON_DEPTH and number
    literals longer than MAX_NUMBER_LITERAL before the parser sees them. Strings are
    checked later, field by field, by the schema that reads them."""
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
        return json.loads(raw)
    except (UnicodeDecodeError, ValueError) as error:
        raise InputRefused(f"the body is not valid JSON: {error}") from None
