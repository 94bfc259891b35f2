"""Writing and reading many rows of a view's table in one statement each, in the
portable SQL of views.py (`{table}` names, `:name` parameters): what a read model's
batch (readmodel.py) writes, a fixed number of statements whatever its size."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

MAX_PARAMETERS = 30_000
"""Per statement: PostgreSQL takes at most 65,535."""
TABLE_CONSTRAINT = re.compile(r",\s*(PRIMARY KEY|UNIQUE)\s*\([^)]*\)", re.IGNORECASE)


class RowWrites:
    """Mixed into `View`, whose `tables` and `compile` it uses."""

    tables: dict[str, str]
    compile: Callable[[str], str]

    def columns(self, logical: str) -> list[str]:
        """The column names of a table, in their order in its definition."""
        return column_names(self.tables[logical]).split(", ")

    def insert_rows(
        self, cursor: Any, logical: str, columns: Sequence[str], rows: list[tuple[Any, ...]]
    ) -> None:
        """Insert many rows (inside a pipeline on PostgreSQL, where COPY cannot run)."""
        self.write_values(cursor, f"INSERT INTO {{{logical}}} ({', '.join(columns)})", rows)

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
        self.write_values(
            cursor,
            f"INSERT INTO {{{logical}}} ({', '.join(columns)})",
            rows,
            f" ON CONFLICT ({', '.join(key)}) DO UPDATE SET {updates}",
        )

    def write_values(
        self, cursor: Any, head: str, rows: list[tuple[Any, ...]], tail: str = ""
    ) -> None:
        """`head VALUES (...) tail` for each row: one statement run many times
        (SQLite's executemany loops in C, with no round trip)."""
        marks = ", ".join("?" for _ in rows[0])
        cursor.executemany(self.compile(f"{head} VALUES ({marks}){tail}"), rows)

    def delete_rows(
        self, cursor: Any, logical: str, key: Sequence[str], keys: list[tuple[Any, ...]]
    ) -> None:
        matches = " AND ".join(f"{k} = ?" for k in key)
        cursor.executemany(self.compile(f"DELETE FROM {{{logical}}} WHERE {matches}"), keys)

    def select_in(
        self, cursor: Any, requests: Sequence[tuple[str, str | tuple[str, ...], Sequence[Any]]]
    ) -> list[list[dict[str, Any]]]:
        """For each (table, column, values), the rows whose `column` is one of
        `values`; with a tuple of columns (a whole key), each value is a tuple of theirs,
        matched key by key (`a = .. AND b = ..` OR ...), which both stores answer
        through the key's index (a row-value IN list makes SQLite scan the table)."""
        statements = []
        for logical, column, values in requests:
            if isinstance(column, tuple):
                params = {
                    f"v{n}_{i}": part for n, v in enumerate(values) for i, part in enumerate(v)
                }
                keys = " OR ".join(
                    "(" + " AND ".join(f"{c} = :v{n}_{i}" for i, c in enumerate(column)) + ")"
                    for n in range(len(values))
                )
                sql = f"SELECT * FROM {{{logical}}} WHERE {keys}"
            else:
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


class PostgresRowWrites(RowWrites):
    """PostgreSQL's way: many rows in one statement, loads answered together."""

    table: Callable[[str], str]  # the view's (views.py)

    def write_values(
        self, cursor: Any, head: str, rows: list[tuple[Any, ...]], tail: str = ""
    ) -> None:
        """`head VALUES (...), (...) tail`: many rows in ONE statement (executemany in
        pipeline mode sends one per row, each costing the client a statement's work)."""
        head, tail = self.compile(head), self.compile(tail)
        for chunk in _chunks(rows):
            marks = "(" + ", ".join(["%s"] * len(chunk[0])) + ")"
            values = ", ".join([marks] * len(chunk))
            params = [value for row in chunk for value in row]
            cursor.execute(f"{head} VALUES {values}{tail}", params, prepare=False)

    def delete_rows(
        self, cursor: Any, logical: str, key: Sequence[str], keys: list[tuple[Any, ...]]
    ) -> None:
        for chunk in _chunks(keys):
            marks = "(" + ", ".join(["%s"] * len(key)) + ")"
            params = [value for row in chunk for value in row]
            cursor.execute(
                f"DELETE FROM {self.table(logical)} WHERE ({', '.join(key)}) "
                f"IN ({', '.join([marks] * len(chunk))})",
                params,
                prepare=False,
            )

    def select_all(
        self, cursor: Any, statements: list[tuple[str, dict[str, Any]]]
    ) -> list[list[dict[str, Any]]]:
        """Every statement sent, each on a cursor of its own, before any answer is
        read: one round trip for all in pipeline mode."""
        sent = []
        for sql, params in statements:
            own = cursor.connection.cursor()
            own.execute(sql, params)
            sent.append(own)
        found = []
        for own in sent:
            found.append([dict(row) for row in own.fetchall()])
            own.close()
        return found


def _chunks(rows: list[tuple[Any, ...]]) -> list[list[tuple[Any, ...]]]:
    """Rows in statements of at most MAX_PARAMETERS parameters."""
    per = max(1, MAX_PARAMETERS // len(rows[0]))
    return [rows[start : start + per] for start in range(0, len(rows), per)]


def column_names(columns: str) -> str:
    """The column names of a table definition, without its table constraints."""
    columns = TABLE_CONSTRAINT.sub("", columns)
    return ", ".join(definition.split()[0] for definition in columns.split(","))
