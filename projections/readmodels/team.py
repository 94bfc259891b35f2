"""The team as the reports need it: each member's line manager, departure, and the
history of their FTE by effective date (a change replaces an earlier one of the same
date, as on the write side; it never rewrites other dates).

A departure, or an FTE change replacing one of the same date, keeps the row's earlier
version (history.py), so the team reports can be read as of a log position. The team
is small: reading it as of N costs about what reading it now does.

Its handlers fold events into rows in memory (readmodel.py): the live follower and a
rebuild run the same ones."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from projections.engine.encoding import day, decimal_text, to_day, uid
from projections.engine.history import STAMP, Versioned
from projections.engine.readmodel import Event, ReadModel, handles
from projections.engine.rows import Rows
from service.domain import TeamMember


@dataclass(frozen=True)
class Member:
    handle: str
    name: str
    line_manager: str
    departed_on: date | None
    capacity_history: tuple[tuple[date, Decimal], ...]
    email: str | None = None


MEMBERS = (
    "member_id TEXT PRIMARY KEY, handle TEXT NOT NULL, name TEXT NOT NULL, "
    "line_manager TEXT NOT NULL, departed_on TEXT, position BIGINT NOT NULL, email TEXT, " + STAMP
)
"""`email`: where the member's notifications go (version 3 added it); the current one
only, not versioned: no report reads it as of a position."""
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


class Team(ReadModel):
    name = "team"
    version = 3
    tables = {
        "members": MEMBERS,
        "members_history": MEMBER_VERSIONS.history_definitions(MEMBERS),
        "capacity": CAPACITY,
        "capacity_history": CAPACITY_VERSIONS.history_definitions(CAPACITY),
    }
    keys = {"members": ("member_id",), "capacity": ("member_id", "effective_date")}
    versioned = (MEMBER_VERSIONS, CAPACITY_VERSIONS)

    # Folding

    def prefetch(self, rows: Rows, events: Sequence[Event]) -> None:
        """The members the events name, and their FTE changes: one round trip."""
        members = [uid(event.originator_id) for event, _ in events]
        rows.load_together([("members", "member_id", members), ("capacity", "member_id", members)])

    @handles(TeamMember.TeamMemberRegistered)
    def _registered(self, rows: Rows, event: Any, position: int) -> None:
        rows.put(
            "members",
            {
                "member_id": uid(event.originator_id),
                "handle": event.handle,
                "name": event.name,
                "line_manager": event.line_manager,
                "departed_on": None,
                "position": position,
                "email": event.email,
                "valid_from": position,
            },
        )
        _set_capacity(rows, event, position)

    @handles(TeamMember.CapacityChanged)
    def _capacity_changed(self, rows: Rows, event: Any, position: int) -> None:
        _set_capacity(rows, event, position)

    @handles(TeamMember.EmailChanged)
    def _email_changed(self, rows: Rows, event: Any, position: int) -> None:
        rows.update("members", (uid(event.originator_id),), email=event.email)

    @handles(TeamMember.LineManagerChanged)
    def _line_manager_changed(self, rows: Rows, event: Any, position: int) -> None:
        rows.revise(
            "members", (uid(event.originator_id),), position, line_manager=event.line_manager
        )

    @handles(TeamMember.TeamMemberDeparted)
    def _departed(self, rows: Rows, event: Any, position: int) -> None:
        rows.revise(
            "members",
            (uid(event.originator_id),),
            position,
            departed_on=day(event.effective_date),
        )

    # Reads

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
                email=row.get("email"),
            )
            for row in rows
        }


def _set_capacity(rows: Rows, event: Any, position: int) -> None:
    """The FTE from the event's effective date, replacing one of the same date (whose
    earlier version is kept)."""
    key = (uid(event.originator_id), day(event.effective_date))
    fte = decimal_text(event.fte)
    if rows.revise("capacity", key, position, fte=fte) is None:
        rows.put(
            "capacity",
            {"member_id": key[0], "effective_date": key[1], "fte": fte, "valid_from": position},
        )
