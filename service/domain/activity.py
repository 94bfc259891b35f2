"""An activity: work done against an allocation, as it stands now on the allocation's
stream. A value: each event that changes it replaces it with a new one.

Its fields are declared once, here. `Work` holds what whoever records it gives (and
may correct later); the events that carry the work (`ActivityRecorded`,
`ActivityMoved`) take their attributes from it, and the lists the rest of the code
needs are derived from it: what the API and the form take, what a correction may
change, what a move carries. A new fact of the work is a field of `Work` (with an
upcast on those two events for the ones stored before it).

Snapshots store an activity through its transcoding (service/infra/transcodings.py);
a snapshot taken while activities were dicts is upcast by `activities_as_values`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import MISSING, dataclass, field, fields, replace
from datetime import date, datetime
from typing import Any
from uuid import UUID

from service.domain.errors import Conflict, NotFound, RuleViolation
from service.domain.rules import require_ordered, require_positive_units

PART = "part"
RECORDING = "recording"
"""How it was recorded: never corrected, kept when it moves (so a move never makes it late)."""
PLACE = "place"
"""Where it stands on this allocation's stream."""


@dataclass(frozen=True, kw_only=True)
class Work:
    """What an activity says of the work done, as whoever recorded it gave it. Keyword
    only, so that a field added later may have a default (`WORK_DEFAULTS`): clients and
    files that do not give it keep working, and events stored before it load with it."""

    team_member: str
    units: int
    description: str
    date_from: date
    date_to: date
    """Equal to date_from for one day."""


def not_after_close(state: dict[str, Any]) -> None:
    """Upcast an activity event stored before months could be closed (class version 1,
    no `after_close`): nothing was closed then, so it was not changed after a close.
    The library applies this on loading (`upcast_v1_v2`); the log is never rewritten."""
    state["after_close"] = False


@dataclass(frozen=True)
class Change:
    """What each correction or retraction of an activity says besides the activity: why,
    who, the request (a retry of it is answered, not applied again) and whether it came
    after the activity's month was closed. Stored before months could be closed (class
    version 1), it had no `after_close`."""

    reason: str
    actor: str
    request_id: str | None
    after_close: bool

    class_version = 2
    upcast_v1_v2 = staticmethod(not_after_close)


def _part(part: str, **default: Any) -> Any:
    return field(metadata={PART: part}, **default)


@dataclass(frozen=True, kw_only=True)
class Activity(Work):
    recorded_by: str = _part(RECORDING)
    recorded_at: datetime = _part(RECORDING)
    corrections: int = _part(RECORDING, default=0)
    imported: bool = _part(RECORDING, default=False)
    recorded_version: int = _part(PLACE)
    """The version of the event that put it on this allocation (a retry looks it up)."""
    retracted: bool = _part(PLACE, default=False)
    moved_to: UUID | None = _part(PLACE, default=None)
    """The allocation it was moved to: it no longer counts here, its history stays."""

    @property
    def counts(self) -> bool:
        """Whether it still counts on this allocation: not retracted, not moved away."""
        return not self.retracted and self.moved_to is None

    def corrected(self, changes: dict[str, Any]) -> Activity:
        return replace(self, **changes, corrections=self.corrections + 1)

    def retract(self) -> Activity:
        return replace(self, retracted=True)

    def move_to(self, allocation_id: UUID) -> Activity:
        return replace(self, moved_to=allocation_id)

    def stated(self) -> dict[str, Any]:
        """What the activity says of itself, apart from its place on this stream: what a
        move carries to another allocation (`ActivityMoved`'s fields), what a receipt shows."""
        return {name: getattr(self, name) for name in MOVED_FIELDS}


WORK_FIELDS = tuple(f.name for f in fields(Work))
"""What a recorder gives: the API's body, the form's fields."""
WORK_DEFAULTS = {f.name: f.default for f in fields(Work) if f.default is not MISSING}
"""What a recorder may leave out (a field added since clients began recording)."""
CORRECTABLE_FIELDS = WORK_FIELDS
"""Every fact of the work may be corrected; how it was recorded, never."""
MOVED_FIELDS = WORK_FIELDS + tuple(
    f.name for f in fields(Activity) if f.metadata.get(PART) == RECORDING
)
"""What a move carries: the work as it stands, recorded when and by whom it was."""


