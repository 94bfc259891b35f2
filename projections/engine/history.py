"""Versions of a view's rows, so that a report can be read as it stood when the log
ended at position N (docs/explanation/projections.md) without replaying anything.

A versioned table keeps its current rows as before, each stamped `valid_from`: the log
position of the event that last changed it (for a table versioned on some of its
columns only, the last event that changed one of those). Before an event changes a
current row, the row as it was is copied into the table's `_history` twin, stamped
`valid_to` = that event's position. Every version is thus valid from `valid_from`
(inclusive) to `valid_to` (exclusive), the current one until further notice; the row
valid at N is the one with `valid_from <= N AND (valid_to IS NULL OR valid_to > N)`,
the current rows standing for `valid_to IS NULL`.

Why a twin rather than closing rows in place in one table: the current tables keep
their keys, upserts, indexes and queries, so current reads cost and answer what they
did; the history holds only the columns as-of reads need; and an event that changes a
row twice (a correction moving units within one month) archives it once, since the
second change finds the row already stamped with its own position.

Two ways to read as of N, each through an index, never through the whole history:
- `rows_as_of`: the versions valid at N that match a condition, from both tables (for
  tables whose history is small next to what a report shows: terms of allocations,
  engagements, activities by month, the team);
- `value_as_of`: one column of each current row's key as it was at N, looked up in the
  history by key and `valid_to` (for running sums changed by every activity, whose
  history grows with the log: the first version of a key ending after N is the one
  valid at N, versions of a key being contiguous from its first).
"""

from __future__ import annotations

from dataclasses import dataclass

from projections.engine.row_writes import TABLE_CONSTRAINT

STAMP = "valid_from BIGINT NOT NULL"
HISTORY_STAMPS = "valid_from BIGINT NOT NULL, valid_to BIGINT NOT NULL"


@dataclass(frozen=True)
class Versioned:
    """A current table (`table`, stamped `valid_from`) and its `_history` twin."""

    table: str
    key: tuple[str, ...]
    columns: tuple[str, ...]
    """the columns kept in history (the key among them), without the stamps"""

    @property
    def history(self) -> str:
        return f"{self.table}_history"

    def history_definitions(self, current: str) -> str:
        """The history table's columns, defined as in the current table's `current`
        definitions (keys and constraints left out: a key has many versions)."""
        definitions = {}
        for definition in TABLE_CONSTRAINT.sub("", current).split(","):
            name, *rest = definition.split()
            kept = " ".join(rest).replace("PRIMARY KEY", "").replace("UNIQUE", "").strip()
            definitions[name] = kept
        return ", ".join(f"{c} {definitions[c]}" for c in self.columns) + ", " + HISTORY_STAMPS

    def rows_as_of(self, condition: str = "1 = 1") -> str:
        """SQL for the versions valid at `:as_of` that meet `condition` (in terms of
        the kept columns), as a subquery to select from: `FROM (...) AS v`."""
        columns = ", ".join(self.columns)
        return (
            f"SELECT {columns} FROM {{{self.table}}} "
            f"WHERE valid_from <= :as_of AND ({condition}) "
            f"UNION ALL SELECT {columns} FROM {{{self.history}}} "
            f"WHERE valid_from <= :as_of AND valid_to > :as_of AND ({condition})"
        )

    def value_as_of(self, column: str, current: str = "c") -> str:
        """SQL for `column` of the current row aliased `current` as it was at `:as_of`:
        NULL when the key did not exist then."""
        matches = " AND ".join(f"h.{k} = {current}.{k}" for k in self.key)
        return (
            f"CASE WHEN {current}.valid_from <= :as_of THEN {current}.{column} ELSE "
            f"(SELECT CASE WHEN h.valid_from <= :as_of THEN h.{column} END "
            f"FROM {{{self.history}}} h WHERE {matches} AND h.valid_to > :as_of "
            "ORDER BY h.valid_to LIMIT 1) END"
        )
