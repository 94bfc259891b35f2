"""The input policy (service/infra/input_policy.py) applied to a deal HubSpot sent.

A deal is not a request the service can refuse: anyone who may edit it in the portal
decides what its name, dates and hours hold, and the follower must still record the
engagement's details. So each field that breaks the policy is taken as missing (None),
and the refusal is recorded on the engagement (`HubSpotFieldRefused`: the field and why,
never the value) for BD to see in the audit log. What passes is what the API would have
accepted: text without control characters or lone surrogates and within the API's
lengths, dates within the policy's range, hours a whole number the API grants, ids
the webhook takes. Only the properties the service asks for are kept.

Pure, no I/O: `checked_deal` is the one gate between the HubSpot client and the ledger.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import NamedTuple

from integrations.hubspot.deal import (
    Deal,
    hours_to_units,
    parse_amount,
    parse_currency,
    parse_date,
    properties_to_fetch,
)
from service.infra.config import HubSpotSettings
from service.infra.input_policy import (
    MAX_NAME_LENGTH,
    MAX_TEXT_LENGTH,
    MAX_UNITS,
    date_problem,
    id_problem,
    text_problem,
    whole_number_problem,
)


class Refusal(NamedTuple):
    """A field of the deal taken as missing: where it is ("properties.dealname",
    "company.name") and why, in words that never quote the value."""

    field: str
    reason: str


def checked_deal(deal: Deal, settings: HubSpotSettings, deal_id: str) -> tuple[Deal, list[Refusal]]:
    """The deal with every field that breaks the policy set to None, and the refusals.
    `deal_id` is the id the deal was asked for (recorded by the webhook or the poll,
    so within the policy): a deal answered under another id is recorded under the one
    asked for, with `id` refused."""
    refusals: list[Refusal] = []

    def checked(field: str, value: object, problem: Callable[[str], str | None]) -> str | None:
        if value is None:
            return None
        reason = "is not text" if not isinstance(value, str) else problem(value)
        if reason is None:
            return value  # type: ignore[return-value]
        refusals.append(Refusal(field, reason))
        return None

    rules = _property_rules(settings)
    properties = {
        name: checked(f"properties.{name}", deal.properties.get(name), rules.get(name, _text))
        for name in properties_to_fetch(settings)
        if name in deal.properties
    }
    if deal.id != deal_id:
        refusals.append(Refusal("id", f"is not the deal asked for ({deal_id})"))
    company_id = checked("company.id", deal.company_id, id_problem)
    company_name = checked("company.name", deal.company_name, _name)
    clean = dataclasses.replace(
        deal,
        id=deal_id,
        properties=properties,
        company_id=company_id,
        company_name=company_name if company_id is not None else None,
    )
    return clean, refusals


def _property_rules(settings: HubSpotSettings) -> dict[str, Callable[[str], str | None]]:
    """How each property the service reads is checked; any other is plain text."""
    return {
        "dealname": _name,
        "amount": _amount,
        "deal_currency_code": _currency,
        settings.start_property: _date,
        settings.end_property: _date,
        settings.hours_property: _hours,
    }


def _text(value: str) -> str | None:
    return text_problem(value, MAX_TEXT_LENGTH)


def _name(value: str) -> str | None:
    return text_problem(value, MAX_NAME_LENGTH)


def _short(value: str, problem: Callable[[str], str | None]) -> str | None:
    """A value that is blank (no value) or passes `problem`, after the text policy."""
    return text_problem(value, MAX_NAME_LENGTH) or (problem(value) if value.strip() else None)


def _date(value: str) -> str | None:
    def problem(text: str) -> str | None:
        day = parse_date(text)
        if day is None:
            return "is not a date (YYYY-MM-DD, an ISO 8601 date-time or epoch milliseconds)"
        return date_problem(day)

    return _short(value, problem)


def _hours(value: str) -> str | None:
    def problem(text: str) -> str | None:
        units = hours_to_units(text)
        if units is not None and whole_number_problem(units, 1, MAX_UNITS) is None:
            return None
        return f"must be a number of hours from 1 to {MAX_UNITS} (rounded to whole hours)"

    return _short(value, problem)


def _amount(value: str) -> str | None:
    def problem(text: str) -> str | None:
        return None if parse_amount(text) is not None else "is not a plain number below 10^15"

    return _short(value, problem)


def _currency(value: str) -> str | None:
    def problem(text: str) -> str | None:
        return None if parse_currency(text) is not None else "is not a three-letter currency code"

    return _short(value, problem)
