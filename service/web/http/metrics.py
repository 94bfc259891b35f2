"""Prometheus gauges of each read model's position, lag behind the log, and whether it
is stuck on an event it failed to apply (`ces_projection_failed`, 1 or 0); and of the
background worker's heartbeat (`ces_worker_up`, `ces_worker_heartbeat_age_seconds`).

Read from the database at scrape time, so every gunicorn worker (and any host)
reports the same figures, whichever process runs the projections."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from flask import Flask
from prometheus_client.core import GaugeMetricFamily

from projections.reports.notices import notification_counts
from service.web.http.runtime import runtime


def _families() -> tuple[GaugeMetricFamily, GaugeMetricFamily, GaugeMetricFamily]:
    return (
        GaugeMetricFamily(
            "ces_projection_lag_events",
            "Events in the log not yet applied to the view",
            labels=["view"],
        ),
        GaugeMetricFamily(
            "ces_projection_position", "Last log position applied to the view", labels=["view"]
        ),
        GaugeMetricFamily(
            "ces_projection_failed",
            "1 while the view is stuck on an event it failed to apply (retried with backoff)",
            labels=["view"],
        ),
    )


class _ScrapeTimeCollector:
    """A collector that reads the app's database at each scrape; `families` makes its
    gauges, empty."""

    families: Callable[[], tuple[GaugeMetricFamily, ...]]

    def __init__(self, app: Flask):
        self.app = app

    def describe(self) -> Iterator[GaugeMetricFamily]:
        """Names only, so registering the collector does not query the database."""
        yield from self.families()


class ProjectionLagCollector(_ScrapeTimeCollector):
    families = staticmethod(_families)

    def collect(self) -> Iterator[GaugeMetricFamily]:
        with self.app.app_context():
            read_models = runtime().projections()
            head = read_models.head()
            positions = read_models.positions()
            failures = read_models.failures(positions=positions)
        lag, position, failed = _families()
        for view, applied in sorted(positions.items()):
            lag.add_metric([view], head - applied)
            position.add_metric([view], applied)
            failed.add_metric([view], 1 if view in failures else 0)
        yield lag
        yield position
        yield failed


def _worker_families() -> tuple[GaugeMetricFamily, GaugeMetricFamily]:
    return (
        GaugeMetricFamily(
            "ces_worker_up",
            "1 while the background worker's heartbeat is recent (WORKER_DOWN_AFTER_SECONDS)",
        ),
        GaugeMetricFamily(
            "ces_worker_heartbeat_age_seconds",
            "Seconds since the background worker's last heartbeat (absent if it never beat)",
        ),
    )


class WorkerHeartbeatCollector(_ScrapeTimeCollector):
    families = staticmethod(_worker_families)

    def collect(self) -> Iterator[GaugeMetricFamily]:
        with self.app.app_context():
            worker = runtime().worker_status()
        up, age = _worker_families()
        up.add_metric([], 1 if worker.up else 0)
        if worker.age_seconds is not None:
            age.add_metric([], worker.age_seconds)
        yield up
        yield age


def _notification_families() -> tuple[GaugeMetricFamily]:
    return (
        GaugeMetricFamily(
            "ces_notifications",
            "Notifications by state: recorded, sending, sent, failed (to be tried again), "
            "given_up (after NOTIFY_MAX_ATTEMPTS; listed on /review)",
            labels=["state"],
        ),
    )


class NotificationCollector(_ScrapeTimeCollector):
    families = staticmethod(_notification_families)

    def collect(self) -> Iterator[GaugeMetricFamily]:
        with self.app.app_context():
            counts = notification_counts(runtime().projections())
        (by_state,) = _notification_families()
        for state, count in counts.items():
            by_state.add_metric([state], count)
        yield by_state
