"""The write side's domain model: aggregates and their events, free of Flask and HTTP."""

from service.domain.allocation import Allocation
from service.domain.engagement import Engagement, engagement_id_for_deal
from service.domain.errors import Conflict, DomainError, NotFound, RuleViolation
from service.domain.locator import Locator
from service.domain.team_member import TeamMember, team_member_id

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
