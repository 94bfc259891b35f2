"""The day balances are computed for: today in UTC."""

from datetime import date, datetime, timezone


def today() -> date:
    return datetime.now(timezone.utc).date()
