"""The floor for the ingest benchmark: the least a Python web service can do for a
durable write — parse a JSON body and insert one row, through Flask and a psycopg
pool, under the same gunicorn settings as the service."""

import json
import os

from flask import Flask, request
from psycopg_pool import ConnectionPool

app = Flask(__name__)
_pool: ConnectionPool | None = None


def pool() -> ConnectionPool:
    """Made on first use, after gunicorn's fork, like the service's own pool."""
    global _pool
    if _pool is None:
        _pool = ConnectionPool(os.environ["BENCH_DSN"], min_size=1, max_size=2, open=True)
    return _pool


@app.post("/rows")
def insert_row():
    body = request.get_json()
    with pool().connection() as conn:
        conn.execute("INSERT INTO bench_rows (body) VALUES (%s)", (json.dumps(body),))
    return {"stored": True}, 201


@app.get("/healthz")
def healthz():
    return {"status": "ok"}
