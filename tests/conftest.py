"""Fixtures shared by every test layer: the two event stores every store-touching
test runs on. PostgreSQL is never skipped: if it is unreachable the tests fail
and say so (`make test` starts it first)."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator

import psycopg
import pytest

PG_HOST = os.environ.get("TEST_PGHOST", "127.0.0.1")
PG_PORT = int(os.environ.get("TEST_PGPORT", "5432"))
PG_DATABASE = os.environ.get("TEST_PGDATABASE", "ces_test")


def _admin_connection(dbname: str = "postgres") -> psycopg.Connection:
    try:
        return psycopg.connect(
            host=PG_HOST,
            port=PG_PORT,
            user="postgres",
            dbname=dbname,
            autocommit=True,
            connect_timeout=5,
        )
    except psycopg.OperationalError as error:
        pytest.fail(
            f"PostgreSQL is not reachable at {PG_HOST}:{PG_PORT} ({error}); "
            "run `make test`, which starts it, or start it with "
            "`pg_ctlcluster --skip-systemctl-redirect 15 main start`",
            pytrace=False,
        )


@pytest.fixture(scope="session")
def pg_database() -> str:
    """A database of the suite's own, made once per run."""
    with _admin_connection() as conn:
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
    with _admin_connection(pg_database) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    yield schema
    with _admin_connection(pg_database) as conn:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def postgres_url(database: str, schema: str) -> str:
    return f"postgresql://postgres@{PG_HOST}:{PG_PORT}/{database}?schema={schema}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request, tmp_path) -> str:
    """Each store-touching test runs once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/ledger.sqlite3"
    database = request.getfixturevalue("pg_database")
    schema = request.getfixturevalue("pg_schema")
    return postgres_url(database, schema)
