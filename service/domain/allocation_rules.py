"""What an allocation answers about itself and the rules its commands check, apart
from its events: the aggregate's module holds the events, which are stored by name."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from service.domain.errors import Conflict, NotFound, RuleViolation
from service.domain.rules import require_ordered


class AllocationRules:
    """Mixed into `Allocation`: its queries and the rules its commands check."""

    start_date: date
    end_date: date
    units: int
    units_used: int
    cancelled: bool
    activities: dict[str, dict[str, Any]]
    handled_requests: dict[str, int]

    # Queries

    def activity(self, activity_id: UUID) -> dict[str, Any]:
        try:
            return self.activities[str(activity_id)]
        except KeyError:
            raise NotFound(f"activity {activity_id} is not recorded on this allocation") from None

    def live_activity(self, activity_id: UUID) -> dict[str, Any]:
        activity = self.activity(activity_id)
        if activity["retracted"]:
            raise Conflict(f"activity {activity_id} has been retracted")
        return activity

    @property
    def units_remaining(self) -> int:
        return self.units - self.units_used

    def covers(self, day: date) -> bool:
        return self.start_date <= day <= self.end_date

    # Rules

    def _require_not_cancelled(self, doing: str) -> None:
        if self.cancelled:
            raise Conflict(f"cannot {doing} a cancelled allocation")

    def _require_dates(self, date_from: date, date_to: date, today: date) -> None:
        require_ordered(date_from, date_to, "date_to")
        for field, day in (("date_from", date_from), ("date_to", date_to)):
            if not self.covers(day):
                raise RuleViolation(
                    f"{field} {day.isoformat()} is outside the allocation's period "
                    f"{self.start_date.isoformat()} to {self.end_date.isoformat()}",
                    field,
                )
        if date_to > today:
            raise RuleViolation(f"date_to {date_to.isoformat()} is in the future", "date_to")

    def _require_activities_within(self, start: date, end: date) -> None:
        for activity in self.activities.values():
            if not activity["retracted"] and not (
                start <= activity["date_from"] and activity["date_to"] <= end
            ):
                raise RuleViolation(
                    "the new period would leave recorded activities outside it", "end_date"
                )

    def remember_request(self, request_id: str | None, version: int) -> None:
        """Note that the request was handled by the event at `version`, so a retry of
        it is answered, not applied again."""
        if request_id:
            self.handled_requests[request_id] = version
