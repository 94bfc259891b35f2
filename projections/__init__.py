"""Read models of the ledger, rebuildable by replaying its event log.

Each read model is an `eventsourcing` `Projection` writing its own tables through a
tracking recorder (`views.py`), so every event is applied exactly once, in the same
transaction as the record of its position. `catalog.py` lists them; `follower.py`
keeps them up to date (in the worker process, `worker run`, or in a thread of a
single-process server);
`rebuild.py` replays the log into a fresh view; `reports/` builds the monthly,
capacity and late-activity reports from them.
"""

from projections.engine.catalog import CATALOG, NAMES, Projections

__all__ = ["CATALOG", "NAMES", "Projections"]
