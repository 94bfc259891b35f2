"""Granting an allocation series: recurring hours (e.g. 8 per quarter) as consecutive
allocations, each its own budget, so nothing is carried over from one period to the
next (service/domain/series.py has the periods).

The whole series is one atomic save: every allocation and every booking in the
project's schedule, or nothing. Each allocation's id is derived from the request id
and its period's index, so a retried request names the same allocations, finds them
and answers the first outcome without writing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from service.application.base import LedgerBase
from service.application.caller import Caller
from service.application.commands import RequestId, Written, command
from service.application.errors import IdempotencyKeyReused
from service.application.idempotency import require_same_request
from service.domain import Allocation
from service.domain.series import series_allocation_id, series_description, series_periods


@dataclass(frozen=True)
class AllocationSeries:
    """What a series grant produced: its id (the request's) and the allocations in
    period order."""

    id: UUID
    every: str
    allocations: list[Allocation]


class SeriesCommands(LedgerBase):
    @command
    def grant_allocation_series(
        self,
        project_id: UUID,
        *,
        units: int,
        every: str,
        start_date: date,
        count: int,
        description: str,
        provider: str | None,
        caller: Caller,
        request: RequestId,
    ) -> Written[AllocationSeries]:
        periods = series_periods(start_date, every, count)
        engagement = self.engagement_of_project(project_id)
        planned = [
            dict(
                start_date=period.start_date,
                end_date=period.end_date,
                units=units,
                description=series_description(description, period.label),
                provider=provider,
            )
            for period in periods
        ]
        ids = [series_allocation_id(request.value, period.index) for period in periods]
        replay = self._replay_of_series(request.value, every, ids, planned, project_id)
        if replay:
            return replay
        if provider is not None:
            # The provider answers for every period: on the team to the series' end.
            self.registered_member(provider, "provider").require_stays_until(periods[-1].end_date)
        granted_at = self.clock.moment()
        allocations = []
        for allocation_id, terms in zip(ids, planned, strict=True):
            allocations.append(
                Allocation.grant(
                    id=allocation_id,
                    engagement_id=engagement.id,
                    project_id=project_id,
                    actor=caller.actor,
                    granted_at=granted_at,
                    **terms,
                )
            )
            engagement.book_allocation(
                project_id=project_id,
                allocation_id=allocation_id,
                start_date=terms["start_date"],
                end_date=terms["end_date"],
                actor=caller.actor,
            )
        series = AllocationSeries(request.value, every, allocations)
        return self.save_all(engagement, *allocations, value=series)

    def _replay_of_series(
        self,
        series_id: UUID,
        every: str,
        ids: list[UUID],
        planned: list[dict[str, Any]],
        project_id: UUID,
    ) -> Written[AllocationSeries] | None:
        """The first outcome of a retried series request, if its allocations exist.

        They were saved together, so the first one existing means all of that request's
        do; the same key with other terms (a different count included) is refused."""
        if not self.exists(ids[0]):
            return None
        for allocation_id, terms in zip(ids, planned, strict=True):
            fields = terms | {"project_id": project_id}
            if not self.exists(allocation_id):
                raise IdempotencyKeyReused(
                    "the Idempotency-Key was already used for a series of fewer periods"
                )
            require_same_request(self.stored_fields(allocation_id, 1, fields), fields)
        if self.exists(series_allocation_id(series_id, len(ids))):
            raise IdempotencyKeyReused(
                "the Idempotency-Key was already used for a series of more periods"
            )
        allocations = [self.get(Allocation, allocation_id) for allocation_id in ids]
        position = self.position_of(ids[-1], 1)
        return Written(AllocationSeries(series_id, every, allocations), position, replayed=True)
