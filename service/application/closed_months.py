"""The months closed now, as every change to an activity needs them (the rule is in
service/application/access.py; closing a month in service/application/periods.py).

Why a view of the calendar of its own, rather than `ledger.get(PeriodCalendar, ...)`:
the check runs on every recording, the hot path. Through the repository a calendar
not yet cached costs two reads (its snapshot, then its events), and while no month
has ever been closed it is never cached, so every recording would pay both; and a
cached one is deep-copied for each command. This view keeps the closed months of the
process and brings them up to date with exactly one read of the events stored after
the version it holds (none, mostly), like the aggregate cache's fast-forward, and it
is safe across processes for the same reason: it never trusts the cache without that
read, so a month closed by another process counts at once. Measured on the local
PostgreSQL: about 0.1 ms per check, against some 9 ms for a whole recording.
"""

from __future__ import annotations

import threading

from eventsourcing.application import Application

from service.domain.period import CALENDAR_ID, PeriodCalendar


class ClosedMonths:
    """This process's copy of the closed months, fast-forwarded on every use. The
    read runs outside the lock (threads of one worker never queue on the database);
    merging under it is safe in any order, since months are only ever closed."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._version = 0
        self._months: frozenset[str] = frozenset()

    def current(self, ledger: Application) -> frozenset[str]:
        return self.merge(list(ledger.events.get(CALENDAR_ID, gt=self._version)))

    @property
    def version(self) -> int:
        """The calendar's version this copy holds: read the events after it, then merge."""
        return self._version

    def merge(self, new: list[PeriodCalendar.Event]) -> frozenset[str]:
        """The months closed now, given the calendar's events after `version`."""
        if not new:
            return self._months
        closed = {e.month for e in new if isinstance(e, PeriodCalendar.PeriodClosed)}
        with self._lock:
            self._months = self._months | closed
            self._version = max(self._version, new[-1].originator_version)
            return self._months
