"""Prometheus instruments of the layers below the web (which has its own request
metrics in service/web/http/observability.py)."""

from prometheus_client import Counter

EVENTS_APPENDED = Counter("ces_events_appended_total", "Events appended to the event store")
HUBSPOT_POLL_SKIPPED = Counter(
    "ces_hubspot_poll_deals_skipped_total",
    "Won deals the HubSpot poll found and did not record: an id or a change time the input "
    "policy refuses",
)
