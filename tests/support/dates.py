"""Days relative to the service's today, as the API takes them (ISO dates)."""

from __future__ import annotations

from datetime import timedelta

from service.application import Clock

# The service's day: UTC, as its clock keeps it (service/application/clock.py).
TODAY = Clock().today()


def days_ago(n: int) -> str:
    return (TODAY - timedelta(days=n)).isoformat()