def find(activities: Mapping[str, Activity], activity_id: UUID) -> Activity:
    try:
        return activities[str(activity_id)]
    except KeyError:
        raise NotFound(f"activity {activity_id} is not recorded on this allocation") from None


def find_live(activities: Mapping[str, Activity], activity_id: UUID) -> Activity:
    """The activity, if it still counts here: not retracted, not moved away (a moved
    one is found, corrected and retracted on its new allocation)."""
    activity = find(activities, activity_id)
    if activity.retracted:
        raise Conflict(f"activity {activity_id} has been retracted")
    if activity.moved_to:
        raise Conflict(f"activity {activity_id} was moved to allocation {activity.moved_to}")
    return activity


UNITS_PER_PERSON_DAY = 24
"""A unit is an hour (docs/explanation/domain.md): one person's day holds at most 24."""


def require_work(work: dict[str, Any], period: tuple[date, date], today: date) -> None:
    """Work recorded: positive units, on days in order, within the allocation's period,
    not in the future, no more than one person's days hold. (The event refuses a field
    not of `Work`, or one missing.)"""
    require_positive_units(work.get("units"))
    require_dates(work["date_from"], work["date_to"], period, today)
    require_units_fit_days(work["units"], work["date_from"], work["date_to"])


def require_units_fit_days(units: int, date_from: date, date_to: date) -> None:
    """One person's activity holds at most 24 units per day of its range: work reported
    in aggregate over a range may add up to 24 × its days (48 over two days), never
    more. Each activity is one person's work (several people record their own)."""
    days = (date_to - date_from).days + 1
    most = UNITS_PER_PERSON_DAY * days
    if units > most:
        span = "1 day" if days == 1 else f"{days} days"
        raise RuleViolation(
            f"{units} units over {span} ({date_from.isoformat()} to {date_to.isoformat()}) "
            f"is more than one person can work: at most {UNITS_PER_PERSON_DAY} units (hours) "
            f"a day, {most} over {span}; give the days the work took, or each person's "
            "own units",
            "units",
        )


def require_corrections(changes: dict[str, Any]) -> dict[str, Any]:
    """The changes a correction makes (None: unchanged): at least one, each of a
    correctable field; units still positive. The dates are checked with `require_dates`."""
    unknown = set(changes) - set(CORRECTABLE_FIELDS)
    if unknown:
        raise RuleViolation(f"cannot correct {', '.join(sorted(unknown))}")
    given = {name: value for name, value in changes.items() if value is not None}
    if not given:
        raise RuleViolation(f"give at least one of {', '.join(CORRECTABLE_FIELDS)}")
    if "units" in given:
        require_positive_units(given["units"])
    return given


def require_dates(date_from: date, date_to: date, period: tuple[date, date], today: date) -> None:
    """An activity's days: in order, within its allocation's period, not in the future."""
    require_ordered(date_from, date_to, "date_to")
    require_within(date_from, date_to, period)
    if date_to > today:
        raise RuleViolation(f"date_to {date_to.isoformat()} is in the future", "date_to")


def require_within(date_from: date, date_to: date, period: tuple[date, date]) -> None:
    start, end = period
    for name, day in (("date_from", date_from), ("date_to", date_to)):
        if not start <= day <= end:
            raise RuleViolation(
                f"{name} {day.isoformat()} is outside the allocation's period "
                f"{start.isoformat()} to {end.isoformat()}",
                name,
            )


def require_all_within(activities: Mapping[str, Activity], start: date, end: date) -> None:
    """The activities that count stay within a period changed to `start`..`end`."""
    for activity in activities.values():
        if activity.counts and not (start <= activity.date_from and activity.date_to <= end):
            raise RuleViolation(
                "the new period would leave recorded activities outside it", "end_date"
            )


def activities_as_values(state: dict[str, Any]) -> None:
    """Upcast an allocation's snapshot taken while its activities were dicts (class
    version 1): each becomes an `Activity`. One taken before imports has no `imported`:
    not imported. `moved_to` was the allocation id's text. Applied on loading; stored
    snapshots are never rewritten."""
    for key, entry in state["activities"].items():
        moved_to = entry.get("moved_to")
        state["activities"][key] = Activity(**entry | {"moved_to": moved_to and UUID(moved_to)})


def not_imported(state: dict[str, Any]) -> None:
    """Upcast a recording stored before imports (class version 2): not imported."""
    state.update(imported=False, external_id=None)
