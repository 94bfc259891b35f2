"""The team as the reports need it: each member's line manager, departure, and the
history of their FTE by effective date (a change replaces an earlier one of the same
date, as on the write side; it never rewrites other dates)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from eventsourcing.dispatch import singledispatchmethod
from eventsourcing.persistence import Tracking
from eventsourcing.projection import Projection

from projections.engine.encoding import day, decimal_text, to_day, uid
from projections.engine.views import PostgresView, SQLiteView, View
from service.domain import TeamMember


@dataclass(frozen=True)
class Member:
    handle: str
    name: str
    line_manager: str
    departed_on: date | None
    capacity_history: tuple[tuple[date, Decimal], ...]


class TeamView(View):
    name = "team"
    tables = {
        "members": (
            "member_id TEXT PRIMARY KEY, handle TEXT NOT NULL, name TEXT NOT NULL, "
            "line_manager TEXT NOT NULL, departed_on TEXT, position BIGINT NOT NULL"
        ),
        "capacity": (
            "member_id TEXT NOT NULL, effective_date TEXT NOT NULL, fte TEXT NOT NULL, "
            "PRIMARY KEY (member_id, effective_date)"
        ),
    }

    def members(self) -> dict[str, Member]:
        """handle -> member, with their capacity history in date order."""
        with self.reading() as tx:
            rows = tx.rows("SELECT * FROM {members} ORDER BY handle")
            capacity = tx.rows("SELECT * FROM {capacity} ORDER BY member_id, effective_date")
        history: dict[str, list[tuple[date, Decimal]]] = {}
        for entry in capacity:
            history.setdefault(entry["member_id"], []).append(
                (date.fromisoformat(entry["effective_date"]), Decimal(entry["fte"]))
            )
        return {
            row["handle"]: Member(
                handle=row["handle"],
                name=row["name"],
                line_manager=row["line_manager"],
                departed_on=to_day(row["departed_on"]),
                capacity_history=tuple(history.get(row["member_id"], ())),
            )
            for row in rows
        }


class SQLiteTeamView(TeamView, SQLiteView):
    pass


class PostgresTeamView(TeamView, PostgresView):
    pass


class Team(Projection[TeamView]):
    name = "team"

    @singledispatchmethod
    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        self.view.track(tracking)

    @process_event.register(TeamMember.TeamMemberRegistered)
    def _registered(self, event: Any, tracking: Tracking) -> None:
        with self.view.transaction(tracking) as tx:
            tx.run(
                "INSERT INTO {members} "
                "VALUES (:member_id, :handle, :name, :line_manager, NULL, :position)",
                member_id=uid(event.originator_id),
                handle=event.handle,
                name=event.name,
                line_manager=event.line_manager,
                position=tracking.notification_id,
            )
            _set_capacity(tx, event)

    @process_event.register(TeamMember.CapacityChanged)
    def _capacity_changed(self, event: Any, tracking: Tracking) -> None:
        with self.view.transaction(tracking) as tx:
            _set_capacity(tx, event)

    @process_event.register(TeamMember.TeamMemberDeparted)
    def _departed(self, event: Any, tracking: Tracking) -> None:
        with self.view.transaction(tracking) as tx:
            tx.run(
                "UPDATE {members} SET departed_on = :departed_on WHERE member_id = :member_id",
                member_id=uid(event.originator_id),
                departed_on=day(event.effective_date),
            )


def _set_capacity(tx: Any, event: Any) -> None:
    tx.run(
        "INSERT INTO {capacity} VALUES (:member_id, :effective_date, :fte) "
        "ON CONFLICT (member_id, effective_date) DO UPDATE SET fte = :fte",
        member_id=uid(event.originator_id),
        effective_date=day(event.effective_date),
        fte=decimal_text(event.fte),
    )
