"""A team member and the history of their capacity (FTE fraction by effective date)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from service.domain.calendar import fte_on
from service.domain.errors import Conflict, RuleViolation

TEAM_NAMESPACE = uuid5(NAMESPACE_URL, "urn:community-enablement:team-member")


def team_member_id(handle: str) -> UUID:
    """Members are addressed by handle; the stream id follows from it."""
    return uuid5(TEAM_NAMESPACE, handle)


def _without_email(state: dict[str, Any]) -> None:
    """Upcast a `TeamMemberRegistered` stored before members had an email (version 1)."""
    state["email"] = None


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
        email: str | None
        """where the member's notifications go (docs/explanation/notifications.md)"""
        actor: str

        class_version = 2
        upcast_v1_v2 = staticmethod(_without_email)

    def __init__(
        self,
        handle: str,
        name: str,
        line_manager: str,
        fte: Decimal,
        effective_date: date,
        email: str | None,
        actor: str,
    ):
        self.handle = handle
        self.name = name
        self.line_manager = line_manager
        self.email = email
        # [[effective date, fte], ...] in date order; earlier months keep their FTE.
        self.capacity_history: list[list] = [[effective_date, fte]]
        self.started_on = effective_date
        self.departed_on: date | None = None

    @classmethod
    def register(
        cls, *, handle: str, fte: Decimal, email: str | None = None, **details: Any
    ) -> TeamMember:
        """`details`: the rest of `TeamMemberRegistered` by name (name, line manager,
        effective date, actor), which refuses any other, or one missing; `email`, if
        known."""
        if not handle.strip():
            raise RuleViolation("a handle is required", "handle")
        require_fte(fte)
        return cls._create(
            cls.TeamMemberRegistered,
            id=team_member_id(handle),
            handle=handle,
            fte=fte,
            email=email,
            **details,
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

    def change_email(self, *, email: str | None, actor: str) -> None:
        """Where the member's notifications go from now on (None: nowhere)."""
        self._require_present()
        self.trigger_event(self.EmailChanged, email=email, actor=actor)

    class EmailChanged(Aggregate.Event):
        email: str | None
        actor: str

        def apply(self, member: TeamMember) -> None:
            member.email = self.email

    def change_line_manager(self, *, line_manager: str, actor: str) -> None:
        """Who reviews the member's work from now on; the reports of earlier months,
        read as of their time, keep the manager they had."""
        self._require_present()
        if not line_manager.strip():
            raise RuleViolation("a line manager is required", "line_manager")
        self.trigger_event(self.LineManagerChanged, line_manager=line_manager, actor=actor)

    class LineManagerChanged(Aggregate.Event):
        line_manager: str
        actor: str

        def apply(self, member: TeamMember) -> None:
            member.line_manager = self.line_manager

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
        return fte_on(self.capacity_history, self.departed_on, day)

    @property
    def fte(self) -> Decimal:
        return self.capacity_history[-1][1]

    def has_left_by(self, day: date) -> bool:
        """Gone on `day`: a departure takes effect on its date, as for capacity (the
        member's FTE is nil from that day on)."""
        return self.departed_on is not None and self.departed_on <= day

    def require_on_the_team(self, date_from: date, date_to: date) -> None:
        """Work is recorded only for days the member was on the team: from the
        effective date they were registered with to the day before their departure.
        Whoever records it (the member, a manager, an admin), so nobody's units land on
        days they had no capacity."""
        if date_from < self.started_on:
            raise RuleViolation(
                f"{self.handle} started on {self.started_on.isoformat()}; "
                f"date_from {date_from.isoformat()} is before that",
                "date_from",
            )
        if self.departed_on is not None and self.has_left_by(date_to):
            raise RuleViolation(
                f"{self.handle} left on {self.departed_on.isoformat()}; "
                f"date_to {date_to.isoformat()} is not before that",
                "date_to",
            )

    def require_stays_until(self, last_day: date) -> None:
        """A provider answers for an allocation's work to its last day: not someone who
        has left or is recorded to leave by then (the rule of allocation series too)."""
        if self.departed_on is not None and self.has_left_by(last_day):
            raise RuleViolation(
                f"{self.handle} is recorded as leaving on {self.departed_on.isoformat()}, on "
                f"or before the allocation's end ({last_day.isoformat()}): choose another provider",
                "provider",
            )

    def _require_present(self) -> None:
        if self.departed_on is not None:
            raise Conflict(f"{self.handle} has departed")
