"""Locators: tiny streams whose id is the id of something that lives inside another
aggregate (an activity inside an allocation, a project inside an engagement), and
whose one event says where it lives.

They are saved in the same atomic write as the event that creates the thing, so the
lookup can never lag behind it, and a second thing with the same id is refused by
the event store itself. An activity moved to another allocation is relocated in the same
write as its move, which its locator remembers by request so that a retry is answered.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate


class Locator(Aggregate):
    class Located(Aggregate.Created):
        kind: str
        owner_id: UUID

    def __init__(self, kind: str, owner_id: UUID):
        self.kind = kind
        self.owner_id = owner_id
        # Request id -> the relocation it made: its version, and from and to which owner.
        self.moves: dict[str, dict[str, Any]] = {}

    @classmethod
    def place(cls, *, id: UUID, kind: str, owner_id: UUID) -> Locator:
        """The locator of thing `id` (a "project" or an "activity") inside `owner_id`."""
        return cls._create(cls.Located, id=id, kind=kind, owner_id=owner_id)

    def relocate(self, *, owner_id: UUID, request_id: str, actor: str) -> None:
        """The thing now lives in `owner_id` (an activity moved to another allocation)."""
        self.trigger_event(
            self.Relocated,
            owner_id=owner_id,
            previous_owner_id=self.owner_id,
            request_id=request_id,
            actor=actor,
        )

    class Relocated(Aggregate.Event):
        owner_id: UUID
        previous_owner_id: UUID
        request_id: str
        actor: str

        def apply(self, locator: Locator) -> None:
            locator.moves[self.request_id] = {
                "version": self.originator_version,
                "from": self.previous_owner_id,
                "to": self.owner_id,
            }
            locator.owner_id = self.owner_id
