"""Closed months: closing one (admin) and listing them. The rule every change to an
activity passes through is in service/application/access.py (`after_close`), fed by
the months closed now (service/application/closed_months.py)."""

from __future__ import annotations

from typing import Any

from service.application.base import LedgerBase
from service.application.caller import Caller
from service.application.commands import RequestId, Written, command
from service.domain import NotFound
from service.domain.period import CALENDAR_ID, PeriodCalendar, require_month


class PeriodCommands(LedgerBase):
    @command
    def close_period(
        self, month: str, *, reason: str | None, caller: Caller, request: RequestId
    ) -> Written[PeriodCalendar]:
        """Close `month` (YYYY-MM); closing it again is refused (409), but a retry of
        the request that closed it (same Idempotency-Key, or the service's own retry
        after a commit reported as failed) answers the first closure. The first
        closure also starts the calendar's stream, in the same atomic write."""
        require_month(month)
        try:
            calendar = self.get(PeriodCalendar, CALENDAR_ID)
        except NotFound:
            calendar = PeriodCalendar.start(actor=caller.actor)
        version = calendar.closed_by_request(month, request.key)
        if version is not None:
            position = self.position_of(CALENDAR_ID, version)
            return Written(calendar, position, replayed=True)
        calendar.close(month=month, reason=reason, actor=caller.actor, request_id=request.key)
        return self.save_all(calendar, value=calendar)

    def closed_periods(self) -> list[dict[str, Any]]:
        """The closed months, oldest first, each with when, by whom and why. Read
        from the calendar itself (a dozen events a year, cached), not a projection:
        it is never behind a closure, which is what a member checking it wants."""
        try:
            return self.get(PeriodCalendar, CALENDAR_ID).closures()
        except NotFound:
            return []
