"""The read models there are, and what each holds. The engine (projections/engine/)
binds them to an event store (`Projections`), follows and rebuilds them; this list is
the one place that names them.

A read model is one `ReadModel` class (projections/engine/readmodel.py), its dialect
given when it is bound. Those not yet moved onto that base are still a `Projection`
with a view class per store (`Kind.projection`, `sqlite_view`, `postgres_view`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eventsourcing.projection import Projection

from projections.audit.merkle import MerkleTree, PostgresMerkleView, SQLiteMerkleView
from projections.engine.readmodel import ReadModel
from projections.engine.views import View
from projections.readmodels.activities import ActivityLedger
from projections.readmodels.balances import Balances
from projections.readmodels.team import Team
from projections.readmodels.usage import MonthlyUsage


@dataclass(frozen=True)
class Kind:
    description: str
    model: type[ReadModel] | None = None
    projection: type[Projection[Any]] | None = None
    sqlite_view: type[View] | None = None
    postgres_view: type[View] | None = None

    @property
    def version(self) -> int:
        holder = self.model or self.sqlite_view
        assert holder is not None
        return holder.version


CATALOG: dict[str, Kind] = {
    "balances": Kind("engagements, projects and allocation balances", model=Balances),
    "activities": Kind(
        "each activity in its current state, with its late flag", model=ActivityLedger
    ),
    "usage": Kind("units per allocation and per member, by month", model=MonthlyUsage),
    "team": Kind("team members, line managers and FTE history", model=Team),
    "merkle": Kind(
        "the Merkle tree over the log (RFC 9162) beside its signed checkpoints",
        projection=MerkleTree,
        sqlite_view=SQLiteMerkleView,
        postgres_view=PostgresMerkleView,
    ),
}
NAMES = tuple(CATALOG)
