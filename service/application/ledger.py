"""The ledger application: every command of the service, on the `eventsourcing`
library's Application. Each group of commands lives in its own module, on
service/application/base.py and on nothing else; this class only puts them together,
so callers (web, CLI, HubSpot, tests) hold one object. Every command takes one
`caller` (service/application/caller.py).

A command reads get → decide → save: it loads what it needs, lets the aggregates
decide, and saves everything it changed in one atomic write (service/application/
commands.py retries it on a concurrent write; idempotency.py answers a retry).
"""

from __future__ import annotations

from service.application.activities import ActivityCommands
from service.application.allocations import AllocationCommands
from service.application.engagements import EngagementCommands
from service.application.hand_over import HandOverCommands
from service.application.history import History
from service.application.imports.commands import ImportCommands
from service.application.moves import MoveCommands
from service.application.notifications import NotificationCommands
from service.application.people import PeopleCommands
from service.application.periods import PeriodCommands
from service.application.series import SeriesCommands
from service.application.statements import StatementCommands
from service.application.team import TeamCommands
from service.application.tokens import TokenCommands
from service.application.weeks import WeekCommands


class Ledger(
    ImportCommands,
    WeekCommands,
    ActivityCommands,
    AllocationCommands,
    HandOverCommands,
    EngagementCommands,
    MoveCommands,
    NotificationCommands,
    PeopleCommands,
    SeriesCommands,
    StatementCommands,
    PeriodCommands,
    TeamCommands,
    TokenCommands,
    History,
):
    pass
