"""Handing a member's allocations to another provider, as when they leave: each one
as the amendment naming its new provider would (`amend_allocation`: a registered member
on the team to the allocation's end), all in one atomic write, so a hand-over happens
for every allocation named or for none."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from service.application.base import LedgerBase
from service.application.caller import Caller
from service.application.commands import RequestId, Written, command
from service.domain import Allocation, RuleViolation


class HandOverCommands(LedgerBase):
    @command
    def hand_over_allocations(
        self,
        handle: str,
        *,
        provider: str,
        allocation_ids: Sequence[UUID],
        reason: str,
        caller: Caller,
        request: RequestId,
    ) -> Written[list[Allocation]]:
        """Give `provider` the allocations `handle` provides. One already handed to
        `provider` is left as it is, so a hand-over sent again writes nothing more."""
        if provider == handle:
            raise RuleViolation(f"{handle} cannot take over their own allocations", "provider")
        successor = self.registered_member(provider, "provider")
        allocations = [self.get(Allocation, id_) for id_ in dict.fromkeys(allocation_ids)]
        if not allocations:
            raise RuleViolation("choose the allocations to hand over", "allocation_ids")
        changed = []
        for allocation in allocations:
            if allocation.provider == provider:
                continue
            if allocation.provider != handle:
                raise RuleViolation(
                    f"“{allocation.description}” is provided by "
                    f"{allocation.provider or 'nobody'}, not {handle}",
                    "allocation_ids",
                )
            successor.require_stays_until(allocation.end_date)
            allocation.amend(reason=reason, actor=caller.actor, provider=provider)
            changed.append(allocation)
        if not changed:
            last = allocations[-1]
            return Written(allocations, self.position_of(last.id, last.version), replayed=True)
        return self.save_all(*changed, value=allocations)
