"""Marshmallow schemas and validators shared by several blueprints.

Request schemas refuse unknown fields (marshmallow's default), so a misspelt field is
an error, not silently lost. Every text, date and number a client sends goes through
the one input policy (service/infra/input_policy.py): text without control characters
or lone surrogates and within a length per kind of field, dates from 1970 to 2199,
whole numbers within int64."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Any

import marshmallow as ma
from marshmallow import validate

from service.domain.activity import WORK_DEFAULTS
from service.domain.calendar import MONTH_OF_YEAR, Month
from service.infra.input_policy import (
    CONTROL_CHARACTERS,
    INT64_MAX,
    MAX_NAME_LENGTH,
    MAX_NUMBER_LITERAL,
    MAX_REASON_LENGTH,
    MAX_TEXT_LENGTH,
    MAX_UNITS,
    date_problem,
    text_problem,
)


class PolicyRule(validate.Validator):
    """One rule of the input policy as a marshmallow validator, with `regex`: the rule as
    a pattern, which apispec documents as the field's `pattern`, so the OpenAPI document
    states what is refused before anyone sends it (and schemathesis can tell)."""

    def __init__(self, problem: Callable[[Any], str | None], pattern: str) -> None:
        self.problem = problem
        self.regex = re.compile(pattern)

    def __call__(self, value: Any) -> Any:
        problem = self.problem(value)
        if problem:
            raise ma.ValidationError(problem)
        return value


SUPPORTED_YEAR = r"(19[7-9][0-9]|2[01][0-9][0-9])"
"""The years of EARLIEST_DATE to LATEST_DATE (1970 to 2199) as a pattern, for the
documents (tests/unit/test_schema_patterns.py holds it to date_problem)."""

plain_text = PolicyRule(text_problem, rf"^[^{CONTROL_CHARACTERS}]*$")
supported_date = PolicyRule(date_problem, rf"^{SUPPORTED_YEAR}-")
supported_moment = PolicyRule(lambda moment: date_problem(moment.date()), rf"^{SUPPORTED_YEAR}-")
ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
ISO_MOMENT = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})?"
)


class PlainDay(ma.fields.Date):
    """A date a client sends, written as the document's `format: date` says: YYYY-MM-DD
    in ASCII digits. Python's date.fromisoformat also reads `20260105` (and marshmallow
    hands it that), one day in two spellings."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not (isinstance(value, str) and ISO_DAY.fullmatch(value)):
            raise self.make_error("invalid", input=value, obj_type=self.OBJ_TYPE)
        return super()._deserialize(value, attr, data, **kwargs)


class PlainMoment(ma.fields.AwareDateTime):
    """A moment a client sends, written as RFC 3339 (`format: date-time`) says, its
    offset optional where the field assumes UTC: not the basic form (`20260105T000000Z`),
    a space for the T or seconds left out, which Python's parser also reads."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not (isinstance(value, str) and ISO_MOMENT.fullmatch(value)):
            raise self.make_error("invalid", input=value, obj_type=self.OBJ_TYPE)
        return super()._deserialize(value, attr, data, **kwargs)


SUPPORTED_MONTH = rf"^{SUPPORTED_YEAR}-{MONTH_OF_YEAR}$"
"""A month the reports and closures take, YYYY-MM, as the documents state it."""


def month_shaped(text: str) -> bool:
    """`YYYY-MM` once any script's digits are read as ASCII and a trailing newline is
    dropped, as Python's `\\d` and `$` read it: a month a client meant, in other digits."""
    ascii_text = "".join(str(int(c)) if c.isdecimal() else c for c in text.removesuffix("\n"))
    try:
        Month.parse(ascii_text)
    except ValueError:
        return False
    return True


def supported_month(text: str) -> None:
    """A month in ASCII digits (`Month.parse`) within the supported dates; a text not
    even shaped like a month is left to the pattern checked beside it, with its own
    message."""
    try:
        month = Month.parse(text)
    except ValueError:
        if month_shaped(text):
            raise ma.ValidationError("give the month as YYYY-MM, in ASCII digits") from None
        return
    if month.year < 1:
        raise ma.ValidationError(date_problem(date.min) or "")
    supported_date(month.first_day)


def month_field(**options: Any) -> ma.fields.String:
    """A month a client sends (a report's, a closure's, a statement's): the documented
    pattern, then `supported_month`, each with its own message; required unless said."""
    return ma.fields.String(
        validate=[
            validate.Regexp(SUPPORTED_MONTH, error="give the month as YYYY-MM"),
            supported_month,
        ],
        **{"required": True, **options},
    )


NAME_LENGTH = validate.Length(min=1, max=MAX_NAME_LENGTH)
NAME = [NAME_LENGTH, plain_text]
TEXT = [validate.Length(max=MAX_TEXT_LENGTH), plain_text]
REASON = [validate.Length(min=1, max=MAX_REASON_LENGTH), plain_text]
DAY = supported_date
POSITION = validate.Range(min=0, max=INT64_MAX)
UNITS = validate.Range(
    min=1, max=MAX_UNITS, error=f"units must be a whole number from 1 to {MAX_UNITS}"
)


