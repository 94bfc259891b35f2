"""Reading settings: each kind of value, and every problem collected, not only the first."""

import pytest

from service.infra.config import ConfigurationError, Settings
from service.infra.env_reader import EnvReader


def read(**env: str) -> tuple[EnvReader, list[str]]:
    problems: list[str] = []
    return EnvReader(env, problems), problems


@pytest.mark.parametrize(
    "value, expected", [("", True), ("false", False), (" No ", False), ("1", True), ("YES", True)]
)
def test_a_flag_takes_the_usual_spellings(value, expected):
    reader, problems = read(FLAG=value)
    assert reader.flag("FLAG", True) is expected
    assert problems == []


@pytest.mark.parametrize("value", ["+5", "007x", "５", "1.5", "0", "9"])
def test_a_whole_number_is_ascii_digits_in_range(value):
    reader, problems = read(N=value)
    assert reader.whole("N", 3, low=1, high=8, unit="PDFs") == 3
    assert problems == [f"N: must be a whole number of PDFs, 1 to 8, not {value!r}"]


def test_seconds_above_a_bound_exclude_it():
    reader, problems = read(T="0", U="120", V="nan")
    assert reader.seconds("T", 10.0, low=0, high=120, above=True) == 10.0
    assert reader.seconds("U", 10.0, low=0, high=120, above=True) == 120.0
    assert reader.seconds("V", 10.0, low=0, high=120) == 10.0
    assert problems == [
        "T: must be a number of seconds above 0 and at most 120, not '0'",
        "V: must be a number of seconds from 0 to 120, not 'nan'",
    ]


def test_a_start_up_names_every_wrong_setting_at_once():
    with pytest.raises(ConfigurationError) as raised:
        Settings.from_environment(
            {"PDF_RENDERS": "0", "PROJECTIONS_LISTEN": "maybe", "SESSION_MAX_HOURS": "x"}
        )
    for name in ("PDF_RENDERS", "PROJECTIONS_LISTEN", "SESSION_MAX_HOURS"):
        assert name in str(raised.value)
