"""Which read models each read reads, declared once beside the query itself: a read
waits until exactly those have caught up (service/web/http/reads.py `fresh`, which
takes the query, never names), so a query that starts reading one more read model is
waited for by every caller at once, none of which lists them.

A query reading read models itself declares them by name (`reads("balances")`); one
built of other declared queries declares those (`reads(through=(monthly_report,))`),
and reads what they read, so no name is written twice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

Read = TypeVar("Read", bound=Callable[..., Any])

DECLARED: list[Callable[..., Any]] = []
"""Every declared read, in the order declared (tests hold each to its declaration)."""


def reads(
    *now: str, as_of: tuple[str, ...] = (), through: Iterable[Callable[..., Any]] = ()
) -> Callable[[Read], Read]:
    """Declare the read models a query reads (`now`), those it reads besides when asked
    as of a log position (`as_of`), and the declared queries it calls (`through`)."""
    parts = tuple(through)
    for part in parts:
        if not is_declared(part):
            raise TypeError(f"{part!r} declares no read models (projections/reports/declared.py)")

    def declare(query: Read) -> Read:
        query.reads = _union([now, *(p.reads for p in parts)])  # type: ignore[attr-defined]
        query.reads_as_of = _union([as_of, *(p.reads_as_of for p in parts)])  # type: ignore[attr-defined]
        DECLARED.append(query)
        return query

    return declare


def is_declared(read: Any) -> bool:
    return hasattr(read, "reads") and hasattr(read, "reads_as_of")


def read_models_of(*queries: Callable[..., Any], as_of: bool = False) -> tuple[str, ...]:
    """The read models the queries read (as of a position, with `as_of`), each once."""
    for query in queries:
        if not is_declared(query):
            raise TypeError(
                f"{query!r} is no declared read: declare what it reads beside it "
                "(projections/reports/declared.py), callers never list read models"
            )
    return _union(
        [
            *(q.reads for q in queries),  # type: ignore[attr-defined]
            *(q.reads_as_of for q in queries if as_of),  # type: ignore[attr-defined]
        ]
    )


def _union(groups: Iterable[Iterable[str]]) -> tuple[str, ...]:
    names: dict[str, None] = {}
    for group in groups:
        names.update(dict.fromkeys(group))
    return tuple(names)
