"""What every command shares (this module holds none itself): the outcome of a command
with its log position, retries on a concurrent write, and a request id fixed before the
first attempt.

Retried client requests (`Idempotency-Key`) are recognised without a side table: the
key becomes the id of what the request creates (or is remembered by the aggregate it
changes), so the event store itself refuses to apply it twice. A request without a key
gets a fresh id here, before the first attempt: if a write's commit is reported as
failed but did happen, the retry finds its own first attempt instead of writing twice.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar
from uuid import UUID, uuid4

from eventsourcing.persistence import IntegrityError

from service.application.errors import ConcurrentChange

T = TypeVar("T")

CONFLICT_RETRIES = 5


@dataclass(frozen=True)
class Written(Generic[T]):
    """The outcome of a command: what it produced, the log position of its last
    event, and whether it merely repeated an earlier identical request."""

    value: T
    position: int
    replayed: bool = False


@dataclass(frozen=True)
class RequestId:
    """The id a command is known by: the client's Idempotency-Key (made unique per
    token and route by the web layer) or one made here."""

    value: UUID
    from_client: bool

    @classmethod
    def of(cls, client_key: UUID | None) -> RequestId:
        if client_key is None:
            return cls(uuid4(), from_client=False)
        return cls(client_key, from_client=True)

    @property
    def key(self) -> str:
        """How an aggregate remembers the requests it has handled."""
        return str(self.value)


def command(method: Callable[..., Written[T]]) -> Callable[..., Written[T]]:
    """Run a command, retrying it with fresh state when another writer got to the same
    stream first (the store refuses a second event at one version), then 409.

    The wrapped method receives `request: RequestId`, fixed once for all attempts from
    the `caller`'s request id (a command no person calls, such as HubSpot's, takes no
    caller and gets a fresh one)."""

    @functools.wraps(method)
    def run(self: Any, *args: Any, **kwargs: Any) -> Written[T]:
        caller = kwargs.get("caller")
        request = RequestId.of(caller.request_id if caller is not None else None)
        for attempt in range(CONFLICT_RETRIES):
            try:
                return method(self, *args, request=request, **kwargs)
            except IntegrityError:
                time.sleep(0.005 * (2**attempt))
        raise ConcurrentChange("the resource was changed concurrently; please retry")

    return run
