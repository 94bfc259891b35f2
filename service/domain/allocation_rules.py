"""What an allocation answers about itself and the rules its commands check, apart
from its events: the aggregate's module holds the events, which are stored by name."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from service.domain.errors import Conflict, NotFound, RuleViolation
from service.domain.rules import require_ordered, require_positive_units, require_reason

MOVED_FIELDS = (
    "team_member", "units", "description", "date_from", "date_to", "recorded_by", "recorded_at",
    "corrections", "imported",
)  # fmt: skip
"""What an activity takes along when moved to another allocation: it arrives as it stood,
recorded when and by whom it was, so a move never makes it late."""


def moved_fields(activity: dict[str, Any]) -> dict[str, Any]:
    """The MOVED_FIELDS of an activity's entry, or of the event that moved it. An entry
    made before imports existed (kept in an older snapshot) has no `imported`: it was
    not imported."""
    entry = {"imported": False} | activity
    return {field: entry[field] for field in MOVED_FIELDS}


AMENDABLE = ("units", "end_date", "description", "provider")


def no_provider_change(state: dict[str, Any]) -> None:
    """Upcast an `AllocationAmended` stored before amendments could name a provider
    (class version 1): it changed none. Applied on loading; the log is never rewritten."""
    state["provider"] = None


class AllocationRules:
    """Mixed into `Allocation`: its queries and the rules its commands check."""

    id: UUID
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
        """The activity, if it still counts here: not retracted, not moved away (a
        moved one is found, corrected and retracted on its new allocation)."""
        activity = self.activity(activity_id)
        if activity["retracted"]:
            raise Conflict(f"activity {activity_id} has been retracted")
        if activity.get("moved_to"):
            raise Conflict(f"activity {activity_id} was moved to allocation {activity['moved_to']}")
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
        self._require_within(date_from, date_to)
        if date_to > today:
            raise RuleViolation(f"date_to {date_to.isoformat()} is in the future", "date_to")

    def _require_within(self, date_from: date, date_to: date) -> None:
        for field, day in (("date_from", date_from), ("date_to", date_to)):
            if not self.covers(day):
                raise RuleViolation(
                    f"{field} {day.isoformat()} is outside the allocation's period "
                    f"{self.start_date.isoformat()} to {self.end_date.isoformat()}",
                    field,
                )

    def _require_amendment(self, reason: str, **changes: Any) -> None:
        """An amendment changes at least one term (AMENDABLE), giving a reason. A new
        provider is checked by the application (registered, on the team to the end)."""
        self._require_not_cancelled("amend")
        require_reason(reason)
        if all(changes.get(term) is None for term in AMENDABLE):
            raise RuleViolation(f"give at least one of {', '.join(AMENDABLE)}")
        if changes.get("units") is not None:
            require_positive_units(changes["units"])
        if changes.get("end_date") is not None:
            require_ordered(self.start_date, changes["end_date"])
            self._require_activities_within(self.start_date, changes["end_date"])

    def _require_activities_within(self, start: date, end: date) -> None:
        for activity in self.activities.values():
            gone = activity["retracted"] or activity.get("moved_to")
            if not gone and not (start <= activity["date_from"] and activity["date_to"] <= end):
                raise RuleViolation(
                    "the new period would leave recorded activities outside it", "end_date"
                )

    def require_may_take(self, source_id: UUID, activity: dict[str, Any]) -> None:
        """The rules for a live activity moved here from allocation `source_id`: this is
        another allocation, not cancelled, and its period holds the activity's dates
        (which were not in the future when recorded or corrected, so are not now). The
        source may be cancelled: a move fixes the record of work done, as a correction."""
        if source_id == self.id:
            raise RuleViolation(
                f"the activity is already on allocation {source_id}: name another one",
                "allocation_id",
            )
        self._require_not_cancelled("move an activity to")
        self._require_within(activity["date_from"], activity["date_to"])

    def remember_request(self, request_id: str | None, version: int) -> None:
        """Note that the request was handled by the event at `version`, so a retry of
        it is answered, not applied again."""
        if request_id:
            self.handled_requests[request_id] = version
