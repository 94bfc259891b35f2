"""Read models of the ledger, rebuildable by replaying its event log.

Each read model (`readmodels/`) is one class on the read-model base
(`engine/readmodel.py`): its tables, its handlers (which fold events into rows in
memory) and its topics; each batch writes the rows it changed in the same transaction
as the record of its position (`engine/views.py`), so every event is applied exactly
once; the Merkle tree (`audit/`) is one too. `catalog.py` lists them. In `engine/`:
`catalog.py` binds them to an event store (`Projections`);
`follower.py` keeps them up to date (in the worker process, `worker run`, or in a
thread of a single-process server); `rebuild.py` builds a new
generation of one by folding the log (`fold.py`) beside the serving one and switches
reads to it (`generations.py`, blue/green). `audit/` holds the Merkle tree over the
log and its signed checkpoints; `reports/` builds the reports from the read models.
"""

from projections.catalog import CATALOG, NAMES
from projections.engine.catalog import Projections

__all__ = ["CATALOG", "NAMES", "Projections"]
