"""Fixtures shared by every test layer: the two event stores every store-touching
test runs on. PostgreSQL is never skipped: if it is unreachable the tests fail
and say so (`make test` starts it first).

Boundary tests run on SQLite only. A test marked `@pytest.mark.boundary` checks a
request the service refuses at its boundary, before any command runs: the HTTP layer
(body size, content type, method, unknown query parameter), the schemas and the input
policy (service/infra/input_policy.py: malformed, out-of-range or not plainly written
values), or the role a route or page requires. What decides those answers never
reads a store, so a second store would run the same code again (several hundred
tests, each making and dropping a PostgreSQL schema) and find nothing the first did
not. Their "the log did not grow" checks do read the store, but only its head,
which both stores answer alike.

A test stays on both stores, unmarked, when the answer it checks depends on stored
state or on how a store holds it: refusals the domain decides against what is stored
(conflicts, overlaps, unknown or hidden ids, a member's own activities), anything it
writes and reads back, and anything in doubt. The mark only narrows `database_url`:
`pytest -m boundary` lists them, and `make check` runs SQLite alone for the edit loop."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator

import psycopg
import pytest

from tests.support.postgres import PG_DATABASE, admin_connection, postgres_url


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "boundary: refused at the service's boundary before any command runs: "
        "runs on SQLite only (tests/conftest.py says why)",
    )


@pytest.hookimpl(tryfirst=True)
def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A boundary test takes `database_url` on SQLite alone. A parametrize mark placed
    first keeps its ids as they were (`[sqlite-…]`) and replaces the fixture's params."""
    if "database_url" in metafunc.fixturenames and metafunc.definition.get_closest_marker(
        "boundary"
    ):
        only_sqlite = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
        metafunc.definition.add_marker(only_sqlite, append=False)


@pytest.fixture(scope="session")
def pg_database() -> str:
    """A database of the suite's own, made once per run."""
    with admin_connection() as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (PG_DATABASE,)
        ).fetchone()
        if not exists:
            # pytest-xdist's workers all come here at once; one of them makes it.
            with contextlib.suppress(
                psycopg.errors.DuplicateDatabase, psycopg.errors.UniqueViolation
            ):
                conn.execute(f'CREATE DATABASE "{PG_DATABASE}"')
    return PG_DATABASE


@pytest.fixture
def pg_schema(pg_database: str) -> Iterator[str]:
    """A fresh schema per test, dropped afterwards: tests never see each other's events."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with admin_connection(pg_database) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    yield schema
    with admin_connection(pg_database) as conn:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request, tmp_path) -> str:
    """Each store-touching test runs once on SQLite and once on PostgreSQL; a boundary
    test on SQLite only (see above)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/ledger.sqlite3"
    database = request.getfixturevalue("pg_database")
    schema = request.getfixturevalue("pg_schema")
    return postgres_url(database, schema)
