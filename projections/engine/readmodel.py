"""The read-model base: one class per read model declares all there is to it.

A read model (readmodels/) is a subclass of `ReadModel` that declares
- `name`, `version` and `tables` (logical name -> column definitions; `indexes` too):
  its tables are named with its name, version and generation (views.py);
- `keys`: the primary key of each table its handlers change by key; a versioned
  table's `_history` twin is not among them (it is only appended to);
- `versioned`: the `Versioned` tables (history.py) whose earlier rows it keeps;
- one handler per event class it cares about, marked `@handles(EventClass)`, as
  `handler(self, rows, event, position)`. From the handlers come `topics`, the
  events it subscribes to: the log is read filtered by them, in the database
  (`select_notifications(..., topics=...)`), and other events never reach it;
- `prefetch(rows, events)`: loads into `rows` (rows.py), in a few statements
  (`rows.load(table, column, values)`; `rows.load_together` sends several in one
  round trip), every row the batch's handlers will read;
- its reads (what reports and the API ask of it), SQL run through `self.reading()`.

The handlers hold no SQL: they fold each event into rows in memory (rows.py), so a
row many events change (a month's sum) changes in memory, and one write per batch
(`apply`) stores the rows changed, the archived versions and the tracking record, in
one transaction: a fixed number of statements per batch, whatever its size (on
SQLite executemany per table; on PostgreSQL one multi-row statement per table, in
pipeline mode: row_writes.py). A rebuild (fold.py) runs the SAME
handlers over the whole log into rows that start empty and then writes every row
once (`write_all`: COPY on PostgreSQL, executemany on SQLite); so the live follower
and a rebuild write the same rows, `_history` included.

The SQL dialect is not a subclass: `bind()` hands the read model the view of its
tables in the store's dialect (`SQLiteView` or `PostgresView`, views.py), which also
keeps its tracking record, its lock name and its generation (blue/green).

How a read model is moved onto this base: declare the tables, keys and versioned
tables as class attributes; turn each handler into `@handles(...)` taking
`(rows, event, position)` and reading/changing rows through `rows.get/put/update/
revise/delete` (history.py's versioned tables kept through `rows.revise`); write
`prefetch` so every `rows.get` of a batch is answered from memory; move the view's
reads onto the class; register it in projections/catalog.py as `Kind(..., model=X)`.
tests/integration/test_rebuild_by_folding.py then holds the live and rebuilt rows
equal, and test_follower_pass.py the statements of a pass fixed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, ClassVar

from eventsourcing.persistence import Tracking
from eventsourcing.postgres import PostgresDatastore
from eventsourcing.sqlite import SQLiteDatastore
from eventsourcing.utils import get_topic

from projections.engine.failures import EventFailed
from projections.engine.history import Versioned
from projections.engine.rows import Rows
from projections.engine.views import PostgresView, SQLiteView, Tx, View
from service.infra.store_errors import DATABASE_UNAVAILABLE

Event = tuple[Any, int]
"""A decoded domain event and its log position."""


def handles(*event_classes: type) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Mark a method as the read model's handler of these event classes."""

    def mark(method: Callable[..., None]) -> Callable[..., None]:
        method.handles = event_classes  # type: ignore[attr-defined]
        return method

    return mark


