"""Folding a read model's handlers (projections/engine/readmodel.py) with no database:
as a rebuild does (one fold of the whole log into rows that start empty) and as the
live follower does (batch after batch, each loading only the rows it reads from what
the batches before it stored)."""

from __future__ import annotations

from typing import Any

from projections.engine.readmodel import ReadModel
from projections.engine.rows import Rows


def folded(model: type[ReadModel], events: list[Any]) -> Rows:
    """The rows a rebuild folds the events into, at log positions 1, 2, 3..."""
    read_model = model(view=None)  # type: ignore[arg-type]  # folding reads no table
    rows = read_model.new_rows()
    read_model.fold(rows, [(event, position) for position, event in enumerate(events, 1)])
    return rows


class Stored:
    """What a follower's batches stored, in memory: the rows by table and key, and the
    archived versions. Each batch loads the rows it reads from here (its loader), and
    what it changed is written back, as `ReadModel.apply` does in a transaction."""

    def __init__(self, model: type[ReadModel]):
        self.model = model(view=None)  # type: ignore[arg-type]
        self.tables: dict[str, dict[tuple[Any, ...], dict[str, Any]]] = {
            table: {} for table in model.keys
        }
        self.archived: dict[str, list[tuple[Any, ...]]] = {}

    def load(self, requests: list[tuple[str, str, list[Any]]]) -> list[list[dict[str, Any]]]:
        """For each (table, column, values), the stored rows whose column holds one."""
        return [
            [dict(row) for row in self.tables[table].values() if row[column] in values]
            for table, column, values in requests
        ]

    def follow(self, batch: list[tuple[Any, int]]) -> None:
        rows = self.model.new_rows(self.load)
        self.model.prefetch(rows, batch)
        self.model.fold(rows, batch)
        for table, key in self.model.keys.items():
            written, deleted = rows.changed(table)
            for row in written:
                self.tables[table][tuple(row[k] for k in key)] = dict(row)
            for gone in deleted:
                self.tables[table].pop(gone)
        for history, versions in rows.archived.items():
            self.archived.setdefault(history, []).extend(versions)


def assert_batches_fold_as_one(model: type[ReadModel], events: list[Any], batch: int) -> None:
    """The events followed in batches of `batch` store the rows one fold of them makes,
    `_history` included (each history made, so there is something to compare)."""
    positioned = [(event, position) for position, event in enumerate(events, 1)]
    stored = Stored(model)
    for start in range(0, len(positioned), batch):
        stored.follow(positioned[start : start + batch])
    whole = folded(model, events)
    for table, key in model.keys.items():
        assert stored.tables[table] == {tuple(r[k] for k in key): r for r in whole.all(table)}
    for history, versions in whole.archived.items():
        assert versions, f"the events made no {history} rows to compare"
        assert sorted(stored.archived[history], key=repr) == sorted(versions, key=repr)
