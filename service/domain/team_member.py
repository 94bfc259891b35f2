"""A team member and the history of their capacity (FTE fraction by effective date)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from service.domain.errors import Conflict, RuleViolation

TEAM_NAMESPACE = uuid5(NAMESPACE_URL, "urn:community-enablement:team-member")


def team_member_id(handle: str) -> UUID:
    """Members are addressed by handle; the stream id follows from it."""
    return uuid5(TEAM_NAMESPACE, handle)


def require_fte(fte: Decimal) -> None:
    if not (Decimal(0) < fte <= Decimal(1)):
        raise RuleViolation("fte must be more than 0 and at most 1", "fte")


class TeamMember(Aggregate):
    class TeamMemberRegistered(Aggregate.Created):
        handle: str
        name: str
        line_manager: str
        fte: Decimal
        effective_date: date
        actor: str

    def __init__(
        self,
        handle: str,
        name: str,
        line_manager: str,
        fte: Decimal,
        effective_date: date,
        actor: str,
    ):
        self.handle = handle
        self.name = name
        self.line_manager = line_manager
        # [[effective date, fte], ...] in date order; earlier months keep their FTE.
        self.capacity_history: list[list] = [[effective_date, fte]]
        self.departed_on: date | None = None

    @classmethod
    def register(
        cls,
        *,
        handle: str,
        name: str,
        line_manager: str,
        fte: Decimal,
        effective_date: date,
        actor: str,
    ) -> TeamMember:
        if not handle.strip():
            raise RuleViolation("a handle is required", "handle")
        require_fte(fte)
        return cls._create(
            cls.TeamMemberRegistered,
            id=team_member_id(handle),
            handle=handle,
            name=name,
            line_manager=line_manager,
            fte=fte,
            effective_date=effective_date,
            actor=actor,
        )

    def change_capacity(self, *, fte: Decimal, effective_date: date, actor: str) -> None:
        self._require_present()
        require_fte(fte)
        self.trigger_event(
            self.CapacityChanged, fte=fte, effective_date=effective_date, actor=actor
        )

    class CapacityChanged(Aggregate.Event):
        """A new FTE from its effective date; one of the same date is replaced."""

        fte: Decimal
        effective_date: date
        actor: str

        def apply(self, member: TeamMember) -> None:
            history = [e for e in member.capacity_history if e[0] != self.effective_date]
            history.append([self.effective_date, self.fte])
            member.capacity_history = sorted(history, key=lambda entry: entry[0])

    def depart(self, *, effective_date: date, actor: str) -> None:
        self._require_present()
        self.trigger_event(self.TeamMemberDeparted, effective_date=effective_date, actor=actor)

    class TeamMemberDeparted(Aggregate.Event):
        effective_date: date
        actor: str

        def apply(self, member: TeamMember) -> None:
            member.departed_on = self.effective_date

    def fte_on(self, day: date) -> Decimal:
        """The FTE in force on a day: zero before joining and after departing."""
        if self.departed_on is not None and day >= self.departed_on:
            return Decimal(0)
        current = Decimal(0)
        for effective, fte in self.capacity_history:
            if effective <= day:
                current = fte
        return current

    @property
    def fte(self) -> Decimal:
        return self.capacity_history[-1][1]

    def _require_present(self) -> None:
        if self.departed_on is not None:
            raise Conflict(f"{self.handle} has departed")
