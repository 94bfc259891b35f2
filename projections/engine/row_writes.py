"""Writing and reading many rows of a view's table in one statement each, in the
portable SQL of views.py (`{table}` names, `:name` parameters): what a read model's
batch (readmodel.py) writes, a fixed number of statements whatever its size."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

TABLE_CONSTRAINT = re.compile(r",\s*(PRIMARY KEY|UNIQUE)\s*\([^)]*\)", re.IGNORECASE)


class RowWrites:
    """Mixed into `View`, whose `tables` and `compile` it uses."""

    tables: dict[str, str]

    def compile(self, sql: str) -> str:
        raise NotImplementedError

    def columns(self, logical: str) -> list[str]:
        """The column names of a table, in their order in its definition."""
        return column_names(self.tables[logical]).split(", ")

    def insert_rows(
        self, cursor: Any, logical: str, columns: Sequence[str], rows: list[tuple[Any, ...]]
    ) -> None:
        """Insert many rows in one statement run many times (inside a pipeline on
        PostgreSQL, where COPY cannot run)."""
        self._many(
            cursor,
            f"INSERT INTO {{{logical}}} ({', '.join(columns)}) VALUES ({_marks(columns)})",
            columns,
            rows,
        )

    def upsert_rows(
        self,
        cursor: Any,
        logical: str,
        key: Sequence[str],
        columns: Sequence[str],
        rows: list[tuple[Any, ...]],
    ) -> None:
        """Write many rows whole, each replacing the row of its key if there is one."""
        updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c not in key)
        self._many(
            cursor,
            f"INSERT INTO {{{logical}}} ({', '.join(columns)}) VALUES ({_marks(columns)}) "
            f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET {updates}",
            columns,
            rows,
        )

    def delete_rows(
        self, cursor: Any, logical: str, key: Sequence[str], keys: list[tuple[Any, ...]]
    ) -> None:
        matches = " AND ".join(f"{k} = :{k}" for k in key)
        self._many(cursor, f"DELETE FROM {{{logical}}} WHERE {matches}", key, keys)

    def select_in(
        self, cursor: Any, requests: Sequence[tuple[str, str, Sequence[Any]]]
    ) -> list[list[dict[str, Any]]]:
        """For each (table, column, values), the rows whose `column` is one of
        `values`."""
        statements = []
        for logical, column, values in requests:
            params = {f"v{n}": value for n, value in enumerate(values)}
            marks = ", ".join(f":{name}" for name in params)
            sql = f"SELECT * FROM {{{logical}}} WHERE {column} IN ({marks})"
            statements.append((self.compile(sql), params))
        return self.select_all(cursor, statements)

    def select_all(
        self, cursor: Any, statements: list[tuple[str, dict[str, Any]]]
    ) -> list[list[dict[str, Any]]]:
        """The rows of each statement, run one after the other."""
        found = []
        for sql, params in statements:
            cursor.execute(sql, params)
            found.append([dict(row) for row in cursor.fetchall()])
        return found

    def _many(
        self, cursor: Any, sql: str, columns: Sequence[str], rows: list[tuple[Any, ...]]
    ) -> None:
        cursor.executemany(
            self.compile(sql), [dict(zip(columns, row, strict=True)) for row in rows]
        )


def _marks(columns: Sequence[str]) -> str:
    return ", ".join(f":{c}" for c in columns)


def column_names(columns: str) -> str:
    """The column names of a table definition, without its table constraints."""
    columns = TABLE_CONSTRAINT.sub("", columns)
    return ", ".join(definition.split()[0] for definition in columns.split(","))
