"""Several processes starting at once on an empty PostgreSQL database (gunicorn's
workers, the projection process, a CLI command) all come up: the loser of a race to
create the tables and functions tries again and finds them made."""

from concurrent.futures import ProcessPoolExecutor

import pytest

from tests.support.postgres import postgres_url

PROCESSES = 8


def start_ledger(database_url: str) -> int:
    from service.application import Ledger
    from service.infra.config import Settings

    ledger = Ledger(env=Settings.from_environment({"DATABASE_URL": database_url}).persistence)
    try:
        return ledger.recorder.max_notification_id() or 0
    finally:
        ledger.close()


@pytest.mark.postgres
def test_processes_starting_together_on_an_empty_database_all_come_up(pg_database, pg_schema):
    url = postgres_url(pg_database, pg_schema)
    with ProcessPoolExecutor(PROCESSES) as pool:
        assert list(pool.map(start_ledger, [url] * PROCESSES)) == [0] * PROCESSES


@pytest.mark.postgres
def test_views_opening_while_a_follower_holds_a_write_do_not_wait_for_it(pg_database, pg_schema):
    """A web worker opens its read models while another process's follower is in the
    middle of a batch: opening must not take locks on the views' tables. It used to
    (`CREATE INDEX IF NOT EXISTS` locks the table first) and the two deadlocked."""
    import threading

    import psycopg

    from projections.engine.catalog import Projections
    from service.application import Ledger
    from service.infra.config import Settings

    url = postgres_url(pg_database, pg_schema)
    ledger = Ledger(env=Settings.from_environment({"DATABASE_URL": url}).persistence)
    try:
        tables = [
            view.table(logical)
            for view in Projections(ledger).views.values()
            for logical in view.tables
        ]
        with psycopg.connect(url.split("?")[0]) as writer:
            for table in tables:  # what a follower's open batch holds
                writer.execute(f"LOCK TABLE {table} IN ROW EXCLUSIVE MODE")
            opened = threading.Event()
            threading.Thread(
                target=lambda: (Projections(ledger), opened.set()), daemon=True
            ).start()
            assert opened.wait(timeout=30), (
                "opening the read models waited on a lock held by a writer of the views"
            )
    finally:
        ledger.close()
