"""The input policy refuses what the stores cannot hold, and lets ordinary text by."""

import json
from datetime import date

import pytest

from service.infra.input_policy import (
    MAX_JSON_DEPTH,
    InputRefused,
    date_problem,
    loads_json,
    text_problem,
)


@pytest.mark.parametrize(
    "text", ["plain", "Zoë’s café ☕", "tab\there", "lines\r\nand\nmore", "emoji 👩‍💻", ""]
)
def test_ordinary_text_is_accepted(text):
    assert text_problem(text) is None


@pytest.mark.parametrize(
    "text, named",
    [
        ("a\x00b", "U+0000"),
        ("bell\x07", "U+0007"),
        ("escape\x1b[31m", "U+001B"),
        ("lone \ud800 surrogate", "U+D800"),
        ("low \udfff half", "U+DFFF"),
    ],
)
def test_control_characters_and_lone_surrogates_are_refused_and_named(text, named):
    assert named in text_problem(text)


def test_dates_outside_the_supported_range_are_refused():
    assert date_problem(date(2026, 1, 1)) is None
    assert "between" in date_problem(date(1, 1, 1))
    assert "between" in date_problem(date(9999, 12, 31))


def test_deep_nesting_is_refused_before_parsing():
    deep = b"[" * (MAX_JSON_DEPTH + 1) + b"]" * (MAX_JSON_DEPTH + 1)
    with pytest.raises(InputRefused, match="nested deeper"):
        loads_json(deep)
    assert loads_json(b"[" * MAX_JSON_DEPTH + b"]" * MAX_JSON_DEPTH)


def test_brackets_inside_strings_do_not_count_as_nesting():
    body = json.dumps({"description": "[" * 1000 + '\\"{' * 100}).encode()
    assert loads_json(body)["description"].startswith("[[[")


def test_an_overlong_number_literal_is_refused_before_parsing():
    with pytest.raises(InputRefused, match="number"):
        loads_json(b'{"units": ' + b"9" * 5000 + b"}")
    assert loads_json(b'{"units": 9223372036854775807}') == {"units": 2**63 - 1}


def test_invalid_json_and_invalid_utf8_are_refused():
    for body in (b"{", b'{"a": 1,}', b'"\xff"'):
        with pytest.raises(InputRefused, match="not valid JSON"):
            loads_json(body)
