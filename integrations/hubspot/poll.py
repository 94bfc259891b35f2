"""The reconciliation poll: no Closed-Won deal is missed, whatever became of its webhook.

Every HUBSPOT_POLL_MINUTES the poll searches HubSpot for deals in a closed-won stage
that changed since its checkpoint (poll_checkpoint.py, kept in the event log) and
records each one as the webhook does (intake.record_closed_won): the engagement id is
derived from portal and deal, so a deal the webhook recorded, or an earlier poll, is a
no-op, and a webhook arriving after the poll finds the engagement there. Without a
client secret (a portal with a service key and no webhook app) the poll is the only
intake: "poll-only mode" (docs/explanation/hubspot.md).

Searching. The search answers at most 200 deals a page and 10,000 per query, is sorted
by one property, and pages with an offset (`after`). The poll sorts by
`hs_lastmodifieddate` ascending and, after each page, searches again from the page's
last change rather than following `after`: a deal changed while the poll pages moves to
the end of the order and would shift an offset past a deal not yet read, and the
10,000 cap is never reached. `after` is followed only through a page whose deals all
share one millisecond (a bulk update), where searching again would not move on.

Overlap. Each poll searches from `OVERLAP` before its checkpoint: HubSpot's search
index lags its writes, so a deal changed just before the last poll's latest one may
only now be found. Deals found twice cost one read of the log each.

Pace. Search calls are spaced `MIN_INTERVAL` apart (4 a second: HubSpot allows search 5
a second per token, and the account 100 requests per 10 s on Free and Starter, 190
above; the follower's reads share the rest). A 429 or 5xx is retried after its
`Retry-After` (or 2 s doubling), at most `MAX_ATTEMPTS` times and never waiting more
than `MAX_WAIT` at once; then the poll stops where its checkpoint is and the next one
carries on. A refusal (4xx) stops the poll and is logged as an error.

Policy. A found deal goes through the input policy as a webhook's would: one whose id
the webhook would refuse (not plain digits within int64), or whose change time is
outside the policy's dates, is skipped, logged and counted (`PollResult.skipped`, the
metric `ces_hubspot_poll_deals_skipped_total`), and never moves the checkpoint.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from integrations.hubspot.client import (
    FoundDeal,
    HubSpotDeals,
    Refused,
    SearchPage,
    Unavailable,
)
from integrations.hubspot.events import StageChange
from integrations.hubspot.follower import DEAL_CLOSED_WON
from integrations.hubspot.intake import record_closed_won
from integrations.hubspot.poll_checkpoint import (
    advance_checkpoint,
    read_checkpoint,
    start_checkpoint,
)
from service.application import Ledger
from service.infra.config import HubSpotSettings
from service.infra.input_policy import date_problem, id_problem
from service.infra.metrics import HUBSPOT_POLL_SKIPPED

log = logging.getLogger(__name__)

PAGE_SIZE = 200
MAX_RESULTS = 10_000
OVERLAP = timedelta(minutes=10)
FIRST_LOOKBACK = timedelta(days=1)
MIN_INTERVAL = 0.25
MAX_ATTEMPTS = 5
MAX_WAIT = 60.0
FIRST_DELAY = 60.0
POLL_EVENT_ID = 0
"""The `webhook_event_id` of a `DealClosedWon` the poll recorded: HubSpot's event ids
are positive, so 0 says that no webhook brought the deal."""


@dataclass
class PollResult:
    """What one poll did: search calls made, won deals found (a deal found twice counts
    twice), deals skipped by the input policy, engagements created, the checkpoint it
    left, and why it stopped early."""

    requests: int = 0
    found: int = 0
    skipped: int = 0
    created: list[UUID] = field(default_factory=list)
    checkpoint: datetime | None = None
    error: str | None = None


class DealPoll:
    """Searches won deals changed since the checkpoint and records the new ones."""

    def __init__(
        self,
        ledger: Callable[[], Ledger],
        deals: HubSpotDeals,
        settings: HubSpotSettings,
        *,
        on_created: Callable[[], None] = lambda: None,
        sleep: Callable[[float], object] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        stopping: threading.Event | None = None,
        page_size: int = PAGE_SIZE,
        max_results: int = MAX_RESULTS,
    ):
        assert settings.portal_id is not None, "the poll needs HUBSPOT_PORTAL_ID"
        self._ledger = ledger
        self._deals = deals
        self._portal_id = settings.portal_id
        self._stages = settings.closed_won_stages
        self._on_created = on_created
        self._sleep = sleep
        self._clock = clock
        self._now = now
        self._stopping = stopping or threading.Event()
        self._page_size = page_size
        self._max_results = max_results
        self._last_call: float | None = None
        self._portal_checked = False

    def poll_once(self, since: datetime | None = None) -> PollResult:
        """One poll, from the checkpoint (less `OVERLAP`), or from `since` when given
        (an operator's backfill; the checkpoint still only moves forward)."""
        ledger = self._ledger()
        result = PollResult()
        result.error = self._wrong_portal(ledger)
        if result.error:
            log.error("HubSpot poll refused: %s", result.error)
            return result
        checkpoint = read_checkpoint(ledger, self._portal_id)
        if checkpoint is None:
            first = since or self._now() - FIRST_LOOKBACK
            checkpoint = start_checkpoint(ledger, self._portal_id, first)
        result.checkpoint = checkpoint
        start = since or checkpoint - OVERLAP
        try:
            self._search_from(ledger, start, result)
        except (Unavailable, Refused) as error:
            result.error = str(error)
            level = logging.ERROR if isinstance(error, Refused) else logging.WARNING
            log.log(level, "HubSpot poll stopped: %s; the next poll carries on", error)
        if result.created:
            self._on_created()
        return result

    def _wrong_portal(self, ledger: Ledger) -> str | None:
        """Why the poll must not run: the log's first won deal is of another portal.

        The engagement id is derived from the portal, so a wrong HUBSPOT_PORTAL_ID would
        give every deal the webhook recorded a second engagement. Checked once (the
        first deal recorded never changes), before the first search."""
        if self._portal_checked:
            return None
        first = ledger.recorder.select_notifications(start=1, limit=1, topics=[DEAL_CLOSED_WON])
        if first:
            recorded = ledger.mapper.to_domain_event(first[0]).portal_id
            if recorded != self._portal_id:
                return (
                    f"HUBSPOT_PORTAL_ID is {self._portal_id}, but the deals recorded so far "
                    f"are of portal {recorded}: set it to the portal the webhook delivers"
                )
        self._portal_checked = True
        return None

    def _search_from(self, ledger: Ledger, since: datetime, result: PollResult) -> None:
        after: str | None = None
        while not self._stopping.is_set():
            page = self._search(since, after, result)
            self._record(ledger, page, result)
            if page.next_after is None or not page.deals:
                return
            last = page.deals[-1].last_modified
            if last > since:
                since, after = last, None  # search again from the page's last change
            elif _offset(page.next_after) < self._max_results:
                after = page.next_after  # a page of one millisecond: follow the cursor
            else:
                log.error(
                    "HubSpot poll: more than %d won deals changed at %s; those past them "
                    "are not searched (record them with `hubspot replay`)",
                    self._max_results,
                    last.isoformat(),
                )
                since, after = last + timedelta(milliseconds=1), None

    def _record(self, ledger: Ledger, page: SearchPage, result: PollResult) -> None:
        """Record the page's won deals, then move the checkpoint past them: a poll
        stopped in between searches the page again, and finds them recorded."""
        refused = [deal for deal in page.deals if _refused(deal)]
        for deal in page.deals:
            if deal.stage not in self._stages:
                continue  # the search filters on stage; never trust a stub or a change
            result.found += 1
            if deal in refused:
                result.skipped += 1
                HUBSPOT_POLL_SKIPPED.inc()
                log.warning("HubSpot poll: a won deal skipped: %s", _refused(deal))
                continue
            change = StageChange(
                portal_id=self._portal_id,
                deal_id=deal.id,
                stage=deal.stage,
                event_id=POLL_EVENT_ID,
                occurred_at=deal.last_modified,
            )
            [written] = record_closed_won(ledger, [change])
            if not written.replayed:
                result.created.append(written.value.id)
                log.info("HubSpot poll: deal %s had no engagement; recorded", deal.id)
        checked = [deal for deal in page.deals if deal not in refused]
        if checked:
            latest = max(checked, key=lambda deal: deal.last_modified)
            advance_checkpoint(ledger, self._portal_id, latest.last_modified, latest.id)
            result.checkpoint = max(result.checkpoint or latest.last_modified, latest.last_modified)

    def _search(self, since: datetime, after: str | None, result: PollResult) -> SearchPage:
        """One search call, paced, retried while HubSpot is unavailable."""
        for attempt in range(MAX_ATTEMPTS):
            self._pace()
            result.requests += 1
            try:
                return self._deals.search_modified(
                    self._stages, since, limit=self._page_size, after=after
                )
            except Unavailable as error:
                wait = error.retry_after if error.retry_after is not None else 2.0 * 2**attempt
                if attempt + 1 == MAX_ATTEMPTS or wait > MAX_WAIT or self._stopping.is_set():
                    raise
                log.warning("HubSpot poll: %s; trying again in %.1f s", error, wait)
                self._wait(wait)
                if self._stopping.is_set():
                    raise  # the process is stopping: the next poll carries on
        raise AssertionError("unreachable")

    def _pace(self) -> None:
        if self._last_call is not None:
            self._wait(self._last_call + MIN_INTERVAL - self._clock())
        self._last_call = self._clock()

    def _wait(self, seconds: float) -> None:
        if seconds > 0:
            self._sleep(seconds)


def _refused(deal: FoundDeal) -> str | None:
    """Why the input policy refuses a found deal (the id quoted safely), or None."""
    problem = id_problem(deal.id)
    if problem:
        return f"its id {deal.id!r:.40} {problem}"
    problem = date_problem(deal.last_modified.date())
    if problem:
        return f"deal {deal.id}: its hs_lastmodifieddate {problem}"
    return None


def _offset(after: str) -> int:
    """HubSpot's search cursor is the offset of the next result."""
    try:
        return int(after)
    except ValueError:
        return 0


class PollWorker:
    """Runs the poll every `minutes` in a thread of its own, the first time
    `first_delay` seconds after it starts: a process starting leaves HubSpot alone for a
    moment (the checkpoint is in the log, so nothing waits on memory), and a process
    restarting in a loop cannot hammer the search; yet a restart every few minutes still
    polls, which a first poll only after a whole interval would not."""

    def __init__(
        self,
        make_poll: Callable[[threading.Event], DealPoll],
        minutes: float,
        first_delay: float = FIRST_DELAY,
    ):
        self._stopping = threading.Event()
        self._poll = make_poll(self._stopping)
        self._seconds = minutes * 60
        self._first_delay = first_delay
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="hubspot-poll", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 15.0) -> None:
        """Stop after the page in hand: the checkpoint is where the log says."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        self._stopping.wait(self._first_delay)
        while not self._stopping.is_set():
            try:
                result = self._poll.poll_once()
                log.info(
                    "HubSpot poll: %d won deal(s) found, %d engagement(s) created, "
                    "%d skipped by the input policy",
                    result.found,
                    len(result.created),
                    result.skipped,
                )
            except Exception:
                log.exception("HubSpot poll: this poll failed; trying again next time")
            self._stopping.wait(self._seconds)


def build_poll(
    ledger: Callable[[], Ledger],
    settings: HubSpotSettings,
    on_created: Callable[[], None] = lambda: None,
    **options: Any,
) -> DealPoll:
    """A poll speaking to HubSpot with `settings`; `options` are DealPoll's keywords."""
    return DealPoll(ledger, HubSpotDeals(settings), settings, on_created=on_created, **options)


def build_poll_worker(
    ledger: Callable[[], Ledger],
    settings: HubSpotSettings,
    on_created: Callable[[], None] = lambda: None,
    first_delay: float = FIRST_DELAY,
) -> PollWorker:
    """The worker a process runs; its waits end at once when it is stopped."""

    def make(stopping: threading.Event) -> DealPoll:
        return build_poll(ledger, settings, on_created, sleep=stopping.wait, stopping=stopping)

    return PollWorker(make, settings.poll_minutes, first_delay)
