"""Reading settings from the environment, one kind of value at a time, collecting
every problem instead of stopping at the first: a start-up with three wrong settings
names all three (service/infra/config.py raises them together)."""

from __future__ import annotations

from collections.abc import Mapping

TRUE = ("true", "1", "yes")
FALSE = ("false", "0", "no")


class EnvReader:
    def __init__(self, env: Mapping[str, str], problems: list[str]):
        self.env = env
        self.problems = problems

    def text(self, name: str) -> str:
        """The setting's value without surrounding spaces; '' when unset or empty."""
        return (self.env.get(name) or "").strip()

    def flag(self, name: str, default: bool) -> bool:
        value = self.text(name).lower()
        if not value:
            return default
        if value not in TRUE + FALSE:
            self.problems.append(f"{name}: must be true or false, not {value!r}")
            return default
        return value in TRUE

    def seconds(
        self, name: str, default: float, *, low: float, high: float, above: bool = False
    ) -> float:
        """A number of seconds from `low` (or, `above`, more than `low`) to `high`."""
        value = self.text(name)
        if not value:
            return default
        try:
            seconds = float(value)
        except ValueError:
            seconds = float("nan")
        if (low < seconds if above else low <= seconds) and seconds <= high:
            return seconds
        lowest = f"above {low:g} and at most" if above else f"from {low:g} to"
        self.problems.append(
            f"{name}: must be a number of seconds {lowest} {high:g}, not {value!r}"
        )
        return default

    def whole(self, name: str, default: int, *, low: int, high: int, unit: str) -> int:
        """A whole number of `unit` (ASCII digits only) from `low` to `high`."""
        value = self.text(name)
        if not value:
            return default
        if value.isascii() and value.isdigit() and low <= int(value) <= high:
            return int(value)
        self.problems.append(
            f"{name}: must be a whole number of {unit}, {low} to {high}, not {value!r}"
        )
        return default
