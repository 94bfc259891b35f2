"""The patterns the OpenAPI document states for the input policy's rules say what the
policy's functions decide (service/web/schemas/common.py: PolicyRule), so a client that
follows the document is never refused by a rule it could not read."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest

from service.infra.input_policy import date_problem, text_problem
from service.web.schemas.common import SUPPORTED_MONTH, plain_text, supported_date, supported_moment


@pytest.mark.parametrize("year", range(1900, 2301))
def test_the_date_patterns_take_exactly_the_supported_years(year):
    supported = date_problem(date(year, 6, 15)) is None
    assert bool(supported_date.regex.search(f"{year:04d}-06-15")) == supported
    assert bool(supported_moment.regex.search(f"{year:04d}-06-15T12:00:00Z")) == supported
    assert bool(re.search(SUPPORTED_MONTH, f"{year:04d}-06")) == supported


def test_the_date_patterns_take_the_first_and_last_supported_day():
    for day in (date(1970, 1, 1), date(2199, 12, 31)):
        assert supported_date(day) == day
        assert supported_date.regex.search(day.isoformat())
    moment = datetime(1970, 1, 1, tzinfo=UTC)
    assert supported_moment(moment) == moment


@pytest.mark.parametrize("code", [*range(0x00, 0xA0), 0xA0, 0x2028, 0xFEFF, 0x1F600])
def test_the_text_pattern_refuses_exactly_the_refused_characters(code):
    text = f"a{chr(code)}b"
    assert bool(plain_text.regex.fullmatch(text)) == (text_problem(text) is None)
