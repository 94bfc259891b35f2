"""Prometheus instruments of the layers below the web (which has its own request
metrics in service/web/observability.py)."""

from prometheus_client import Counter

EVENTS_APPENDED = Counter("ces_events_appended_total", "Events appended to the event store")
