"""Errors the domain raises when a command would break one of its rules.

They carry a message meant for the person who sent the command, and optionally the
name of the request field at fault, so the HTTP layer can point at it.
"""


class DomainError(Exception):
    """A command was refused by a rule of the domain."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class RuleViolation(DomainError):
    """The command is well formed but breaks an invariant (answered 422)."""


class NotFound(DomainError):
    """The command names something that does not exist (answered 404)."""


class Conflict(DomainError):
    """The command clashes with the current state, e.g. a second retraction (409)."""
