"""The team as the reports need it: each member's line manager, departure, and the
history of their FTE by effective date (a change replaces an earlier one of the same
date, as on the write side; it never rewrites other dates).

A departure, or an FTE change replacing one of the same date, keeps the row's earlier
version (history.py), so the team reports can be read as of a log position. The team
is small: reading it as of N costs about what reading it now does."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from eventsourcing.dispatch import singledispatchmethod
from eventsourcing.persistence import Tracking
from eventsourcing.projection import Projection

from projections.engine.encoding import day, decimal_text, to_day, uid
from projections.engine.history import STAMP, Versioned
from projections.engine.views import PostgresView, SQLiteView, View
from service.domain import TeamMember


@dataclass(frozen=True)
class Member:
    handle: str
    name: str
    line_manager: str
    departed_on: date | None
    capacity_history: tuple[tuple[date, Decimal], ...]


MEMBERS = (
    "member_id TEXT PRIMARY KEY, handle TEXT NOT NULL, name TEXT NOT NULL, "
    "line_manager TEXT NOT NULL, departed_on TEXT, position BIGINT NOT NULL, " + STAMP
)
CAPACITY = (
    "member_id TEXT NOT NULL, effective_date TEXT NOT NULL, fte TEXT NOT NULL, "
    f"{STAMP}, PRIMARY KEY (member_id, effective_date)"
)
MEMBER_VERSIONS = Versioned(
    "members",
    key=("member_id",),
    columns=("member_id", "handle", "name", "line_manager", "departed_on", "position"),
)
CAPACITY_VERSIONS = Versioned(
    "capacity", key=("member_id", "effective_date"), columns=("member_id", "effective_date", "fte")
)


class TeamView(View):
    name = "team"
    version = 2
    tables = {
        "members": MEMBERS,
        "members_history": MEMBER_VERSIONS.history_definitions(MEMBERS),
        "capacity": CAPACITY,
        "capacity_history": CAPACITY_VERSIONS.history_definitions(CAPACITY),
    }

    def members(self, as_of: int | None = None) -> dict[str, Member]:
        """handle -> member, with their capacity history in date order; with `as_of`,
        as they stood at that log position."""
        members, fte_changes, params = "{members}", "{capacity}", {}
        if as_of is not None:
            members = f"({MEMBER_VERSIONS.rows_as_of()}) AS m"
            fte_changes = f"({CAPACITY_VERSIONS.rows_as_of()}) AS c"
            params = {"as_of": as_of}
        with self.reading() as tx:
            rows = tx.rows(f"SELECT * FROM {members} ORDER BY handle", **params)
            capacity = tx.rows(
                f"SELECT * FROM {fte_changes} ORDER BY member_id, effective_date", **params
            )
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
                "VALUES (:member_id, :handle, :name, :line_manager, NULL, :position, :position)",
                member_id=uid(event.originator_id),
                handle=event.handle,
                name=event.name,
                line_manager=event.line_manager,
                position=tracking.notification_id,
            )
            _set_capacity(tx, event, tracking.notification_id)

    @process_event.register(TeamMember.CapacityChanged)
    def _capacity_changed(self, event: Any, tracking: Tracking) -> None:
        with self.view.transaction(tracking) as tx:
            _set_capacity(tx, event, tracking.notification_id)

    @process_event.register(TeamMember.TeamMemberDeparted)
    def _departed(self, event: Any, tracking: Tracking) -> None:
        member_id, position = uid(event.originator_id), tracking.notification_id
        with self.view.transaction(tracking) as tx:
            MEMBER_VERSIONS.archive(tx, position, member_id=member_id)
            tx.run(
                "UPDATE {members} SET departed_on = :departed_on, valid_from = :position "
                "WHERE member_id = :member_id",
                member_id=member_id,
                departed_on=day(event.effective_date),
                position=position,
            )


def _set_capacity(tx: Any, event: Any, position: int) -> None:
    member_id, effective_date = uid(event.originator_id), day(event.effective_date)
    CAPACITY_VERSIONS.archive(tx, position, member_id=member_id, effective_date=effective_date)
    tx.run(
        "INSERT INTO {capacity} VALUES (:member_id, :effective_date, :fte, :position) "
        "ON CONFLICT (member_id, effective_date) DO UPDATE SET fte = :fte, valid_from = :position",
        member_id=member_id,
        effective_date=effective_date,
        fte=decimal_text(event.fte),
        position=position,
    )
