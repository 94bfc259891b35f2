"""What a HubSpot webhook batch says, reduced to the deals whose stage changed.

Pure translation, no I/O: the webhook route and the replay command both parse with
it, so a saved body is judged exactly as the live delivery was.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from service.infra.input_policy import (
    InputRefused,
    date_problem,
    id_problem,
    loads_json,
    text_problem,
)

MAX_EVENTS = 100
DEAL_OBJECT_TYPE = "0-3"
MAX_STAGE_LENGTH = 100
"""Stage ids are short ("closedwon", a UUID, a number); a longer value is no stage."""


class PayloadError(ValueError):
    """The body is not a batch of HubSpot webhook events (400); says what is wrong."""


@dataclass(frozen=True)
class StageChange:
    """One event saying that a deal moved to `stage`; `won` when that stage is one of
    the configured closed-won stages."""

    portal_id: int
    deal_id: str
    stage: str
    event_id: int
    occurred_at: datetime | None
    won: bool = True


ClosedWon = StageChange
"""A stage change to a closed-won stage (its `won` is true)."""


def parse_stage_changes(body: bytes, closed_won_stages: frozenset[str]) -> list[StageChange]:
    """The deal stage changes of a webhook body, won or not; other events are dropped.

    Only the fields an event needs to be acted on are checked, so an event type we
    do not use can never make HubSpot's delivery fail."""
    try:
        events = loads_json(body)
    except InputRefused as error:
        raise PayloadError(str(error)) from None
    if not isinstance(events, list) or not all(isinstance(e, dict) for e in events):
        raise PayloadError("the body must be a JSON array of webhook event objects")
    if len(events) > MAX_EVENTS:
        raise PayloadError(f"a batch holds at most {MAX_EVENTS} events, this one {len(events)}")
    return [
        _stage_change(index, event, closed_won_stages)
        for index, event in enumerate(events)
        if _is_stage_change(event)
    ]


def parse_batch(body: bytes, closed_won_stages: frozenset[str]) -> list[StageChange]:
    """The closed-won deal events of a webhook body."""
    return [change for change in parse_stage_changes(body, closed_won_stages) if change.won]


def _is_stage_change(event: dict[str, Any]) -> bool:
    kind = event.get("subscriptionType")
    is_deal = kind == "deal.propertyChange" or (
        kind == "object.propertyChange" and event.get("objectTypeId") == DEAL_OBJECT_TYPE
    )
    stage = event.get("propertyValue")
    return (
        is_deal
        and event.get("propertyName") == "dealstage"
        and isinstance(stage, str)
        and 0 < len(stage)
        and text_problem(stage, MAX_STAGE_LENGTH) is None
    )


def _stage_change(index: int, event: dict[str, Any], stages: frozenset[str]) -> StageChange:
    return StageChange(
        portal_id=_required_int(index, event, "portalId"),
        deal_id=str(_required_int(index, event, "objectId")),
        stage=event["propertyValue"],
        event_id=_required_int(index, event, "eventId"),
        occurred_at=_occurred_at(index, event.get("occurredAt")),
        won=event["propertyValue"] in stages,
    )


def _occurred_at(index: int, value: Any) -> datetime | None:
    if value is None:
        return None
    try:
        if id_problem(value) is not None or isinstance(value, str):
            raise ValueError
        moment = datetime.fromtimestamp(value / 1000, tz=UTC)
    except (OverflowError, OSError, ValueError):
        raise PayloadError(
            f"event {index}: occurredAt must be milliseconds since the epoch"
        ) from None
    problem = date_problem(moment.date())
    if problem:
        raise PayloadError(f"event {index}: occurredAt {problem}")
    return moment


def _required_int(index: int, event: dict[str, Any], name: str) -> int:
    """An id of the event (portal, deal, event): by the input policy's rule for ids,
    a number or its plain digits, which HubSpot's own tools sometimes send."""
    value = event.get(name)
    problem = id_problem(value)
    if problem:
        raise PayloadError(f"event {index}: {name} {problem}, not {value!r:.40}")
    return int(value)
