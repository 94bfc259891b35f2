"""Which read models each report reads, declared beside the report itself: a read waits
until exactly those have caught up (service/web/http/reads.py `fresh`), so a report that
starts reading one more read model is waited for by every caller at once, none of
which lists them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

Report = TypeVar("Report", bound=Callable[..., Any])


def reads(*now: str, as_of: tuple[str, ...] = ()) -> Callable[[Report], Report]:
    """Declare the read models a report reads, and those it reads besides when asked
    as of a log position."""

    def declare(report: Report) -> Report:
        report.reads = now  # type: ignore[attr-defined]
        report.reads_as_of = as_of  # type: ignore[attr-defined]
        return report

    return declare


def read_models_of(*reports: Callable[..., Any], as_of: bool = False) -> tuple[str, ...]:
    """The read models the reports read (as of a position, with `as_of`), each once."""
    names: dict[str, None] = {}
    for report in reports:
        names.update(dict.fromkeys(report.reads))  # type: ignore[attr-defined]
        if as_of:
            names.update(dict.fromkeys(report.reads_as_of))  # type: ignore[attr-defined]
    return tuple(names)
