"""The service's sense of today. Every rule and figure that depends on the date asks a
`Clock`, never the machine's local date, so tests (and a replay of the past) can fix it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta


class Clock:
    """Today in UTC, for balances and reports; and the latest date anyone can be
    living now, for checking that work is not dated in the future."""

    def today(self) -> date:
        return datetime.now(UTC).date()

    def latest_today(self) -> date:
        """The date in UTC+14, so a member east of Greenwich can record today's work in
        their morning."""
        return (datetime.now(UTC) + timedelta(hours=14)).date()

    def instant(self) -> datetime:
        """The moment now, in UTC: what a browser session's age and idleness are
        measured by (service/web/pages/people.py), so tests can move it."""
        return datetime.now(UTC)

    def moment(self) -> datetime | None:
        """When what a command records happens: None, the event store's own now. Only
        a clock replaying history names another moment (`ReplayClock`). Activities and
        grants take it (their timestamps are read: lateness, balances as of a moment)."""
        return None


class ReplayClock(Clock):
    """A clock its caller moves forward, to write history as it happened (the demo
    seed, imports): recordings are stamped with its moment, and the rules' today is
    that moment's. The caller keeps its moments in order and not past the real now."""

    def __init__(self, at: datetime):
        self.at = at

    def today(self) -> date:
        return self.at.astimezone(UTC).date()

    def latest_today(self) -> date:
        return (self.at.astimezone(UTC) + timedelta(hours=14)).date()

    def moment(self) -> datetime:
        return self.at


class FixedClock(Clock):
    """A clock stopped on one day (tests, demos, reports of a past day)."""

    def __init__(self, day: date):
        self.day = day

    def today(self) -> date:
        return self.day

    def latest_today(self) -> date:
        return self.day
