"""Saving a member's week (My week, service/web/pages/my_week.py): every new cell
recorded, every changed one corrected, every cleared one retracted, by the rules of the
activity commands (service/application/activities.py), in one atomic write.

The plan is made against the allocations as the ledger holds them now
(service/domain/week.py), so a grid sent again plans nothing and writes nothing. If any
cell is refused, nothing is written: the refusal names every refused cell. Two saves
of the same grid racing each other write the same events at the same versions; the
store takes one, and the other, planned afresh (`command`), finds nothing left to do."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from uuid import UUID, uuid5

from service.application import access
from service.application.activities import ActivityCommands, Checks
from service.application.caller import Caller
from service.application.commands import RequestId, Written, command
from service.domain import Allocation, DomainError, Locator, RuleViolation
from service.domain.week import (
    Cell,
    Correct,
    Entry,
    Record,
    Retract,
    Stated,
    Step,
    Week,
    held_cells,
    plan_week,
)

CORRECTED_ON_THE_WEEK = "changed on My week"
RETRACTED_ON_THE_WEEK = "cleared on My week"


class WeekRefused(RuleViolation):
    """Cells of a week the ledger refused, each with its reason; nothing was written."""

    def __init__(self, cells: dict[Cell, str]):
        super().__init__(f"{len(cells)} of the week's cells could not be saved; nothing was")
        self.cells = cells


@dataclass(frozen=True)
class WeekSaved:
    steps: tuple[Step, ...]
    """What the save did (none: the ledger held the grid already)."""
    remaining: dict[UUID, int]
    """The units remaining on each allocation of the grid, after the save."""


class WeekCommands(ActivityCommands):
    @command
    def save_week(
        self,
        member: str,
        week: Week,
        wanted: Mapping[Cell, Entry | None],
        *,
        caller: Caller,
        request: RequestId,
    ) -> Written[WeekSaved]:
        """Make the member's cells of the week what `wanted` says (None: empty); cells
        not in it are left alone."""
        access.require_own_work(caller, member, "record")
        outside = [cell for cell in wanted if cell.day not in week.days]
        if outside:
            raise RuleViolation(f"{outside[0].day.isoformat()} is not in the week {week}")
        ids = sorted({cell.allocation_id for cell in wanted})
        allocations = {allocation_id: self.get(Allocation, allocation_id) for allocation_id in ids}
        plan = plan_week(held_cells(_stated(allocations.values()), member, week), wanted)
        refused = dict(plan.refused)
        locators: list[Locator] = []
        checks = Checks(self)
        for step in plan.steps:
            allocation = allocations[step.cell.allocation_id]
            try:
                locators.extend(self._take(step, allocation, member, caller, request, checks))
            except DomainError as error:
                refused[step.cell] = error.message
        if refused:
            raise WeekRefused(refused)
        saved = WeekSaved(plan.steps, {key: a.units_remaining for key, a in allocations.items()})
        changed = [allocation for allocation in allocations.values() if allocation.pending_events]
        if not changed:
            return Written(saved, self.recorder.max_notification_id() or 0, replayed=True)
        return self.save_all(*locators, *changed, value=saved)

    def _take(
        self,
        step: Step,
        allocation: Allocation,
        member: str,
        caller: Caller,
        request: RequestId,
        checks: Checks,
    ) -> list[Locator]:
        """Apply one step to its allocation in memory; the locators to save with it."""
        if isinstance(step, Record):
            # Known by the request, the cell and the allocation as it stands: a retry of
            # the same save makes the same id (and the store refuses it twice).
            activity_id = uuid5(
                request.value, f"{step.cell.allocation_id}/{step.cell.day}/{allocation.version}"
            )
            work = {
                "team_member": member,
                "units": step.entry.units,
                "description": step.entry.description,
                "date_from": step.cell.day,
                "date_to": step.cell.day,
            }
            return [self._record_on(allocation, activity_id, caller, work, checks)]
        if isinstance(step, Correct):
            self._correct_on(
                allocation,
                step.activity_id,
                caller,
                dict(step.changes),
                CORRECTED_ON_THE_WEEK,
                request.key,
                checks,
            )
        elif isinstance(step, Retract):
            self._retract_on(
                allocation, step.activity_id, caller, RETRACTED_ON_THE_WEEK, request.key, checks
            )
        return []


def _stated(allocations: Iterable[Allocation]) -> Iterable[Stated]:
    """The activities that count on the allocations, as the week's plan reads them."""
    for allocation in allocations:
        for key, activity in allocation.activities.items():
            if activity.counts:
                yield Stated(
                    allocation_id=allocation.id,
                    activity_id=UUID(key),
                    team_member=activity.team_member,
                    units=activity.units,
                    description=activity.description,
                    date_from=activity.date_from,
                    date_to=activity.date_to,
                )