PLAIN_INTEGER = re.compile(r"0|-?[1-9][0-9]*")
"""A whole number as text, in a query string or a form: ASCII digits, a minus sign at
most, no leading zero. Python's int() (so marshmallow's Integer) also reads `+5`, `007`,
` 5`, `5_000` and digits of other scripts (`５`, `٣`): one number, one spelling."""


def plain_integer(text: str) -> int | None:
    """The number `text` spells as PLAIN_INTEGER says, or None."""
    if len(text) > MAX_NUMBER_LITERAL or not PLAIN_INTEGER.fullmatch(text):
        return None
    return int(text)


class QueryInteger(ma.fields.Integer):
    """A whole number in a query string, written as PLAIN_INTEGER says; anything else is
    refused, not read as the number Python makes of it. (A JSON body's integers are
    `Integer(strict=True)`: JSON itself allows only plain digits, and a string is no
    number there.)"""

    default_error_messages = {
        "invalid": "Not a whole number in plain digits (such as 12; not +12, 012 or １２)."
    }

    def __init__(self, **kwargs) -> None:
        super().__init__(strict=True, **kwargs)

    def _validated(self, value):
        if isinstance(value, str):
            number = plain_integer(value)
            if number is None:
                raise self.make_error("invalid", input=value)
            return number
        return super()._validated(value)


def units_field(**kwargs) -> ma.fields.Integer:
    return ma.fields.Integer(strict=True, validate=UNITS, **kwargs)


def work_fields(names: tuple[str, ...], *, required: bool) -> dict[str, ma.fields.Field]:
    """How the API and the pages read the named fields of an activity's work (`Work`
    in service/domain/activity.py says which there are): all required when recording,
    any when correcting. A field of the work with no reader here fails at import."""
    readers: dict[str, Callable[..., ma.fields.Field]] = {
        "team_member": lambda **kw: ma.fields.String(validate=NAME, **kw),
        "units": lambda **kw: units_field(
            metadata={
                "description": "1 (<1 h), 2 (a meeting), 3 (up to 2 h), 5 (half a day), 8 (a day)"
            },
            **kw,
        ),
        "description": lambda **kw: ma.fields.String(validate=TEXT, **kw),
        "date_from": lambda **kw: PlainDay(validate=DAY, **kw),
        "date_to": lambda **kw: PlainDay(
            validate=DAY, metadata={"description": "equal to date_from for one day"}, **kw
        ),
    }
    return {name: readers[name](required=required and name not in WORK_DEFAULTS) for name in names}


class WrittenSchema(ma.Schema):
    position = ma.fields.Integer(
        required=True,
        metadata={"description": "log position of the write; pass as min_position to read it back"},
    )


class BalanceSchema(ma.Schema):
    units_granted = ma.fields.Integer()
    units_used = ma.fields.Integer()
    units_remaining = ma.fields.Integer(metadata={"description": "negative when overrun"})
    percent_used = ma.fields.Float()
    percent_elapsed = ma.fields.Float()
    status = ma.fields.String(
        metadata={"enum": ["upcoming", "active", "exhausted", "completed", "cancelled"]}
    )
    pace = ma.fields.String(metadata={"enum": ["on track", "ahead", "behind"]})
    overrun = ma.fields.Boolean()


class AllocationSchema(BalanceSchema):
    id = ma.fields.UUID()
    engagement_id = ma.fields.UUID()
    project_id = ma.fields.UUID()
    start_date = ma.fields.Date()
    end_date = ma.fields.Date()
    description = ma.fields.String()
    provider = ma.fields.String(allow_none=True)
    provider_departed = ma.fields.Boolean(
        metadata={"description": "the provider has left the team (departure dated today or before)"}
    )
    cancelled = ma.fields.Boolean()
    cancel_reason = ma.fields.String(allow_none=True)
    version = ma.fields.Integer()
    as_of = ma.fields.AwareDateTime(metadata={"description": "time of the last event applied"})


class ReasonSchema(ma.Schema):
    reason = ma.fields.String(required=True, validate=REASON)


class PageQuerySchema(ma.Schema):
    limit = QueryInteger(load_default=50, validate=validate.Range(min=1, max=500))
    offset = QueryInteger(load_default=0, validate=POSITION)


class PageSchema(ma.Schema):
    """A page of a list asked for with PageQuerySchema's `limit` and `offset`: the
    list's own `items` (each list's schema adds them), how many the whole list holds,
    and the limit and offset the page was asked with."""

    total = ma.fields.Integer()
    limit = ma.fields.Integer()
    offset = ma.fields.Integer()


def page_of(items: list[Any], total: int, query: dict[str, Any]) -> dict[str, Any]:
    """The answer a PageSchema describes, for `query` (read with PageQuerySchema)."""
    return {"items": items, "total": total, "limit": query["limit"], "offset": query["offset"]}
