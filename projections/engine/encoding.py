"""How values are kept in view tables: ids, dates and times as text, in forms that
sort as the values do (so SQL can compare them), and free-form details as JSON."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID


def uid(value: UUID | str | None) -> str | None:
    return None if value is None else str(value)


def day(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def moment(value: datetime) -> str:
    """UTC, always with microseconds, so that text order is time order."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")


def to_day(text: str | None) -> date | None:
    return None if text is None else date.fromisoformat(text)


def to_moment(text: str) -> datetime:
    return datetime.fromisoformat(text)


def to_uuid(text: str | None) -> UUID | None:
    return None if text is None else UUID(text)


def decimal_text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def to_json(value: Any) -> str:
    return json.dumps(plain(value), sort_keys=True)


def from_json(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def plain(value: Any) -> Any:
    """Dates, times, UUIDs and decimals inside free-form fields, as JSON strings."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime):
        return value.isoformat()
    return value.isoformat() if hasattr(value, "isoformat") else str(value)
