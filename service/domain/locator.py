"""Locators: tiny streams whose id is the id of something that lives inside another
aggregate (an activity inside an allocation, a project inside an engagement), and
whose one event says where it lives.

They are saved in the same atomic write as the event that creates the thing, so the
lookup can never lag behind it, and a second thing with the same id is refused by
the event store itself.
"""

from __future__ import annotations

from uuid import UUID

from eventsourcing.domain import Aggregate


class Locator(Aggregate):
    class Located(Aggregate.Created):
        kind: str
        owner_id: UUID

    def __init__(self, kind: str, owner_id: UUID):
        self.kind = kind
        self.owner_id = owner_id

    @classmethod
    def place(cls, *, id: UUID, kind: str, owner_id: UUID) -> Locator:
        """The locator of thing `id` (a "project" or an "activity") inside `owner_id`."""
        return cls._create(cls.Located, id=id, kind=kind, owner_id=owner_id)
