"""`Projections`: the read models of projections/catalog.py bound to one event store,
their views in the store's own database (so an event and a view row can be compared,
and a view rebuilt, with nothing else to configure)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from eventsourcing.application import Application
from eventsourcing.persistence import InterfaceError, OperationalError
from eventsourcing.postgres import PostgresDatastore
from eventsourcing.utils import retry

from projections.catalog import CATALOG, NAMES
from projections.engine.failures import Failure, ViewFailures, current
from projections.engine.generations import SERVING, Generation, Generations
from projections.engine.locks import ViewLocks
from projections.engine.readmodel import ReadModel
from projections.engine.views import View, lock_name

# A pooled connection broken by a database restart fails once and is discarded.
_once_more = retry((InterfaceError, OperationalError), max_attempts=2, wait=0.1)


class Projections:
    """Every read model of one application's event store.

    `namespace` prefixes the table names, so that a second, independent set of views
    (a fresh replay to compare with) can live beside the served one.

    `views[name]` is the generation of the read model that serves reads (blue/green,
    generations.py), and `projections[name]` the projection writing to it; both are
    replaced, by `positions()`, when it finds that another generation serves now."""

    def __init__(self, app: Application[Any], namespace: str = "", names: Iterable[str] = NAMES):
        self.app = app
        self.application_name = app.name
        self.datastore = app.factory.datastore  # type: ignore[attr-defined]
        self.namespace = namespace
        self.generations = Generations(self.datastore, namespace)
        self.generations.create_table()
        self.views: dict[str, ReadModel] = {}
        self.projections: dict[str, ReadModel] = {}
        self.serving: dict[str, bool] = {}
        """whether `views[name]` is registered as serving (False: the first generation
        of a new version, built while another release's processes serve theirs)"""
        for name in names:
            settled = self.generations.settle(
                name, CATALOG[name].version, self.make_view(name).relations()
            )
            self._serve(name, settled.generation, serving=settled.state == SERVING)
        self.failure_log = ViewFailures(self.datastore, namespace)
        self.failure_log.create_table()

    def make_view(self, name: str, generation: int = 0) -> View:
        """A view object for one generation of read model `name` (no table made)."""
        return CATALOG[name].model.bind(self.datastore, self.namespace, generation).view

    def make_projection(self, name: str, generation: int) -> ReadModel:
        """The read model writing one generation of read model `name`, its tables made."""
        model = CATALOG[name].model.bind(self.datastore, self.namespace, generation)
        model.view.create_table()
        return model

    def _serve(self, name: str, generation: int, serving: bool = True) -> None:
        self._read_from(name, self.make_projection(name, generation))
        self.serving[name] = serving

    def _read_from(self, name: str, model: ReadModel) -> None:
        """Writes go through `projections[name]`; reads through `views[name]`: the same
        read model."""
        self.projections[name] = model
        self.views[name] = model

    # Blue/green

    def begin_generation(self, name: str) -> ReadModel:
        """Register and make the next generation of read model `name`, to be built
        beside the serving one, after dropping the generations a rebuild retired before
        (or left half-built, their lock free: generations.py)."""
        version = self.views[name].version
        locks = ViewLocks(self.datastore, self.namespace)
        for stale in self.generations.of(name, version):
            if stale.state == SERVING or stale.generation == self.views[name].generation:
                continue
            with locks.hold(lock_name(name, stale.generation)) as free:
                if free:
                    self.generations.drop(stale)
        begun = self.generations.begin(
            name, version, lambda generation: self.make_view(name, generation).relations()
        )
        return self.make_projection(name, begun.generation)

    def switch(self, name: str, projection: ReadModel) -> None:
        """Serve the reads of `name` from the generation `projection` writes (caught up)."""
        view = projection.view
        self.generations.switch(name, view.version, view.generation)
        self._read_from(name, projection)
        self.serving[name] = True

    def promote(self, name: str) -> None:
        """Record the generation read here as serving: the first generation of a new
        version, once it has caught up with the log."""
        self.switch(name, self.projections[name])

    def all_generations(self) -> list[Generation]:
        return self.generations.all()

    def generation_position(self, generation: Generation) -> int:
        """How far a generation of any version has processed the log."""
        app_name = self.application_name.replace("'", "''")
        table = self.generations.qualified(generation.tracking)
        rows = self._read(
            f"SELECT MAX(notification_id) AS position FROM {table} "
            f"WHERE application_name = '{app_name}'"
        )
        return rows[0]["position"] or 0

    def prune(self) -> list[Generation]:
        """Drop the tables of every generation that serves no process any more: those
        a rebuild retired, those a dead rebuild left building, and every generation of
        a version older than the newest one serving (run it once no process of an older
        release runs). Returns them."""
        locks = ViewLocks(self.datastore, self.namespace)
        everything = self.generations.all()
        newest: dict[str, int] = {}
        for g in everything:
            if g.state == SERVING:
                newest[g.name] = max(newest.get(g.name, 0), g.version)
        dropped = []
        for g in everything:
            kept = g.state == SERVING and g.version == newest.get(g.name)
            in_use = g.name in self.views and (g.version, g.generation) == (
                self.views[g.name].version,
                self.views[g.name].generation,
            )
            if kept or in_use or g.version > newest.get(g.name, 0):
                continue
            with locks.hold(lock_name(g.name, g.generation)) as free:
                if free:
                    self.generations.drop(g)
                    dropped.append(g)
        return dropped

    @property
    def is_postgres(self) -> bool:
        return isinstance(self.datastore, PostgresDatastore)

    @_once_more
    def head(self) -> int:
        """The position of the last event in the log (0 when empty). One plain query,
        tried twice at most, so that an outage shows at once."""
        return self._read(f"SELECT ({self._head_sql()}) AS head")[0]["head"] or 0

    def _head_sql(self) -> str:
        events = self.app.recorder.events_table_name  # type: ignore[attr-defined]
        if self.is_postgres:
            schema = self.datastore.schema.replace('"', '""')
            return f'SELECT MAX(notification_id) FROM "{schema}"."{events}"'
        return f"SELECT MAX(rowid) FROM {events}"

    @_once_more
    def positions(self, names: Iterable[str] | None = None) -> dict[str, int]:
        """The last position each view has processed, read in one query with the
        generation that serves each read model (all of them, not only those named: a
        read may use one it does not wait for): when another one serves now (a rebuild
        has switched, generations.py), this process reads it from now on."""
        return self._look(names, with_head=False)[1]

    @_once_more
    def head_and_positions(self, names: Iterable[str] | None) -> tuple[int, dict[str, int], bool]:
        """What a follower's pass looks at first, in ONE query: the log's head, the
        positions (as `positions`) and whether any view has a failure recorded."""
        return self._look(names, with_head=True)

    def _look(
        self, names: Iterable[str] | None, with_head: bool
    ) -> tuple[int, dict[str, int], bool]:
        chosen = list(names) if names is not None else list(self.views)
        if not chosen and not with_head:
            return 0, {}, False
        app_name = self.application_name.replace("'", "''")
        views = dict(self.views)
        parts = [
            f"SELECT '{name}' AS name, "
            + (
                f"(SELECT MAX(notification_id) FROM {view.table('tracking')} "
                f"WHERE application_name = '{app_name}')"
                if name in chosen
                else "CAST(NULL AS BIGINT)"
            )
            + f" AS position, {self.generations.serving_sql(name, view.version)} AS serving"
            for name, view in views.items()
        ]
        if with_head:
            parts += [
                f"SELECT '#head', ({self._head_sql()}), NULL",
                f"SELECT '#failed', (SELECT COUNT(*) FROM {self.failure_log.table}), NULL",
            ]
        rows = self._read(" UNION ALL ".join(parts))
        looked = {row["name"]: row["position"] for row in rows if row["name"].startswith("#")}
        rows = [row for row in rows if not row["name"].startswith("#")]
        switched = [
            row
            for row in rows
            if row["serving"] is not None
            and (row["serving"] != views[row["name"]].generation or not self.serving[row["name"]])
        ]
        if switched:
            for row in switched:
                self._serve(row["name"], row["serving"])
            return self._look(chosen, with_head)
        positions = {row["name"]: row["position"] or 0 for row in rows if row["name"] in chosen}
        return looked.get("#head") or 0, positions, bool(looked.get("#failed"))

    def _read(self, sql: str) -> list[Any]:
        """The rows of one query. On PostgreSQL not in a transaction: one statement
        reads as consistently in autocommit, where a read-only transaction costs two
        more round trips (BEGIN, ROLLBACK) and, at its ROLLBACK, psycopg drops the
        connection's prepared statements (DEALLOCATE ALL, a third). The follower
        and every read waiting for its writes ask for the head and the positions
        often."""
        if self.is_postgres:
            with self.datastore.get_connection() as conn, conn.cursor() as cursor:
                cursor.execute(sql)
                return cursor.fetchall()
        with self.datastore.transaction(commit=False) as cursor:
            cursor.execute(sql)
            return cursor.fetchall()

    @_once_more
    def failures(
        self, names: Iterable[str] | None = None, positions: dict[str, int] | None = None
    ) -> dict[str, Failure]:
        """The views (of those named) stuck on an event they failed to apply, given
        their positions (read when not given): see failures.py."""
        chosen = list(names) if names is not None else list(self.views)
        recorded = self.failure_log.read(chosen)
        if not recorded:
            return {}
        if positions is None:
            positions = self.positions(list(recorded))
        return current(recorded, positions)

    def view(self, name: str) -> Any:
        return self.views[name]

    def dump(self) -> dict[str, Any]:
        """Every view's rows and position: equal for two sets built from one log."""
        positions = self.positions()
        return {
            name: {"position": positions[name], "tables": view.dump()}
            for name, view in self.views.items()
        }
