"""A clock the test sets: the service's day and the event store's timestamps move
together, so history can be written on the days a story needs."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from service.application import Clock


class SetClock(Clock):
    """`latest_today` is `ahead` past the moment (the service's is 14 hours: the last
    time zone's day); a test on fixed days keeps it at none."""

    def __init__(self, now: datetime, ahead: timedelta = timedelta(0)):
        self.now = now
        self.ahead = ahead

    def at(self, day: str, hour: int = 12) -> None:
        self.now = datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)

    def instant(self) -> datetime:
        return self.now

    def today(self) -> date:
        return self.now.date()

    def latest_today(self) -> date:
        return (self.now + self.ahead).date()


def installed(monkeypatch: pytest.MonkeyPatch, clock: SetClock) -> SetClock:
    """The clock, also stamping the events the library makes from now on."""
    monkeypatch.setattr("eventsourcing.domain.datetime_now_with_tzinfo", lambda: clock.now)
    return clock
