"""A random story of commands on one ledger, for the property tests: Hypothesis draws the
commands (grants, records, corrections, moves, retractions, amendments, cancellations,
capacity changes, departures, follower passes), and `Story` runs each on the ledger,
skipping those the domain refuses, as people would try them."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from projections import Projections
from projections.engine.follower import Follower
from service.application import Ledger
from service.application.caller import Caller
from service.domain import DomainError
from tests.support.dates import TODAY

MEMBERS = ("ana", "ben", "cat")
INDEX = st.integers(0, 30)
RECORD = st.tuples(
    st.just("record"),
    INDEX,
    st.sampled_from(MEMBERS),
    st.integers(1, 8),
    st.integers(0, 400),
    st.integers(0, 3),
)


CORRECT = st.tuples(
    st.just("correct"),
    INDEX,
    st.one_of(st.none(), st.integers(1, 8)),
    st.one_of(st.none(), st.sampled_from(MEMBERS)),
    st.one_of(st.none(), st.integers(0, 400)),
)


MOVE = st.tuples(st.just("move"), INDEX, INDEX)
COMMANDS = st.lists(
    st.one_of(
        st.tuples(
            st.just("grant"),
            st.integers(0, 1),
            st.integers(0, 200),
            st.integers(0, 120),
            st.integers(1, 40),
        ),
        RECORD,
        RECORD,
        CORRECT,
        CORRECT,
        st.tuples(st.just("retract"), INDEX),
        MOVE,
        MOVE,
        st.tuples(
            st.just("amend"),
            INDEX,
            st.one_of(st.none(), st.integers(1, 60)),
            st.one_of(st.none(), st.integers(0, 60)),
        ),
        st.tuples(st.just("cancel"), INDEX),
        st.tuples(
            st.just("capacity"),
            st.sampled_from(MEMBERS),
            st.sampled_from(["0.2", "0.5", "1"]),
            st.integers(0, 300),
        ),
        st.tuples(st.just("depart"), st.sampled_from(MEMBERS), st.integers(0, 300)),
        st.tuples(st.just("follow"), st.integers(1, 7)),
    ),
    min_size=1,
    max_size=40,
)


class Story:
    """Runs generated commands against the ledger, remembering what they made, and
    ignoring the ones the domain refuses (they write nothing). Each example has its
    own members, engagement and projects; the log they share only grows."""

    def __init__(self, ledger: Ledger, tag: str):
        self.ledger = ledger
        self.tag = tag
        self.allocations: list[Any] = []
        self.activities: list[tuple[Any, Any]] = []
        for handle in MEMBERS:
            ledger.register_team_member(
                handle=self.member(handle),
                name=handle,
                line_manager="lee",
                fte=Decimal("0.5"),
                effective_date=TODAY - timedelta(500),
                caller=Caller("t"),
            )
        engagement = ledger.open_engagement(
            name="E",
            community="C",
            description="",
            start_date=TODAY - timedelta(400),
            end_date=TODAY + timedelta(100),
            contacts=[],
            caller=Caller("t"),
        ).value
        self.projects = [
            ledger.define_project(
                engagement.id, name=f"P{n}", outcome="o", caller=Caller("t")
            ).value[1]
            for n in range(2)
        ]

    def member(self, handle: str) -> str:
        return f"{handle}{self.tag}"

    def run(self, command: tuple, served: Projections) -> None:
        try:
            getattr(self, command[0])(*command[1:], served=served)
        except DomainError:
            pass

    def grant(self, project: int, start_back: int, length: int, units: int, served) -> None:
        start = TODAY - timedelta(start_back)
        self.allocations.append(
            self.ledger.grant_allocation(
                self.projects[project],
                start_date=start,
                end_date=start + timedelta(length),
                units=units,
                description="d",
                provider=self.member("ana"),
                caller=Caller("t"),
            ).value
        )

    def record(self, index: int, member: str, units: int, day: int, span: int, served) -> None:
        if not self.allocations:
            return
        allocation = self.allocations[index % len(self.allocations)]
        first, last = _days_within(allocation, day, span)
        _, activity_id = self.ledger.record_activity(
            allocation.id,
            team_member=self.member(member),
            units=units,
            description="w",
            date_from=first,
            date_to=last,
            caller=Caller("t"),
        ).value
        self.activities.append((activity_id, allocation))

    def correct(
        self, index: int, units: int | None, member: str | None, day: int | None, served
    ) -> None:
        if not self.activities:
            return
        activity_id, allocation = self.activities[index % len(self.activities)]
        changes: dict[str, Any] = {"units": units, "team_member": member and self.member(member)}
        if day is not None:
            changes["date_from"], changes["date_to"] = _days_within(
                self.ledger.allocation(allocation.id), day, day % 3
            )
        self.ledger.correct_activity(activity_id, changes=changes, reason="r", caller=Caller("t"))

    def retract(self, index: int, served) -> None:
        if self.activities:
            self.ledger.retract_activity(
                self.activities[index % len(self.activities)][0], reason="r", caller=Caller("t")
            )

    def move(self, index: int, target: int, served) -> None:
        """To one of the allocations whose period holds the activity's dates, if any."""
        if not self.activities:
            return
        activity_id, allocation = self.activities[index % len(self.activities)]
        state = self.ledger.allocation(allocation.id).activities[str(activity_id)]
        fits = [
            other
            for other in map(self.ledger.allocation, (a.id for a in self.allocations))
            if other.id != allocation.id
            and other.covers(state.date_from)
            and other.covers(state.date_to)
        ]
        if fits:
            to = fits[target % len(fits)]
            self.ledger.move_activity(
                activity_id, allocation_id=to.id, reason="r", caller=Caller("t")
            )
            self.activities[index % len(self.activities)] = (activity_id, to)

    def amend(self, index: int, units: int | None, extend: int | None, served) -> None:
        if self.allocations:
            allocation = self.allocations[index % len(self.allocations)]
            end = None if extend is None else allocation.end_date + timedelta(extend)
            self.ledger.amend_allocation(
                allocation.id, reason="r", caller=Caller("t"), units=units, end_date=end
            )

    def cancel(self, index: int, served) -> None:
        if self.allocations:
            self.ledger.cancel_allocation(
                self.allocations[index % len(self.allocations)].id, reason="r", caller=Caller("t")
            )

    def capacity(self, member: str, fte: str, back: int, served) -> None:
        self.ledger.update_team_member(
            self.member(member),
            caller=Caller("t"),
            fte=Decimal(fte),
            effective_date=TODAY - timedelta(back),
        )

    def depart(self, member: str, back: int, served) -> None:
        self.ledger.update_team_member(
            self.member(member), caller=Caller("t"), departed_on=TODAY - timedelta(back)
        )

    def follow(self, batch_size: int, served: Projections) -> None:
        assert Follower(served, batch_size=batch_size).catch_up()


def _days_within(allocation: Any, day: int, span: int) -> tuple[date, date]:
    """Days inside the allocation's period and not in the future (so that most
    generated commands are accepted)."""
    period = (allocation.end_date - allocation.start_date).days + 1
    last = min(allocation.start_date + timedelta(day % period), TODAY)
    return max(last - timedelta(span), allocation.start_date), last
