"""Transcodings: how values the library does not know go through the event store.
Dates round-trip as dates (the library covers UUID, Decimal and datetime, not date);
an allocation's activities, kept in its snapshots, as `Activity` values (the way the
library's cargo-shipping example stores its itinerary's legs)."""

from dataclasses import fields
from datetime import date
from typing import Any

from eventsourcing.persistence import Transcoding

from service.domain.activity import Activity


class DateAsISO(Transcoding):
    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


class ActivityAsDict(Transcoding):
    """Every field of the value by name; its dates, moment and ids are transcoded in turn."""

    type = Activity
    name = "activity"

    def encode(self, obj: Activity) -> dict[str, Any]:
        return {field.name: getattr(obj, field.name) for field in fields(obj)}

    def decode(self, data: dict[str, Any]) -> Activity:
        return Activity(**data)


TRANSCODINGS = (DateAsISO(), ActivityAsDict())
"""The project's own, registered with the application's transcoder."""
