"""Answering a retried request with the outcome of its first attempt.

A retry with the same key must get the same answer (same id, same position) and
change nothing; the same key with a different body is refused (422), because the
client has mixed up two requests."""

from __future__ import annotations

from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.domain import Aggregate

from service.application.base import LedgerBase
from service.application.commands import RequestId, Written
from service.application.errors import IdempotencyKeyReused
from service.domain import Allocation, NotFound

A = TypeVar("A", bound=Aggregate)


def replay_of_creation(
    ledger: LedgerBase, cls: type[A], originator_id: UUID, fields: dict[str, Any]
) -> Written[A] | None:
    """The earlier outcome of a request that created `originator_id`, if it exists."""
    if not ledger.exists(originator_id):
        return None
    existing = ledger.get(cls, originator_id)
    require_same_request(ledger.stored_fields(originator_id, 1, fields), fields)
    return Written(existing, ledger.position_of(originator_id, 1), replayed=True)


def replay_of_change(
    ledger: LedgerBase, allocation: Allocation, request: RequestId, value: Any = None
) -> Written[Any] | None:
    """The earlier outcome of a change the allocation remembers handling."""
    version = allocation.handled_requests.get(request.key)
    if version is None:
        return None
    position = ledger.position_of(allocation.id, version)
    return Written(value or allocation, position, replayed=True)


def replay_of_activity_change(
    ledger: LedgerBase, allocation: Allocation, activity_id: UUID, request: RequestId
) -> Written[Any] | None:
    """The earlier outcome of a correction or retraction of the activity. The allocation
    that remembers it is the one the activity was on then: retried after the activity
    was moved on, the change is found on an earlier allocation its locator names, and
    answered from there instead of being applied a second time."""
    replay = replay_of_change(ledger, allocation, request, value=(allocation, activity_id))
    if replay is not None or not request.from_client:
        return replay
    for move in ledger.located(activity_id, "activity").moves.values():
        earlier = ledger.get(Allocation, UUID(str(move["from"])))
        replay = replay_of_change(ledger, earlier, request, value=(earlier, activity_id))
        if replay is not None:
            return replay
    return None


def replay_of_recording(
    ledger: LedgerBase, allocation: Allocation, request: RequestId, fields: dict[str, Any]
) -> Written[tuple[Allocation, UUID]] | None:
    """The earlier outcome of a recording (the request id is the activity's id).

    The allocation may have been loaded just before the first attempt committed (a
    retry racing its original): then the activity's locator exists though the activity
    is not in this copy. The locator says where the key was used; on this allocation,
    a fresh load (`get` fast-forwards the cached copy from the store) has the activity,
    saved in the same write as its locator. Only a client's key can have been used
    before, here or on another allocation; an id made here cannot, which spares a query."""
    activity = allocation.activities.get(request.key)
    if activity is None and request.from_client and ledger.exists(request.value):
        if _owner_of(ledger, request.value) != allocation.id:
            raise IdempotencyKeyReused("the Idempotency-Key was used for another allocation")
        allocation = ledger.get(Allocation, allocation.id)
        activity = allocation.activities.get(request.key)
        assert activity is not None, "an activity is saved with its locator"
    if activity is None:
        return None
    version = activity.recorded_version
    require_same_request(ledger.stored_fields(allocation.id, version, fields), fields)
    position = ledger.position_of(allocation.id, version)
    return Written((allocation, request.value), position, replayed=True)


def _owner_of(ledger: LedgerBase, activity_id: UUID) -> UUID | None:
    """The allocation an activity's locator points to (None: the id is no activity's)."""
    try:
        return ledger.located(activity_id, "activity").owner_id
    except NotFound:
        return None


def require_same_request(original: dict[str, Any] | None, repeated: dict[str, Any]) -> None:
    if original != repeated:
        raise IdempotencyKeyReused("the Idempotency-Key was already used for a different request")
