"""The rows a read model's handlers fold events into: in memory, per table and key.

During a follower's batch the working set holds the rows the batch touches, loaded
first in a few statements (`load`, from the read model's `prefetch`); during a rebuild
it holds the whole read model, built from empty tables, so nothing is loaded and a row
not held is a row that does not exist. The handlers cannot tell the two apart: they
read and change rows here, never in the database, and `changed()` / `archived` say what
one write (readmodel.py's flush) must store.

A versioned table (history.py) keeps its earlier versions: `revise` at log position P
copies the row as it stood into the archive, stamped `valid_to` = P, unless the row was
already changed at P (then it is changed again in place), and stamps it `valid_from` = P.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from projections.engine.history import Versioned

Key = tuple[Any, ...]
Row = dict[str, Any]
Loader = Callable[[list[tuple[str, str, list[Any]]]], list[list[Row]]]
"""[(table, column, values)] -> for each, the stored rows whose column holds one of
the values (all asked at once)"""
Select = Callable[[str], Row | None]
"""portable SQL (views.py) -> its first row, read in the batch's transaction"""


class Rows:
    def __init__(
        self,
        keys: dict[str, tuple[str, ...]],
        versioned: Iterable[Versioned] = (),
        loader: Loader | None = None,
        select: Select | None = None,
    ):
        self.keys = keys
        self.versioned = {v.table: v for v in versioned}
        self.loader = loader
        """None: every row there is is held here (a rebuild)"""
        self.held: dict[str, dict[Key, Row | None]] = {table: {} for table in keys}
        self.touched: dict[str, set[Key]] = {table: set() for table in keys}
        self.archived: dict[str, list[tuple[Any, ...]]] = {
            v.history: [] for v in self.versioned.values()
        }
        self.loaded: dict[tuple[str, str], set[Any]] = {}
        self.select = select
        self.memo: dict[str, Any] = {}
        """What a read model carries from one event to the next besides rows, held
        as long as the rows (the Merkle tree's right edge)."""

    # Loading (a follower's batch)

    def load(self, table: str, column: str | tuple[str, ...], values: Iterable[Any]) -> None:
        """Hold every stored row of `table` whose `column` is one of `values`, in one
        statement (nothing in a rebuild, which holds every row already). `column` may be
        the table's whole key, each value then a tuple: a lookup its index answers."""
        self.load_together([(table, column, values)])

    def load_together(
        self, requests: Sequence[tuple[str, str | tuple[str, ...], Iterable[Any]]]
    ) -> None:
        """`load` several (table, column, values) at once: one round trip for all."""
        if self.loader is None:
            return
        asked = []
        for table, column, values in requests:
            done = self.loaded.setdefault((table, column), set())
            wanted = sorted({v for v in values if v is not None} - done, key=str)
            if wanted:
                asked.append((table, column, wanted))
                done.update(wanted)
        if not asked:
            return
        for (table, _, _), found in zip(asked, self.loader(asked), strict=True):
            key = self.keys[table]
            for row in found:
                self.held[table].setdefault(tuple(row[k] for k in key), row)

    def select_one(self, sql: str) -> Row | None:
        """The first row of a query that loads no rows by key (the Merkle tree's size);
        None in a rebuild, whose rows start empty."""
        return None if self.select is None else self.select(sql)

    def _known_absent(self, table: str, key: Key) -> bool:
        return (
            self.loader is None
            or key in self.loaded.get((table, self.keys[table]), ())
            or any(
                value in self.loaded.get((table, column), ())
                for column, value in zip(self.keys[table], key, strict=True)
            )
        )

    # Reading and changing

    def get(self, table: str, *key: Any) -> Row | None:
        """The row of `key`, or None. A row its read model did not prefetch is read
        alone (one more statement: prefetch it)."""
        held = self.held[table]
        if key in held:
            return held[key]
        if not self._known_absent(table, key):
            self.load(table, self.keys[table][0], [key[0]])
        return held.get(key)

    def all(self, table: str) -> list[Row]:
        """Every row held (in a rebuild: the whole table)."""
        return [row for row in self.held[table].values() if row is not None]

    def put(self, table: str, row: Row) -> None:
        """Insert or replace a whole row."""
        key = tuple(row[k] for k in self.keys[table])
        self.held[table][key] = row
        if self.loader is not None:  # a rebuild writes every row held, once, at its end
            self.touched[table].add(key)

    def update(self, table: str, key: Key, **values: Any) -> Row | None:
        """Change some columns of an unversioned row (or of columns not versioned);
        nothing when there is no such row. Returns the row as changed."""
        row = self.get(table, *key)
        if row is None:
            return None
        changed = {**row, **values}
        self.put(table, changed)
        return changed

    def revise(self, table: str, key: Key, position: int, **values: Any) -> Row | None:
        """Change a versioned row at log position `position`, keeping its version
        before the change (module docstring); nothing when there is no such row."""
        row = self.get(table, *key)
        if row is None:
            return None
        versioned = self.versioned[table]
        if row["valid_from"] < position:
            self.archived[versioned.history].append(
                (*(row[c] for c in versioned.columns), row["valid_from"], position)
            )
        return self.update(table, key, **values, valid_from=position)

    def delete(self, table: str, *key: Any) -> None:
        if self.loader is None:
            self.held[table].pop(key, None)
            return
        self.held[table][key] = None
        self.touched[table].add(key)

    # What to write

    def changed(self, table: str) -> tuple[list[Row], list[Key]]:
        """(rows written since the last `clear`, keys deleted since)."""
        held = self.held[table]
        written = [held[key] for key in self.touched[table] if held[key] is not None]
        deleted = [key for key in self.touched[table] if held[key] is None]
        return written, deleted  # type: ignore[return-value]

    def clear(self) -> None:
        """Forget what was changed (written): the rows stay held."""
        for touched in self.touched.values():
            touched.clear()
        for archived in self.archived.values():
            archived.clear()
