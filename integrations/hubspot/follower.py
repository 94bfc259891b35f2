"""The background worker that fetches each won deal's details after the webhook.

What is pending is derived from the event log, never kept only in memory: every
`DealClosedWon` whose engagement has no HubSpot details yet. The follower reads the
log's `DealClosedWon` notifications from the start when it starts, so after a restart
or a long HubSpot outage it finds the unfinished deals again; in memory it keeps only
its reading position and when to try each deal next.

It runs in the worker process only (`worker run`, service/workers.py), never in
each web worker, so one follower asks HubSpot for each deal. It has no lock of its own:
were a second worker process to run, both might fetch the same deal, and the ledger
would still record its details once.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any
from uuid import UUID

from eventsourcing.utils import get_topic

from integrations.hubspot.client import HubSpotDeals, Refused, Unavailable
from integrations.hubspot.sync import DealSync
from service.application import Ledger
from service.domain import Engagement
from service.infra.config import HubSpotSettings

log = logging.getLogger(__name__)

DEAL_CLOSED_WON = get_topic(Engagement.DealClosedWon)
PAGE_SIZE = 500


class DealFollower:
    """Fetches details for every engagement that waits for them, retrying with
    exponential backoff per deal, and pausing everything while HubSpot's rate limit
    (429) says so."""

    def __init__(
        self,
        ledger: Callable[[], Ledger],
        sync: DealSync,
        *,
        clock: Callable[[], float] = time.monotonic,
        poll_seconds: float = 5.0,
        first_backoff: float = 2.0,
        max_backoff: float = 900.0,
    ):
        self._ledger = ledger
        self._sync = sync
        self._clock = clock
        self._poll_seconds = poll_seconds
        self._first_backoff = first_backoff
        self._max_backoff = max_backoff
        self._position = 0
        self._due: dict[UUID, float] = {}
        self._failures: dict[UUID, int] = {}
        self._paused_until = 0.0
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def step(self) -> float | None:
        """Read new deals from the log and work on those that are due. Returns the
        seconds until the next one is due, or None when nothing is pending."""
        ledger = self._ledger()
        self._read_new_deals(ledger)
        for engagement_id in sorted(self._due, key=self._due.__getitem__):
            due = max(self._due[engagement_id], self._paused_until)
            if self._stopping.is_set() or self._clock() < due:
                break
            self._work_on(ledger, engagement_id)
        if not self._due:
            return None
        return max(0.0, max(min(self._due.values()), self._paused_until) - self._clock())

    def wake(self) -> None:
        """Look at the log now rather than at the next poll (a webhook just recorded a deal)."""
        self._wake.set()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="hubspot-follower", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 15.0) -> None:
        """Stop after the deal in hand; what is left stays pending in the log."""
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stopping.is_set():
            self._wake.clear()
            try:
                delay = self.step()
            except Exception:
                log.exception("HubSpot follower: this pass failed; trying again shortly")
                delay = None
            self._wake.wait(self._poll_seconds if delay is None else min(delay, self._poll_seconds))

    def _read_new_deals(self, ledger: Ledger) -> None:
        while True:
            page = ledger.recorder.select_notifications(
                start=self._position + 1, limit=PAGE_SIZE, topics=[DEAL_CLOSED_WON]
            )
            for notification in page:
                self._due.setdefault(notification.originator_id, self._clock())
                self._position = notification.id
            if len(page) < PAGE_SIZE:
                return

    def _work_on(self, ledger: Ledger, engagement_id: UUID) -> None:
        try:
            self._sync.sync(ledger, engagement_id)
        except Unavailable as error:
            delay = self._backoff(engagement_id) if error.retry_after is None else error.retry_after
            log.warning("HubSpot: %s; trying again in %.0f s", error, delay)
            self._retry_in(engagement_id, delay)
            if error.rate_limited:
                self._paused_until = self._clock() + delay
        except Refused as error:
            log.error("HubSpot: %s; trying again in %.0f s", error, self._max_backoff)
            self._retry_in(engagement_id, self._max_backoff)
        except Exception:
            delay = self._backoff(engagement_id)
            log.exception(
                "HubSpot: syncing engagement %s failed; trying again in %.0f s",
                engagement_id,
                delay,
            )
            self._retry_in(engagement_id, delay)
        else:
            del self._due[engagement_id]
            self._failures.pop(engagement_id, None)

    def _backoff(self, engagement_id: UUID) -> float:
        failures = self._failures.get(engagement_id, 0)
        return min(self._first_backoff * 2**failures, self._max_backoff)

    def _retry_in(self, engagement_id: UUID, delay: float) -> None:
        self._failures[engagement_id] = self._failures.get(engagement_id, 0) + 1
        self._due[engagement_id] = self._clock() + delay


def build_follower(
    ledger: Callable[[], Ledger], settings: HubSpotSettings, **options: Any
) -> DealFollower:
    """A follower speaking to HubSpot with `settings` (which hold the access token);
    `options` are DealFollower's timing arguments."""
    return DealFollower(ledger, DealSync(HubSpotDeals(settings), settings), **options)
