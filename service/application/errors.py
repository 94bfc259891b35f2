"""Refusals the application layer adds to the domain's own (service/domain/errors.py)."""

from service.domain import DomainError


class ConcurrentChange(DomainError):
    """Others kept changing the same stream; the client may retry (409)."""


class Forbidden(DomainError):
    """The caller's token does not allow this (403)."""


class IdempotencyKeyReused(DomainError):
    """The Idempotency-Key was used before for a different request (422)."""
