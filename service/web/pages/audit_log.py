"""The audit page's reading of the event log: filters, newest first, a page at a time.

The application reads the log only in position order (`Ledger.log_page`, the same call
`GET /api/audit/events` makes) and has no index by stream, type, actor or date, so the
filters are applied here, in Python, over windows of positions read with `log_page`.
To keep a big log from making the page slow, one request reads at most `SCAN_LIMIT`
events (in windows of `WINDOW`): when that runs out before a page of matches is found,
the page says which positions it searched, and its "Older" (or "Newer") link carries on
from where the search stopped. Without filters a request reads exactly one page.

Paging is by position, never by offset, so rows cannot shift between pages while the
log grows: `before=P` shows the newest matches below position P, read backwards;
`after=P` the oldest matches above P, read forwards (and shown newest first too).
Positions may have gaps (an insert the store refused leaves one): windows are ranges of
positions, so a gap only makes a window hold fewer events.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

import marshmallow as ma
from eventsourcing.domain import Aggregate, CanMutateAggregate

from service.application import Ledger
from service.domain.allocation import Allocation
from service.domain.engagement import Engagement
from service.domain.locator import Locator
from service.domain.period import PeriodCalendar
from service.domain.team_member import TeamMember
from service.domain.tokens import ApiToken
from service.web.api.audit import audit_entry
from service.web.schemas.common import DAY, NAME, POSITION, PlainDay, QueryInteger

PAGE_SIZE = 50
WINDOW = 500
SCAN_LIMIT = 5000
SUMMARY_CHARS = 160

AGGREGATES: tuple[tuple[str, type[Aggregate]], ...] = (
    ("Engagement", Engagement),
    ("Allocation", Allocation),
    ("Team member", TeamMember),
    ("Period calendar", PeriodCalendar),
    ("Token", ApiToken),
    ("Locator", Locator),
)


def event_catalogue() -> list[tuple[str, list[str]]]:
    """(aggregate, its event types): read from the domain's classes, so an event type
    added there (DESIGN §2) is offered without a change here."""
    catalogue = []
    for label, aggregate in AGGREGATES:
        names = [
            name
            for name, value in vars(aggregate).items()
            if isinstance(value, type)
            and issubclass(value, CanMutateAggregate)
            and name not in ("Event", "Created")
        ]
        catalogue.append((label, names))
    return catalogue


KIND_OF_TYPE = {name: label for label, names in event_catalogue() for name in names}


def stream_kind(event_type: str) -> str:
    return KIND_OF_TYPE.get(event_type, "Stream")


class LogFilterSchema(ma.Schema):
    """The log page's query: its filters and its place in the log."""

    stream_id = ma.fields.UUID(error_messages={"invalid_uuid": "Not a stream id (a UUID)."})
    event_type = ma.fields.String(
        validate=ma.validate.OneOf(
            sorted(KIND_OF_TYPE), error="Pick one of the event types in the list."
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


@dataclass(frozen=True)
class LogFilter:
    stream_id: UUID | None = None
    event_type: str | None = None
    actor: str | None = None
    date_from: date | None = None
    date_to: date | None = None

    @classmethod
    def of(cls, query: dict[str, Any]) -> LogFilter:
        return cls(**{name: query.get(name) for name in FILTERS})

    @property
    def active(self) -> bool:
        return any(getattr(self, name) is not None for name in FILTERS)

    def matches(self, event: Any) -> bool:
        """Actor: any part of the name, in any case. Dates: the event's UTC day."""
        if self.stream_id is not None and event.originator_id != self.stream_id:
            return False
        if self.event_type is not None and type(event).__name__ != self.event_type:
            return False
        if self.actor is not None:
            actor = getattr(event, "actor", None) or ""
            if self.actor.casefold() not in str(actor).casefold():
                return False
        day = event.timestamp.astimezone(UTC).date()
        if self.date_from is not None and day < self.date_from:
            return False
        return self.date_to is None or day <= self.date_to


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
    ledger: Ledger, wanted: LogFilter, before: int | None = None, after: int | None = None
) -> LogPage:
    """A page of the events `wanted` selects (module docstring)."""
    head = ledger.recorder.max_notification_id() or 0
    if after is not None:
        return _forwards(ledger, wanted, min(after, head), head)
    below = head + 1 if before is None else max(1, min(before, head + 1))
    return _backwards(ledger, wanted, below, head)


def _backwards(ledger: Ledger, wanted: LogFilter, below: int, head: int) -> LogPage:
    """The newest matches below position `below`, reading windows of positions down
    from it; at most SCAN_LIMIT positions."""
    page = LogPage(head=head, high=below - 1, low=below)
    step = WINDOW if wanted.active else PAGE_SIZE
    while page.low > 1 and len(page.rows) < PAGE_SIZE:
        budget = SCAN_LIMIT - (below - page.low)
        if budget <= 0:
            page.cut_short = True
            break
        upper, lower = page.low, max(1, page.low - min(step, budget))
        events, _ = ledger.log_page(after=lower - 1, limit=upper - lower)
        page.low = lower
        for position, event in reversed([(p, e) for p, e in events if p < upper]):
            page.scanned += 1
            if wanted.matches(event):
                page.rows.append(log_row(position, event))
                if len(page.rows) == PAGE_SIZE:
                    page.low = position
                    break
    page.older_before = page.low if page.low > 1 else None
    page.newer_after = below - 1 if below <= head else None
    return page


def _forwards(ledger: Ledger, wanted: LogFilter, after: int, head: int) -> LogPage:
    """The oldest matches above position `after`, reading up from it; at most
    SCAN_LIMIT events. Shown newest first, as every page is."""
    page = LogPage(head=head, low=after + 1, high=after)
    step = WINDOW if wanted.active else PAGE_SIZE
    while page.high < head and len(page.rows) < PAGE_SIZE:
        budget = SCAN_LIMIT - page.scanned
        if budget <= 0:
            page.cut_short = True
            break
        events, _ = ledger.log_page(after=page.high, limit=min(step, budget))
        if not events:
            page.high = head
            break
        for position, event in events:
            page.scanned += 1
            page.high = position
            if wanted.matches(event):
                page.rows.append(log_row(position, event))
                if len(page.rows) == PAGE_SIZE:
                    break
    page.rows.reverse()
    page.older_before = after + 1 if after >= 1 else None
    page.newer_after = page.high if page.high < head else None
    return page


def log_row(position: int, event: Any) -> dict[str, Any]:
    entry = audit_entry(event)
    return {
        "position": position,
        "time": utc_text(entry["timestamp"]),
        "event_type": entry["event_type"],
        "stream_id": entry["stream_id"],
        "stream_kind": stream_kind(entry["event_type"]),
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
