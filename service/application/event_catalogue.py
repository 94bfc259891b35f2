"""The kinds of stream the log holds and the event types of each: the one catalogue
the audit log's filters (the API's `event_type`, the page's list), its bookkeeping rule
and the page's stream labels are read from; and an event as the audit trail shows it
(`audit_entry`), the same in the API's answers and on the audit page.

The event types are read from the domain's classes, so an event type added there is
known here without a change; a new kind of aggregate is added to STREAM_KINDS."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from eventsourcing.domain import Aggregate, CanMutateAggregate
from eventsourcing.utils import resolve_topic

from service.domain import Allocation, Engagement, Locator, TeamMember
from service.domain.deal_poll import DealPollCheckpoint
from service.domain.notification import Notification, NotificationChoices
from service.domain.people import Identity, Person, SignInRefusal
from service.domain.period import PeriodCalendar
from service.domain.tokens import ApiToken


@dataclass(frozen=True)
class StreamKind:
    label: str
    """what the audit page calls a stream of this kind"""
    aggregate: type[Aggregate]
    bookkeeping: bool = False
    """its events are bookkeeping, not the ledger's record: the log hides them unless
    asked for"""

    @property
    def event_types(self) -> tuple[str, ...]:
        """The names of the aggregate's event classes, in the order it declares them."""
        return tuple(
            name
            for name, value in vars(self.aggregate).items()
            if isinstance(value, type)
            and issubclass(value, CanMutateAggregate)
            and name not in ("Event", "Created")
        )


STREAM_KINDS: tuple[StreamKind, ...] = (
    StreamKind("Engagement", Engagement),
    StreamKind("Allocation", Allocation),
    StreamKind("Team member", TeamMember),
    StreamKind("Period calendar", PeriodCalendar),
    # What was sent to whom and when, and who switched which kind off.
    StreamKind("Notification", Notification),
    StreamKind("Notification choices", NotificationChoices),
    # Bookkeeping: tokens (issued, revoked, sign-in links), people (given a role by
    # email, signed in with a provider, refused), locators (where an activity or a
    # project lives) and the HubSpot poll's checkpoint.
    StreamKind("Token", ApiToken, bookkeeping=True),
    StreamKind("Person", Person, bookkeeping=True),
    StreamKind("Identity", Identity, bookkeeping=True),
    StreamKind("Sign-in refusal", SignInRefusal, bookkeeping=True),
    StreamKind("Locator", Locator, bookkeeping=True),
    StreamKind("HubSpot poll", DealPollCheckpoint, bookkeeping=True),
)

KIND_OF_TYPE = {name: kind for kind in STREAM_KINDS for name in kind.event_types}
EVENT_TYPES = frozenset(KIND_OF_TYPE)
INTERNAL_EVENT_TYPES = frozenset(name for name, kind in KIND_OF_TYPE.items() if kind.bookkeeping)


def stream_label(event_type: str) -> str:
    """What the audit page calls the stream an event of this type belongs to."""
    kind = KIND_OF_TYPE.get(event_type)
    return "Stream" if kind is None else kind.label


@cache
def type_of(topic: str) -> str:
    """The event type (class name) a stored topic names; its last part when the class
    cannot be found (an event is never hidden for that)."""
    try:
        return resolve_topic(topic).__name__
    except Exception:  # noqa: BLE001 - any topic the code no longer knows
        return topic.rsplit(".", 1)[-1].rsplit(":", 1)[-1]


ENVELOPE = {"originator_id", "originator_version", "timestamp", "originator_topic", "actor"}
"""What every event carries: shown as the entry's own items, not among its fields."""


def audit_entry(domain_event: Any) -> dict[str, Any]:
    """The event as the audit trail shows it: its stream, version, type, moment and
    actor, and its own fields as plain JSON values."""
    state = domain_event.__dict__
    return {
        "stream_id": domain_event.originator_id,
        "version": domain_event.originator_version,
        "event_type": type(domain_event).__name__,
        "timestamp": domain_event.timestamp,
        "actor": state.get("actor"),
        "fields": {k: _plain(v) for k, v in state.items() if k not in ENVELOPE},
    }


def _plain(value: Any) -> Any:
    """Render dates, UUIDs and decimals inside free-form fields as JSON strings."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return value.isoformat() if hasattr(value, "isoformat") else str(value)
