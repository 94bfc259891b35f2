"""The application layer: the ledger's commands and the history queries, on the
domain model and the event store; no Flask, no HTTP, no HubSpot."""

from service.application.clock import Clock, FixedClock
from service.application.commands import Written
from service.application.errors import ConcurrentChange, Forbidden, IdempotencyKeyReused
from service.application.ledger import Ledger

__all__ = [
    "Clock",
    "ConcurrentChange",
    "FixedClock",
    "Forbidden",
    "IdempotencyKeyReused",
    "Ledger",
    "Written",
]
