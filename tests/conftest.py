"""Fixtures shared by every test layer: the two event stores every store-touching
test runs on. PostgreSQL is never skipped: if it is unreachable the tests fail
and say so (`make test` starts it first)."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator

import psycopg
import pytest

from tests.support.postgres import PG_DATABASE, admin_connection, postgres_url


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
    """Each store-touching test runs once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/ledger.sqlite3"
    database = request.getfixturevalue("pg_database")
    schema = request.getfixturevalue("pg_schema")
    return postgres_url(database, schema)
