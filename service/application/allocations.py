"""Allocation commands: grant, amend, cancel. The engagement keeps each project's
schedule, so a grant or a new end date is saved with the engagement's booking in one
atomic write, and two overlapping grants cannot both get through."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from service.application.base import LedgerBase
from service.application.caller import Caller
from service.application.commands import RequestId, Written, command
from service.application.idempotency import replay_of_change, replay_of_creation
from service.domain import Allocation, Engagement


class AllocationCommands(LedgerBase):
    @command
    def grant_allocation(
        self, project_id: UUID, *, caller: Caller, request: RequestId, **terms: Any
    ) -> Written[Allocation]:
        """`terms`: the allocation's by name, as `AllocationGranted` declares them
        (service/domain/allocation.py: dates, units, description, provider)."""
        engagement = self.engagement_of_project(project_id)
        replay = replay_of_creation(
            self, Allocation, request.value, terms | {"project_id": project_id}
        )
        if replay:
            return replay
        if terms.get("provider") is not None:
            provider = self.registered_member(terms["provider"], "provider")
            provider.require_stays_until(terms["end_date"])
        allocation = Allocation.grant(
            id=request.value,
            engagement_id=engagement.id,
            project_id=project_id,
            actor=caller.actor,
            granted_at=self.clock.moment(),
            **terms,
        )
        engagement.book_allocation(
            project_id=project_id,
            allocation_id=allocation.id,
            start_date=allocation.start_date,
            end_date=allocation.end_date,
            actor=caller.actor,
        )
        return self.save_all(engagement, allocation, value=allocation)

    @command
    def amend_allocation(
        self,
        allocation_id: UUID,
        *,
        reason: str,
        caller: Caller,
        request: RequestId,
        units: int | None = None,
        end_date: date | None = None,
        description: str | None = None,
        provider: str | None = None,
    ) -> Written[Allocation]:
        """Change terms, or hand the allocation to another `provider`: a registered
        member on the team to the allocation's end (its new end, if that changes too)."""
        allocation = self.get(Allocation, allocation_id)
        if provider is not None:
            self.registered_member(provider, "provider").require_stays_until(
                end_date or allocation.end_date
            )
        allocation.amend(
            reason=reason,
            actor=caller.actor,
            units=units,
            end_date=end_date,
            description=description,
            provider=provider,
        )
        if end_date is None:
            return self.save_all(allocation, value=allocation)
        engagement = self.get(Engagement, allocation.engagement_id)
        engagement.book_allocation(
            project_id=allocation.project_id,
            allocation_id=allocation.id,
            start_date=allocation.start_date,
            end_date=end_date,
            actor=caller.actor,
        )
        return self.save_all(engagement, allocation, value=allocation)

    @command
    def cancel_allocation(
        self, allocation_id: UUID, *, reason: str, caller: Caller, request: RequestId
    ) -> Written[Allocation]:
        allocation = self.get(Allocation, allocation_id)
        replay = replay_of_change(self, allocation, request)
        if replay:
            return replay
        allocation.cancel(reason=reason, actor=caller.actor, request_id=request.key)
        engagement = self.get(Engagement, allocation.engagement_id)
        engagement.release_allocation(
            project_id=allocation.project_id, allocation_id=allocation.id, actor=caller.actor
        )
        return self.save_all(engagement, allocation, value=allocation)