class ReadModel:
    name: ClassVar[str]
    version: ClassVar[int] = 1
    tables: ClassVar[dict[str, str]]
    indexes: ClassVar[dict[str, tuple[str, str]]] = {}
    keys: ClassVar[dict[str, tuple[str, ...]]]
    versioned: ClassVar[tuple[Versioned, ...]] = ()
    handlers: ClassVar[dict[type, str]]
    """event class -> the name of the method handling it (from `@handles`)"""
    topics: ClassVar[tuple[str, ...]]
    """the stored topics of the events handled: what the log is read for"""
    clustered: ClassVar[tuple[str, ...]] = ()
    """tables stored in key order where the store can (SQLite: WITHOUT ROWID)"""
    kept_tables: ClassVar[dict[str, str]] = {}
    """tables named without version or generation, made with the read model and never
    dropped by a rebuild, nor folded (the Merkle tree's signed checkpoints)"""
    reads_stored_records: ClassVar[bool] = False
    """Handed each stored record as read (a `Notification`), every one: the log read
    for it is not filtered by topic (the Merkle tree, which hashes the stored bytes)."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        handlers: dict[type, str] = {}
        for klass in reversed(cls.__mro__):
            for attribute, value in vars(klass).items():
                for event_class in getattr(value, "handles", ()):
                    handlers[event_class] = attribute
        cls.handlers = handlers
        cls.topics = (
            ()
            if cls.reads_stored_records
            else tuple(sorted(get_topic(event_class) for event_class in handlers))
        )

    def __init__(self, view: View):
        self.view = view

    @classmethod
    def bind(cls, datastore: Any, namespace: str = "", generation: int = 0) -> ReadModel:
        """The read model on one store: its tables' view in the store's dialect."""
        dialect: type[View]
        if isinstance(datastore, PostgresDatastore):
            dialect = PostgresView
        elif isinstance(datastore, SQLiteDatastore):
            dialect = SQLiteView
        else:
            raise TypeError(f"no read models in a {type(datastore).__name__}")
        return cls(dialect(datastore, namespace=namespace, generation=generation, spec=cls))

    # Folding

    def prefetch(self, rows: Rows, events: Sequence[Event]) -> None:
        """Load the rows the handlers of `events` will read (none by default)."""

    def new_rows(self, loader: Any = None, select: Any = None) -> Rows:
        return Rows(self.keys, self.versioned, loader, select)

    def fold(self, rows: Rows, events: Sequence[Event]) -> None:
        """Apply each event's handler to `rows`, in order. Raises EventFailed naming
        the event a handler failed on (the database failing, as it is)."""
        for event, position in events:
            method = self.handlers.get(type(event))
            if method is None:
                continue
            try:
                getattr(self, method)(rows, event, position)
            except DATABASE_UNAVAILABLE:
                raise
            except Exception as error:
                raise EventFailed(self.name, position, error) from error

    def apply(self, cursor: Any, tracking: Tracking, events: Sequence[Event]) -> None:
        """A follower's batch in the transaction of `cursor`: the tracking record (of
        the last position the batch read the log to) first, which also locks out any
        other writer until commit; the rows the batch reads, loaded; the events folded;
        the rows changed written."""
        self.view.write_tracking(cursor, tracking)
        events = [(event, at) for event, at in events if type(event) in self.handlers]
        if not events:
            return
        rows = self.new_rows(
            lambda requests: self.view.select_in(cursor, requests),
            lambda sql: Tx(self.view, cursor).row(sql),
        )
        self.prefetch(rows, events)
        self.fold(rows, events)
        self.flush(cursor, rows)

    def flush(self, cursor: Any, rows: Rows) -> None:
        """Write what a batch changed: per table, its rows upserted and its keys
        deleted, each one statement; the archived versions appended."""
        view = self.view
        for table, key in self.keys.items():
            written, deleted = rows.changed(table)
            columns = view.columns(table)
            if written:
                view.upsert_rows(
                    cursor, table, key, columns, [tuple(r[c] for c in columns) for r in written]
                )
            if deleted:
                view.delete_rows(cursor, table, key, deleted)
        for history, archived in rows.archived.items():
            if archived:
                view.insert_rows(cursor, history, view.columns(history), archived)
        rows.clear()

    def write_all(self, cursor: Any, rows: Rows) -> None:
        """Write every row held into the empty tables, the fastest way the store has
        (a rebuild, after its fold)."""
        view = self.view
        for table in self.keys:
            columns = view.columns(table)
            found = [tuple(r[c] for c in columns) for r in rows.all(table)]
            if found:
                view.write_rows(cursor, table, columns, found)
        for history, archived in rows.archived.items():
            if archived:
                view.write_rows(cursor, history, view.columns(history), archived)

    # What the engine asks of any read model, answered by its view

    @property
    def generation(self) -> int:
        return self.view.generation

    @property
    def lock_name(self) -> str:
        return self.view.lock_name

    def table(self, logical: str) -> str:
        return self.view.table(logical)

    def relations(self) -> list[str]:
        return self.view.relations()

    def position(self, application_name: str) -> int:
        return self.view.position(application_name)

    def dump(self) -> dict[str, list[dict[str, Any]]]:
        return self.view.dump()

    def drop(self) -> None:
        self.view.drop()

    @contextmanager
    def batch_transaction(self) -> Iterator[Any]:
        with self.view.batch_transaction() as cursor:
            yield cursor

    @contextmanager
    def reading(self) -> Iterator[Tx]:
        with self.view.reading() as tx:
            yield tx
