"""A deal as the HubSpot API returned it, and what it means for its engagement.

Pure translation, no I/O: which engagement fields the deal sets, and whether it
carries a contract (dates and hours) to grant as an allocation.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from service.infra.config import HubSpotSettings

log = logging.getLogger(__name__)

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
    float would not keep them. No amount is None; one that is not a plain finite number
    is None too, with a warning, so that a typo in the CRM never stops the details."""
    text = (deal.properties.get("amount") or "").strip()
    if not text:
        return None
    number = _decimal(text)
    if number is None or abs(number) >= MAX_AMOUNT:
        log.warning("HubSpot deal %s: amount %r is not a number; recorded as none", deal.id, text)
        return None
    return Decimal(format(number, "f"))


def currency(deal: Deal) -> str | None:
    """The deal's `deal_currency_code` (ISO 4217, "EUR"), or None; a code that is not
    three letters is None, with a warning."""
    text = (deal.properties.get("deal_currency_code") or "").strip()
    if not text:
        return None
    if not CURRENCY.fullmatch(text.upper()):
        log.warning("HubSpot deal %s: currency %r is not a currency code", deal.id, text[:40])
        return None
    return text.upper()


def contract(deal: Deal, settings: HubSpotSettings) -> Contract | None:
    """The contract the deal carries, if it has valid dates and a positive number of
    hours. Units are whole hours: a fraction is rounded half up."""
    period = _period(deal, settings)
    hours = _decimal(deal.properties.get(settings.hours_property))
    if period is None or hours is None:
        return None
    units = int(hours.to_integral_value(rounding=ROUND_HALF_UP))
    return Contract(period[0], period[1], units) if units > 0 else None


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
        if text.isdigit():
            return datetime.fromtimestamp(int(text) / 1000, tz=UTC).date()
        if len(text) == 10:
            return date.fromisoformat(text)
        moment = datetime.fromisoformat(text)
        return (moment if moment.tzinfo is None else moment.astimezone(UTC)).date()
    except (ValueError, OverflowError, OSError):
        return None


def _decimal(value: str | None) -> Decimal | None:
    try:
        number = Decimal((value or "").strip())
    except InvalidOperation:
        return None
    return number if number.is_finite() else None
