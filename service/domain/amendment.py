"""Amending an allocation's terms: which terms may change, and what an amendment must
give. The event, `AllocationAmended`, stays on the aggregate, whose module is its
stored topic; its upcast is here."""

from __future__ import annotations

from typing import Any

from service.domain.errors import RuleViolation
from service.domain.rules import require_positive_units, require_reason

AMENDABLE = ("units", "end_date", "description", "provider")


def require_amendment(reason: str, terms: dict[str, Any]) -> None:
    """At least one term changed (None: unchanged), with a reason; units still positive.
    The new end date is the allocation's to check against its start and activities; a
    new provider the application's (registered, on the team to the end)."""
    require_reason(reason)
    if all(terms.get(term) is None for term in AMENDABLE):
        raise RuleViolation(f"give at least one of {', '.join(AMENDABLE)}")
    if terms.get("units") is not None:
        require_positive_units(terms["units"])


def no_provider_change(state: dict[str, Any]) -> None:
    """Upcast an `AllocationAmended` stored before amendments could name a provider
    (class version 1): it changed none. Applied on loading; the log is never rewritten."""
    state["provider"] = None
