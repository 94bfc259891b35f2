"""A view whose tables change shape gets a new version, part of its tables' names
(projections/engine/views.py): a deployment of the new code finds the earlier
version's tables (and their tracking, far along the log) beside its own, leaves them
alone, and builds its own from the log, so the figures are right at once."""

from __future__ import annotations

import sqlite3
from urllib.parse import parse_qs, urlparse

import psycopg
import pytest

from projections import CATALOG
from tests.support.api import activity

NAMES = ("balances", "activities", "usage", "team")

OLD_ALLOCATIONS = (
    "id TEXT PRIMARY KEY, engagement_id TEXT NOT NULL, project_id TEXT NOT NULL, "
    "start_date TEXT NOT NULL, end_date TEXT NOT NULL, description TEXT NOT NULL, "
    "provider TEXT, units INTEGER NOT NULL, units_used INTEGER NOT NULL, "
    "cancelled_on TEXT, cancel_reason TEXT, version INTEGER NOT NULL, "
    "modified_on TEXT NOT NULL, position BIGINT NOT NULL"
)
"""`balances_allocations` as version 1 made it (no `valid_from`)."""


def run_sql(database_url: str, *statements: str) -> list[tuple]:
    url = urlparse(database_url)
    if url.scheme == "sqlite":
        with sqlite3.connect(url.path) as db:
            for statement in statements:
                rows = db.execute(statement).fetchall()
            return rows
    schema = parse_qs(url.query)["schema"][0]
    with psycopg.connect(database_url.split("?")[0], autocommit=True) as db:
        db.execute(f'SET search_path TO "{schema}"')
        for statement in statements:
            cursor = db.execute(statement)
            rows = cursor.fetchall() if cursor.description else []
        return rows


@pytest.fixture
def earlier_version(database_url: str) -> None:
    """What version 1 left in the database: its tracking, far along the log, and a
    table of the old shape holding a row."""
    if database_url.startswith("sqlite"):  # the file must exist before the app opens it
        sqlite3.connect(urlparse(database_url).path).close()
    run_sql(
        database_url,
        *(
            f"CREATE TABLE {name}_tracking (application_name TEXT PRIMARY KEY, "
            "notification_id BIGINT)"
            for name in NAMES
        ),
        *(f"INSERT INTO {name}_tracking VALUES ('Ledger', 1000000)" for name in NAMES),
        f"CREATE TABLE balances_allocations ({OLD_ALLOCATIONS})",
        "INSERT INTO balances_allocations VALUES ('stale', 'e', 'p', '2000-01-01', "
        "'2000-12-31', 'left by version 1', NULL, 1, 0, NULL, NULL, 1, 'x', 1)",
    )


def test_the_tables_of_an_earlier_version_are_left_alone_and_the_new_built_from_the_log(
    database_url, earlier_version, api, world
):
    assert all(CATALOG[name].version > 1 for name in NAMES)
    allocation = world["allocation"]
    recorded = api.post(f"/api/allocations/{allocation['id']}/activities", activity())
    assert recorded.status_code == 201, recorded.json

    listed = api.get("/api/allocations").json["items"]
    assert [(a["id"], a["units_used"]) for a in listed] == [(allocation["id"], 3)]
    month = recorded.json["date_to"][:7]
    report = api.get("/api/reports/monthly", month=month).json
    assert report["totals"]["units_used_month"] == 3
    before = api.get("/api/reports/monthly", month=month, as_of_position=allocation["position"])
    assert before.json["totals"]["units_used_month"] == 0
    assert run_sql(database_url, "SELECT description FROM balances_allocations") == [
        ("left by version 1",)
    ]
