"""How far an allocation has got: the figures every balance, report and projection
shows. Pure functions of the allocation's terms, the units used and the day asked
about, so the write side and the read models cannot disagree."""

from __future__ import annotations

from datetime import date

PACE_TOLERANCE_POINTS = 15.0
LATE_AFTER_DAYS = 14


def percent(part: float, whole: float) -> float:
    return round(100.0 * part / whole, 1) if whole else 0.0


def percent_elapsed(start: date, end: date, on: date) -> float:
    """Share of the period's days (both ends included) that have begun by `on`."""
    total = (end - start).days + 1
    elapsed = min(max((on - start).days + 1, 0), total)
    return percent(elapsed, total)


def status(start: date, end: date, units: int, used: int, cancelled: bool, on: date) -> str:
    if cancelled:
        return "cancelled"
    if on < start:
        return "upcoming"
    if on > end:
        return "completed"
    if used >= units:
        return "exhausted"
    return "active"


def pace(percent_used: float, percent_elapsed: float) -> str:
    """`on track` within ±15 points of the time elapsed, else `ahead` or `behind`."""
    difference = percent_used - percent_elapsed
    if abs(difference) <= PACE_TOLERANCE_POINTS:
        return "on track"
    return "ahead" if difference > 0 else "behind"


def balance(
    *, start: date, end: date, units: int, used: int, cancelled: bool, on: date
) -> dict[str, object]:
    used_pct = percent(used, units)
    elapsed_pct = percent_elapsed(start, end, on)
    return {
        "units_granted": units,
        "units_used": used,
        "units_remaining": units - used,
        "percent_used": used_pct,
        "percent_elapsed": elapsed_pct,
        "status": status(start, end, units, used, cancelled, on),
        "pace": pace(used_pct, elapsed_pct),
        "overrun": used > units,
    }


def is_late(date_to: date, recorded_on: date) -> bool:
    """Recorded more than 14 days after the work's last day."""
    return (recorded_on - date_to).days > LATE_AFTER_DAYS
