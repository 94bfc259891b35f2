"""Closed months: once a month is closed (its figures were reported), activities dated
in it are changed only by those who answer for the books, and every such change is
flagged `after_close`, so the next statement can show it as an adjustment.

All closed months live in one small stream, the period calendar, rather than one
stream per month. Why: every recording, correction and retraction has to know whether
the activity's months are closed, and an activity may span several months (and a
correction may move it), so one stream per month would cost a read per month touched
on the hot path; one calendar stream costs one small read, whatever the dates. It
grows by one event per month closed (a dozen a year), so it never needs a snapshot.
Closing the same month twice is refused by the calendar itself, and two concurrent
closures collide on its one stream.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any
from uuid import NAMESPACE_URL, uuid5

from eventsourcing.domain import Aggregate

from service.domain.calendar import Month, month_of
from service.domain.errors import Conflict, RuleViolation

CALENDAR_ID = uuid5(NAMESPACE_URL, "urn:community-enablement:period-calendar")
# The roles that may change activities dated in a closed month (docs/explanation/statements.md).
MAY_CHANGE_CLOSED = frozenset({"admin", "manager"})


def require_month(month: str) -> None:
    try:
        Month.parse(month)
    except ValueError:
        raise RuleViolation(f"{month!r} is not a month in the form YYYY-MM", "month") from None


class PeriodCalendar(Aggregate):
    """The set of closed months, one stream for the whole service (CALENDAR_ID)."""

    class CalendarStarted(Aggregate.Created):
        """Opens the calendar's stream; saved with the first `PeriodClosed`."""

        actor: str

    def __init__(self, actor: str):
        # month -> its closure: when, by whom, why, the event's version and request id
        self.closed: dict[str, dict[str, Any]] = {}

    @classmethod
    def start(cls, *, actor: str) -> PeriodCalendar:
        return cls._create(cls.CalendarStarted, id=CALENDAR_ID, actor=actor)

    def close(self, *, month: str, reason: str | None, actor: str, request_id: str) -> None:
        require_month(month)
        if month in self.closed:
            raise Conflict(f"{month} is already closed")
        self.trigger_event(
            self.PeriodClosed, month=month, reason=reason, actor=actor, request_id=request_id
        )

    class PeriodClosed(Aggregate.Event):
        """A month closed: later changes to activities dated in it are flagged."""

        month: str
        reason: str | None
        actor: str
        request_id: str

        def apply(self, calendar: PeriodCalendar) -> None:
            calendar.closed[self.month] = {
                "month": self.month,
                "closed_at": self.timestamp,
                "closed_by": self.actor,
                "reason": self.reason,
                "version": self.originator_version,
                "request_id": self.request_id,
            }

    def closed_by_request(self, month: str, request_id: str) -> int | None:
        """The version of the event that closed `month`, if this request closed it
        (a retry of it is answered, not refused as a second closure)."""
        closure = self.closed.get(month)
        return closure["version"] if closure and closure["request_id"] == request_id else None

    def closures(self) -> list[dict[str, Any]]:
        """Every closed month, oldest month first."""
        return [self.closed[month] for month in sorted(self.closed)]


def closed_among(closed: Iterable[str], *spans: tuple[date, date]) -> list[str]:
    """The closed months any of the date spans (from, to; inclusive) falls in: every
    month from the first day's to the last day's counts, not only the month the
    activity is reported in, since the work of each of those months was reported."""
    touched = {
        month
        for month in closed
        for first, last in spans
        if month_of(first) <= month <= month_of(last)
    }
    return sorted(touched)
