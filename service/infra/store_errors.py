"""The exceptions that mean "the database is unreachable or busy right now", which
the API answers with 503 and Retry-After rather than 500."""

import sqlite3

import psycopg
import psycopg_pool
from eventsourcing.persistence import InterfaceError, OperationalError

DATABASE_UNAVAILABLE = (
    OperationalError,
    InterfaceError,
    psycopg.OperationalError,
    psycopg.InterfaceError,
    psycopg_pool.PoolTimeout,
    sqlite3.OperationalError,
)
