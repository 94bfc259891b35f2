"""The input policy refuses what the stores cannot hold, and lets ordinary text by."""

import json
from datetime import date

import pytest

from service.infra.input_policy import (
    INT64_MAX,
    MAX_JSON_DEPTH,
    InputRefused,
    date_problem,
    id_problem,
    loads_json,
    text_problem,
    whole_number_problem,
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
        ("delete\x7f", "U+007F"),
        ("next line\x85", "U+0085"),
        ("\x9b31m C1 escape", "U+009B"),
        ("first C1 \x80", "U+0080"),
        ("last C1 \x9f", "U+009F"),
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


def test_text_longer_than_its_limit_is_refused_with_its_length():
    assert text_problem("a" * 200, max_length=200) is None
    assert "longer than 200 characters (1000000)" in text_problem("a" * 1_000_000, max_length=200)


def test_the_first_character_past_c1_is_ordinary_text():
    assert text_problem("\xa0non-breaking space and \xe9") is None


@pytest.mark.parametrize("value", [0, 1, INT64_MAX, "0", "12", str(INT64_MAX)])
def test_outside_ids_are_whole_numbers_within_int64(value):
    assert id_problem(value) is None


@pytest.mark.parametrize(
    "value",
    [-5, INT64_MAX + 1, True, 1.0, None, "12\x0034", "-5", str(INT64_MAX + 1), "9" * 400,
     "+5", "007", "", " 12", "\uff11\uff12", "\u0661"],
)  # fmt: skip
def test_anything_else_is_no_outside_id(value):
    assert "whole number from 0 to" in id_problem(value)


def test_whole_numbers_are_held_to_their_range():
    assert whole_number_problem(5, 1, 10) is None
    assert whole_number_problem(11, 1, 10) == "must be a whole number from 1 to 10"
    assert whole_number_problem(False, 0, 10) is not None


def test_a_key_given_twice_is_refused():
    with pytest.raises(InputRefused, match="'units' twice"):
        loads_json(b'{"units": 1, "units": 2}')
    with pytest.raises(InputRefused, match="twice"):
        loads_json(b'[{"a": {"b": 1, "b": 1}}]')
    assert loads_json(b'{"a": {"b": 1}, "b": {"a": 2}}') == {"a": {"b": 1}, "b": {"a": 2}}
