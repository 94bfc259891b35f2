"""Blue/green read models: which build (generation) of each read model's version
serves the reads, recorded in one table of the event store's database.

A rebuild, or a deployment raising a read model's `version`, builds a new generation
beside the serving one (its own tables, named with its version and generation, and its
own tracking), while the serving one keeps answering every read and is kept up to date
by the followers. Once the new generation has caught up with the serving one, one
transaction records it as serving and the old one as retired: every process notices at
its next read of the views' positions (`Projections.positions`, which reads the serving
generations in the same query) and reads the new tables from then on, so no read waits
on, fails during, or sees part of a rebuild.

A retired generation's tables are kept, for a process that may be in the middle of a
read of them, until the next rebuild of that read model starts (a whole rebuild later)
or `projections prune` (which also drops every generation of a version that no longer
serves: run it once no process of an older release runs). A generation left building
by a rebuild that died is dropped alike (none holds its lock).

Rows: (name, version, generation, state, relations, started_at). `state` is
`building`, `serving` or `retired`; `relations` the tables it owns (space-separated),
so that prune can drop the tables of a version whose code is gone.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from eventsourcing.postgres import PostgresDatastore

from projections.engine.views import PARAMETER, lock_key

BUILDING, SERVING, RETIRED = "building", "serving", "retired"


@dataclass(frozen=True)
class Generation:
    name: str
    version: int
    generation: int
    state: str
    relations: tuple[str, ...]
    started_at: float

    @property
    def tracking(self) -> str:
        return self.relations[-1]


class Generations:
    """The registry of one namespace's read-model generations."""

    def __init__(self, datastore: Any, namespace: str = ""):
        self.datastore = datastore
        self.is_postgres = isinstance(datastore, PostgresDatastore)
        self.raw_table = f"{namespace}read_model_generations"
        self.table = self.qualified(self.raw_table)

    def qualified(self, raw: str) -> str:
        if self.is_postgres:
            return f'"{self.datastore.schema}"."{raw}"'
        return raw

    def create_table(self) -> None:
        with self._transaction() as run:
            run(
                f"CREATE TABLE IF NOT EXISTS {self.table} (name TEXT NOT NULL, "
                "version INTEGER NOT NULL, generation INTEGER NOT NULL, state TEXT NOT NULL, "
                "relations TEXT NOT NULL, started_at DOUBLE PRECISION NOT NULL, "
                "PRIMARY KEY (name, version, generation))"
            )

    def all(self) -> list[Generation]:
        with self._transaction() as run:
            rows = run(f"SELECT * FROM {self.table} ORDER BY name, version, generation")
        return [_generation(row) for row in rows]

    def of(self, name: str, version: int) -> list[Generation]:
        return [g for g in self.all() if g.name == name and g.version == version]

    def settle(self, name: str, version: int, relations: list[str]) -> Generation:
        """The generation this process's code (of `version`) reads: the serving one;
        else the one being built; else generation 0, registered now (serving at once
        when no other version of the read model serves, as for a new read model whose
        reads wait until it is built; else building, while the other version's processes
        serve theirs)."""
        with self._transaction() as run:
            self._write_first(run)
            rows = run(
                f"SELECT * FROM {self.table} WHERE name = :name ORDER BY generation",
                name=name,
            )
            mine = [_generation(row) for row in rows if row["version"] == version]
            for state in (SERVING, BUILDING):
                found = [g for g in mine if g.state == state]
                if found:
                    return found[-1]
            others_serve = any(row["state"] == SERVING for row in rows)
            state = BUILDING if others_serve else SERVING
            started = self._insert(run, name, version, 0, state, relations)
        return Generation(name, version, 0, state, tuple(relations), started)

    def begin(self, name: str, version: int, relations_of: Any) -> Generation:
        """Register the next generation of (name, version) as building; `relations_of`
        gives the tables of a generation number."""
        with self._transaction() as run:
            self._write_first(run)
            found = run(
                f"SELECT MAX(generation) AS last FROM {self.table} "
                "WHERE name = :name AND version = :version",
                name=name,
                version=version,
            )
            generation = (found[0]["last"] if found and found[0]["last"] is not None else -1) + 1
            relations = relations_of(generation)
            started = self._insert(run, name, version, generation, BUILDING, relations)
        return Generation(name, version, generation, BUILDING, tuple(relations), started)

    def switch(self, name: str, version: int, generation: int) -> None:
        """Make `generation` the serving one, retiring the one before: one transaction,
        so every reader finds exactly one serving generation."""
        with self._transaction() as run:
            run(
                f"UPDATE {self.table} SET state = :retired "
                "WHERE name = :name AND version = :version AND state = :serving",
                name=name,
                version=version,
                retired=RETIRED,
                serving=SERVING,
            )
            run(
                f"UPDATE {self.table} SET state = :serving "
                "WHERE name = :name AND version = :version AND generation = :generation",
                name=name,
                version=version,
                generation=generation,
                serving=SERVING,
            )

    def serving_sql(self, name: str, version: int) -> str:
        """A scalar subquery: the serving generation of (name, version), NULL if none."""
        return (
            f"(SELECT MAX(generation) FROM {self.table} WHERE name = '{name}' "
            f"AND version = {int(version)} AND state = '{SERVING}')"
        )

    def drop(self, generation: Generation) -> None:
        """Drop a generation's tables and forget it."""
        with self._transaction() as run:
            for relation in generation.relations:
                run(f"DROP TABLE IF EXISTS {self.qualified(relation)}")
            run(
                f"DELETE FROM {self.table} "
                "WHERE name = :name AND version = :version AND generation = :generation",
                name=generation.name,
                version=generation.version,
                generation=generation.generation,
            )

    def _write_first(self, run: Any) -> None:
        """Take the write lock before reading: a SQLite transaction that reads, then
        writes after another connection committed, fails at once ("database is
        locked") instead of waiting for the lock."""
        run(f"UPDATE {self.table} SET state = state WHERE 1 = 0")

    def _insert(
        self, run: Any, name: str, version: int, generation: int, state: str, relations: list[str]
    ) -> float:
        started = time.time()
        run(
            f"INSERT INTO {self.table} VALUES (:name, :version, :generation, :state, "
            ":relations, :started_at)",
            name=name,
            version=version,
            generation=generation,
            state=state,
            relations=" ".join(relations),
            started_at=started,
        )
        return started

    @contextmanager
    def _transaction(self) -> Iterator[Any]:
        """One transaction; `run(sql, **params)` returns the rows, if any. Serialised
        against other processes' registrations and DDL on PostgreSQL (two processes
        starting at once must agree on one generation 0)."""
        with self.datastore.transaction(commit=True) as cursor:
            if self.is_postgres:
                cursor.execute(
                    "SELECT pg_advisory_xact_lock(%s)",
                    (lock_key(f"{self.datastore.schema}:ddl"),),
                )

            def run(sql: str, **params: Any) -> list[dict[str, Any]]:
                if self.is_postgres:
                    sql = PARAMETER.sub(r"%(\1)s", sql.replace("%", "%%"))
                cursor.execute(sql, params)
                if not sql.startswith("SELECT"):
                    return []
                return [dict(row) for row in cursor.fetchall()]

            yield run


def _generation(row: dict[str, Any]) -> Generation:
    return Generation(
        row["name"],
        row["version"],
        row["generation"],
        row["state"],
        tuple(row["relations"].split()),
        row["started_at"],
    )
