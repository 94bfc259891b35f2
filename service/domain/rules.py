"""Checks shared by several aggregates."""

from datetime import date

from service.domain.errors import RuleViolation


def require_positive_units(units: object, field: str = "units") -> int:
    # bool is an int subclass; True must not count as one unit.
    if isinstance(units, bool) or not isinstance(units, int) or units <= 0:
        raise RuleViolation("units must be a positive whole number", field)
    return units


def require_ordered(start: date, end: date, end_field: str = "end_date") -> None:
    if end < start:
        raise RuleViolation(
            f"{end_field} {end.isoformat()} is before the start {start.isoformat()}",
            end_field,
        )


def require_reason(reason: str) -> None:
    if not reason or not reason.strip():
        raise RuleViolation("a reason is required", "reason")
