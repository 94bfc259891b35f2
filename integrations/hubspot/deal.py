"""A deal as the HubSpot API returned it, and what it means for its engagement.

Pure translation, no I/O: which engagement fields the deal sets, and whether it
carries a contract (dates and hours) to grant as an allocation. It reads a deal that
has passed the input policy (deal_policy.py), where a field HubSpot sent that the
service cannot take is already None.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from service.infra.config import HubSpotSettings
from service.infra.input_policy import MAX_UNITS, whole_number_problem

STANDARD_PROPERTIES = (
    "dealname",
    "amount",
    "deal_currency_code",
    "closedate",
    "pipeline",
    "dealstage",
)
MAX_AMOUNT = Decimal(10) ** 15
"""An amount at or beyond this (a quadrillion, in any currency) is taken as a typo."""
MAX_DECIMALS = 10
"""Digits after the point an amount may have ("1E-999999999" would print a billion)."""
MAX_HOURS_DIGITS = 18
"""Hours of more digits than this are no contract (and would not fit int64)."""
CURRENCY = re.compile(r"[A-Z]{3}")


@dataclass(frozen=True)
class Deal:
    """The facts fetched for one deal: its properties exactly as HubSpot gave them,
    and its primary company."""

    id: str
    properties: dict[str, str | None]
    company_id: str | None = None
    company_name: str | None = None


@dataclass(frozen=True)
class Contract:
    """The hours a deal sold and the period they cover."""

    start_date: date
    end_date: date
    units: int


def properties_to_fetch(settings: HubSpotSettings) -> list[str]:
    names = [
        *STANDARD_PROPERTIES,
        settings.start_property,
        settings.end_property,
        settings.hours_property,
    ]
    if settings.url_property:
        names.append(settings.url_property)
    return list(dict.fromkeys(names))


def engagement_changes(deal: Deal, settings: HubSpotSettings) -> dict[str, Any]:
    """The `EngagementDetailsUpdated` changes: the raw deal under "deal", plus the
    engagement fields the deal fills in. Dates are set only as a valid pair."""
    raw: dict[str, Any] = {"id": deal.id, "properties": dict(deal.properties)}
    if deal.company_id is not None:
        raw["company"] = {"id": deal.company_id, "name": deal.company_name}
    changes: dict[str, Any] = {"deal": raw}
    changes["amount"] = amount(deal)
    changes["currency"] = currency(deal)
    name = (deal.properties.get("dealname") or "").strip()
    if name:
        changes["name"] = name
    if deal.company_name:
        changes["community"] = deal.company_name
    period = _period(deal, settings)
    if period is not None:
        changes["start_date"], changes["end_date"] = period
    return changes


def amount(deal: Deal) -> Decimal | None:
    """The deal's `amount`, exact: HubSpot sends numbers as strings ("12500.50"), and a
    float would not keep them. None when the deal has none (or it was refused)."""
    return parse_amount(deal.properties.get("amount"))


def currency(deal: Deal) -> str | None:
    """The deal's `deal_currency_code` (ISO 4217, "EUR"), or None."""
    return parse_currency(deal.properties.get("deal_currency_code"))


def contract(deal: Deal, settings: HubSpotSettings) -> Contract | None:
    """The contract the deal carries, if it has valid dates and a number of hours the
    service grants (1 to MAX_UNITS). Units are whole hours: a fraction is rounded half up."""
    period = _period(deal, settings)
    units = hours_to_units(deal.properties.get(settings.hours_property))
    if period is None or units is None or whole_number_problem(units, 1, MAX_UNITS):
        return None
    return Contract(period[0], period[1], units)


def _period(deal: Deal, settings: HubSpotSettings) -> tuple[date, date] | None:
    start = parse_date(deal.properties.get(settings.start_property))
    end = parse_date(deal.properties.get(settings.end_property))
    if start is None or end is None or end < start:
        return None
    return start, end


def parse_date(value: str | None) -> date | None:
    """A HubSpot date or datetime property value: an ISO date ("2025-01-31"), an ISO
    datetime ("2025-01-31T00:00:00Z": its UTC date, taken as UTC without an offset), or
    epoch milliseconds. Anything else is no date."""
    if not value or not value.strip():
        return None
    text = value.strip()
    try:
        if text.isascii() and text.isdigit():
            return datetime.fromtimestamp(int(text) / 1000, tz=UTC).date()
        if len(text) == 10:
            return date.fromisoformat(text)
        moment = datetime.fromisoformat(text)
        return (moment if moment.tzinfo is None else moment.astimezone(UTC)).date()
    except (ValueError, OverflowError, OSError):
        return None


def parse_amount(value: str | None) -> Decimal | None:
    """An amount as HubSpot writes it ("12500.50", "1.25E4"), plain and exact; None for
    none, and for one that is not a finite number below MAX_AMOUNT."""
    number = _decimal(value)
    if number is None or abs(number) >= MAX_AMOUNT:
        return None
    if -int(number.as_tuple().exponent) > MAX_DECIMALS:
        return None
    return Decimal(format(number, "f"))


def parse_currency(value: str | None) -> str | None:
    """A three-letter currency code, upper case; None for anything else."""
    text = (value or "").strip().upper()
    return text if CURRENCY.fullmatch(text) else None


def hours_to_units(value: str | None) -> int | None:
    """Hours as whole units, a fraction rounded half up; None when not a finite number
    of at most MAX_HOURS_DIGITS digits before the point."""
    hours = _decimal(value)
    if hours is None or hours.adjusted() >= MAX_HOURS_DIGITS:
        return None
    return int(hours.to_integral_value(rounding=ROUND_HALF_UP))


def _decimal(value: str | None) -> Decimal | None:
    text = (value or "").strip()
    if not text.isascii():
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None
