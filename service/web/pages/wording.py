"""How the pages word and mark up what they show, in one place: a count with its noun
("1 unit", "3 units"); a moment as a person reads it ("7 December 2026, 06:14 UTC");
what a write left of an allocation, and whether the banner
saying so is a success or a warning; and the column heading of each cell of a table,
which the stylesheet shows beside the cell when a narrow screen lays the rows out as
cards."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime

from markupsafe import Markup, escape

CELL = re.compile(r"<(td|th)\b")


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """`count` and the noun that goes with it: "1 unit", "−1 unit", "0 units", "3 units"
    (`nouns`: the plural when it is not the noun and an s)."""
    return f"{count} {noun if abs(count) == 1 else nouns or noun + 's'}"


def moment(value: str | datetime) -> str:
    """An instant in words, to the minute, in UTC (the zone every stored moment is in):
    "7 December 2026, 06:14 UTC", for the ISO 8601 the ledger keeps
    (`2026-12-07T06:14:53.806721+00:00`). A moment with no zone is taken as UTC."""
    instant = datetime.fromisoformat(value) if isinstance(value, str) else value
    utc = instant.astimezone(UTC) if instant.tzinfo else instant
    return f"{utc.day} {utc:%B %Y, %H:%M} UTC"


SUCCESS = "recorded"
WARNING = "warning"
"""The kinds of banner (flash categories; app.css colours `flash-<kind>`)."""


def what_is_left(remaining: int) -> tuple[str, str]:
    """What a write left of an allocation's units, and the kind of banner to say it in:
    a success while units remain, a warning once the allocation is overrun (accepted,
    and shown to the partner)."""
    if remaining < 0:
        return f"the allocation is now {plural(-remaining, 'unit')} over its grant", WARNING
    return f"{plural(remaining, 'unit')} remaining", SUCCESS


def labelled_cells(row: str, headings: Sequence[str]) -> Markup:
    """The table row `row` (markup a template made), its n-th cell given the n-th
    heading as `data-label`. A row of fewer cells keeps the rest of the headings unused."""
    labels = iter(headings)

    def label(cell: re.Match[str]) -> str:
        heading = next(labels, None)
        if heading is None:
            return cell[0]
        return f'{cell[0]} data-label="{escape(heading)}"'

    return Markup(CELL.sub(label, str(row)))
