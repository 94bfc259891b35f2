"""The read models there are, and what each holds. The engine (projections/engine/)
binds them to an event store (`Projections`), follows and rebuilds them; this list is
the one place that names them.

A read model is one `ReadModel` class (projections/engine/readmodel.py), its dialect
given when it is bound."""

from __future__ import annotations

from dataclasses import dataclass

from projections.audit.merkle import MerkleTree
from projections.engine.readmodel import ReadModel
from projections.readmodels.access import Access
from projections.readmodels.activities import ActivityLedger
from projections.readmodels.balances import Balances
from projections.readmodels.notifications import Notifications
from projections.readmodels.team import Team
from projections.readmodels.usage import MonthlyUsage


@dataclass(frozen=True)
class Kind:
    description: str
    model: type[ReadModel]

    @property
    def version(self) -> int:
        return self.model.version


CATALOG: dict[str, Kind] = {
    "balances": Kind("engagements, projects and allocation balances", model=Balances),
    "activities": Kind(
        "each activity in its current state, with its late flag", model=ActivityLedger
    ),
    "usage": Kind("units per allocation and per member, by month", model=MonthlyUsage),
    "team": Kind("team members, line managers and FTE history", model=Team),
    "notifications": Kind(
        "each notification's state and the kinds each person switched off", model=Notifications
    ),
    "access": Kind("API tokens: whose, which role, revoked or not, sign-in links", model=Access),
    "merkle": Kind(
        "the Merkle tree over the log (RFC 9162) beside its signed checkpoints", model=MerkleTree
    ),
}
NAMES = tuple(CATALOG)
