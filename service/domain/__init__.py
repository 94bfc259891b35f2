"""The write side's domain model: aggregates and their events, free of Flask and HTTP."""

from .allocation import Allocation
from .engagement import Engagement, engagement_id_for_deal
from .errors import Conflict, DomainError, NotFound, RuleViolation
from .locator import Locator
from .team_member import TeamMember, team_member_id

__all__ = [
    "Allocation",
    "Conflict",
    "DomainError",
    "Engagement",
    "Locator",
    "NotFound",
    "RuleViolation",
    "TeamMember",
    "engagement_id_for_deal",
    "team_member_id",
]
