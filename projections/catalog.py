"""The read models there are: for each, its projection, its view classes (one per
store) and what it holds. The engine (projections/engine/) binds them to an event store
(`Projections`), follows and rebuilds them; this list is the one place that names them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eventsourcing.projection import Projection

from projections.audit.merkle import MerkleTree, PostgresMerkleView, SQLiteMerkleView
from projections.engine.views import View
from projections.readmodels.activities import (
    ActivityLedger,
    PostgresActivityLedgerView,
    SQLiteActivityLedgerView,
)
from projections.readmodels.balances import PostgresBalancesView, SQLiteBalancesView
from projections.readmodels.balances_projection import Balances
from projections.readmodels.team import PostgresTeamView, SQLiteTeamView, Team
from projections.readmodels.usage import (
    MonthlyUsage,
    PostgresMonthlyUsageView,
    SQLiteMonthlyUsageView,
)


@dataclass(frozen=True)
class Kind:
    projection: type[Projection[Any]]
    sqlite_view: type[View]
    postgres_view: type[View]
    description: str


CATALOG: dict[str, Kind] = {
    "balances": Kind(
        Balances,
        SQLiteBalancesView,
        PostgresBalancesView,
        "engagements, projects and allocation balances",
    ),
    "activities": Kind(
        ActivityLedger,
        SQLiteActivityLedgerView,
        PostgresActivityLedgerView,
        "each activity in its current state, with its late flag",
    ),
    "usage": Kind(
        MonthlyUsage,
        SQLiteMonthlyUsageView,
        PostgresMonthlyUsageView,
        "units per allocation and per member, by month",
    ),
    "team": Kind(
        Team, SQLiteTeamView, PostgresTeamView, "team members, line managers and FTE history"
    ),
    "merkle": Kind(
        MerkleTree,
        SQLiteMerkleView,
        PostgresMerkleView,
        "the Merkle tree over the log (RFC 9162) beside its signed checkpoints",
    ),
}
NAMES = tuple(CATALOG)
