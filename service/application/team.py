"""Team commands: register a member, change their capacity from a date, record a
departure."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from types import EllipsisType
from typing import Any

from service.application.base import LedgerBase
from service.application.caller import Caller
from service.application.commands import RequestId, Written, command
from service.domain import Conflict, NotFound, RuleViolation, TeamMember, team_member_id


class TeamCommands(LedgerBase):
    @command
    def register_team_member(
        self, *, handle: str, caller: Caller, request: RequestId, **details: Any
    ) -> Written[TeamMember]:
        """Register `handle` once. `details`: the rest of the registration by name, as
        the `TeamMemberRegistered` event (service/domain/team_member.py) declares it.

        A request with its own key (an API client's Idempotency-Key, a page's form key)
        that repeats the stored registration word for word, from the same person, is
        answered with it: the handle, not the key, names the member, so a retry is
        recognised by what it says."""
        member_id = team_member_id(handle)
        if self.exists(member_id):
            asked = {"handle": handle, "actor": caller.actor, **details}
            if request.from_client and self.stored_fields(member_id, 1, asked) == asked:
                return Written(
                    self.get(TeamMember, member_id), self.position_of(member_id, 1), True
                )
            raise Conflict(f"team member {handle} is already registered")
        member = TeamMember.register(handle=handle, actor=caller.actor, **details)
        return self.save_all(member, value=member)

    @command
    def update_team_member(
        self,
        handle: str,
        *,
        caller: Caller,
        request: RequestId,
        fte: Decimal | None = None,
        effective_date: date | None = None,
        departed_on: date | None = None,
        email: str | None | EllipsisType = ...,
        line_manager: str | None = None,
    ) -> Written[TeamMember]:
        """`email`: where the member's notifications go from now on (None: nowhere;
        left out, `...`: unchanged). `line_manager`: who reviews their work from now on."""
        if fte is None and departed_on is None and email is ... and line_manager is None:
            raise RuleViolation(
                "give fte (with effective_date), line_manager, departed_on or email"
            )
        if fte is not None and effective_date is None:
            raise RuleViolation("a new fte needs its effective_date", "effective_date")
        member = self.team_member(handle)
        if email is not ...:
            member.change_email(email=email, actor=caller.actor)
        if line_manager is not None:
            member.change_line_manager(line_manager=line_manager, actor=caller.actor)
        if fte is not None and effective_date is not None:
            member.change_capacity(fte=fte, effective_date=effective_date, actor=caller.actor)
        if departed_on is not None:
            member.depart(effective_date=departed_on, actor=caller.actor)
        return self.save_all(member, value=member)

    def departure_of(self, handle: str | None, as_of: datetime | None = None) -> date | None:
        """The date `handle`'s departure takes effect, as recorded now (or by `as_of`);
        None for nobody, someone not registered, or someone with no departure recorded.
        What an allocation's `provider_departed` and a departed member's token ask."""
        if handle is None:
            return None
        if as_of is None:
            try:
                return self.get(TeamMember, team_member_id(handle)).departed_on
            except NotFound:
                return None
        for event in self.events.get(team_member_id(handle)):
            if event.timestamp > as_of:
                break
            if isinstance(event, TeamMember.TeamMemberDeparted):
                return event.effective_date
        return None

    def team_member(self, handle: str) -> TeamMember:
        try:
            return self.get(TeamMember, team_member_id(handle))
        except NotFound:
            raise NotFound(f"team member {handle} is not registered") from None
