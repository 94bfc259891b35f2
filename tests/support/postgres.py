"""The suite's PostgreSQL: where it is (TEST_PGHOST, TEST_PGPORT, TEST_PGDATABASE) and an
administrator's connection to it. A test PostgreSQL cannot reach fails, never skips."""

from __future__ import annotations

import os

import psycopg
import pytest

PG_HOST = os.environ.get("TEST_PGHOST", "127.0.0.1")
PG_PORT = int(os.environ.get("TEST_PGPORT", "5432"))
PG_DATABASE = os.environ.get("TEST_PGDATABASE", "ces_test")


def admin_connection(dbname: str = "postgres") -> psycopg.Connection:
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


def postgres_url(database: str, schema: str) -> str:
    return f"postgresql://postgres@{PG_HOST}:{PG_PORT}/{database}?schema={schema}"
