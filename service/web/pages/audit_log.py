"""The audit page's reading of the event log: filters, newest first, a page at a time.

The search is the application's (`Ledger.log_search`, the one
`GET /api/audit/events` makes; service/application/history.py says how it reads the
log); this module turns the page's query into its terms and its answer into a page.
The page shows bookkeeping events too, matches the actor on any part of the name in
any case, and takes whole UTC days. To keep a big log from making the page slow, one
request reads at most `SCAN_LIMIT` positions (in windows of `WINDOW`): when that runs
out before a page of matches is found, the page says which positions it searched, and
its "Older" (or "Newer") link carries on from where the search stopped. Without filters
a request reads exactly one page.

`before=P` shows the newest matches below position P, read backwards; `after=P` the
oldest matches above P, read forwards (and shown newest first too).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import marshmallow as ma

from service.application import Ledger
from service.application.event_catalogue import (
    EVENT_TYPES,
    STREAM_KINDS,
    audit_entry,
    stream_label,
)
from service.application.history import LogQuery
from service.web.schemas.common import DAY, NAME, POSITION, PlainDay, QueryInteger

PAGE_SIZE = 50
WINDOW = 500
SCAN_LIMIT = 5000
SUMMARY_CHARS = 160


def event_catalogue() -> list[tuple[str, tuple[str, ...]]]:
    """(kind of stream, its event types), for the page's list of types."""
    return [(kind.label, kind.event_types) for kind in STREAM_KINDS]


class LogFilterSchema(ma.Schema):
    """The log page's query: its filters and its place in the log."""

    stream_id = ma.fields.UUID(error_messages={"invalid_uuid": "Not a stream id (a UUID)."})
    event_type = ma.fields.String(
        validate=ma.validate.OneOf(
            sorted(EVENT_TYPES), error="Pick one of the event types in the list."
        )
    )
    actor = ma.fields.String(validate=NAME)
    date_from = PlainDay(validate=DAY)
    date_to = PlainDay(validate=DAY)
    before = QueryInteger(validate=POSITION)
    after = QueryInteger(validate=POSITION)

    @ma.validates_schema
    def consistent(self, data: dict[str, Any], **kwargs: Any) -> None:
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            raise ma.ValidationError("The end date is before the start date.", "date_to")
        if "before" in data and "after" in data:
            raise ma.ValidationError("Give either before or after, not both.", "before")


FILTERS = ("stream_id", "event_type", "actor", "date_from", "date_to")


def log_query(query: dict[str, Any]) -> LogQuery:
    """The search's terms for the page's filters: every event, bookkeeping included;
    the actor on any part of the name; dates as whole UTC days."""
    date_to = query.get("date_to")
    return LogQuery(
        stream=query.get("stream_id"),
        event_type=query.get("event_type"),
        actor_part=query.get("actor"),
        since=_midnight(query.get("date_from")),
        until=None if date_to is None else _midnight(date_to + timedelta(days=1)),
        include_internal=True,
    )


def _midnight(day: date | None) -> datetime | None:
    return None if day is None else datetime.combine(day, time.min, UTC)


@dataclass
class LogPage:
    rows: list[dict[str, Any]] = field(default_factory=list)
    """newest first"""
    head: int = 0
    """the log's last position"""
    low: int = 0
    high: int = 0
    """the positions searched, low to high (low > high: none)"""
    scanned: int = 0
    """events read"""
    cut_short: bool = False
    """the search stopped at SCAN_LIMIT before it found a full page or a log end"""
    older_before: int | None = None
    """`before` for the next older page; None: the start of the log was reached"""
    newer_after: int | None = None
    """`after` for the next newer page; None: the end of the log was reached"""


def read_log(
    ledger: Ledger, wanted: LogQuery, before: int | None = None, after: int | None = None
) -> LogPage:
    """A page of the events `wanted` selects (module docstring)."""
    head = ledger.log_head()
    if after is not None:
        after = min(after, head)
        found = ledger.log_search(wanted, PAGE_SIZE, after=after, budget=SCAN_LIMIT, window=WINDOW)
        page = LogPage(head=head, low=after + 1, high=found.reached)
        page.rows = [log_row(position, event) for position, event in reversed(found.events)]
        page.older_before = after + 1 if after >= 1 else None
        page.newer_after = None if found.at_end else found.reached
    else:
        below = head + 1 if before is None else max(1, min(before, head + 1))
        found = ledger.log_search(wanted, PAGE_SIZE, before=below, budget=SCAN_LIMIT, window=WINDOW)
        page = LogPage(head=head, low=found.reached, high=below - 1)
        page.rows = [log_row(position, event) for position, event in found.events]
        page.older_before = None if found.at_end else found.reached
        page.newer_after = below - 1 if below <= head else None
    page.scanned = found.scanned
    page.cut_short = not found.at_end and len(found.events) < PAGE_SIZE
    return page


def log_row(position: int, event: Any) -> dict[str, Any]:
    entry = audit_entry(event)
    return {
        "position": position,
        "time": utc_text(entry["timestamp"]),
        "event_type": entry["event_type"],
        "stream_id": entry["stream_id"],
        "stream_kind": stream_label(entry["event_type"]),
        "version": entry["version"],
        "actor": entry["actor"],
        "summary": summary(entry["fields"]),
    }


def utc_text(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def summary(fields: dict[str, Any], limit: int = SUMMARY_CHARS) -> str:
    """`name: value; …` of the fields that hold something, ids last (the stream is
    linked beside it), on one line, cut at `limit` characters (the stream's page shows
    them whole)."""
    given = [(name, value) for name, value in fields.items() if value not in (None, "", [], {})]
    given.sort(key=lambda item: item[0] == "id" or item[0].endswith("_id"))
    text = "; ".join(f"{name}: {value_text(value)}" for name, value in given)
    text = re.sub(r"\s+", " ", text).strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def value_text(value: Any) -> str:
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    return "none" if value is None else str(value)


def field_rows(fields: dict[str, Any]) -> Iterable[tuple[str, str]]:
    return [(name, value_text(value)) for name, value in fields.items()]
