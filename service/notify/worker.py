"""The notifier as a background worker of the worker process: one pass every
NOTIFY_INTERVAL_SECONDS (the first after one interval), on a ledger of its own, until its process
stops. A pass that fails (the database away) is logged and tried again next time;
nothing it had not recorded as sent is lost (outbox.py)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from service.notify.outbox import Notifier

log = logging.getLogger(__name__)


class NotifyWorker:
    def __init__(
        self,
        open_notifier: Callable[[], tuple[Notifier, Callable[[], None]]],
        interval_seconds: float,
        stop: threading.Event,
    ):
        self.open_notifier = open_notifier
        self.interval_seconds = interval_seconds
        self.external_stop = stop
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, name="notifier", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self, timeout: float = 15.0) -> None:
        """Stop, waiting for the send in hand."""
        self.stopping.set()
        if self.thread.is_alive():
            self.thread.join(timeout)

    def _run(self) -> None:
        notifier, close = self.open_notifier()
        try:
            while not self.stopping.wait(self.interval_seconds) and not self.external_stop.is_set():
                try:
                    done = notifier.run_once()
                    if done.recorded or done.sent or done.failed:
                        log.info(
                            "notify: %d recorded, %d sent, %d failed",
                            done.recorded,
                            done.sent,
                            done.failed,
                        )
                except Exception:
                    log.exception("notify: the pass failed; trying again later")
        finally:
            close()
