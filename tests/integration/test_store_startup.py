"""Several processes starting at once on an empty PostgreSQL database (gunicorn's
workers, the projection process, a CLI command) all come up: the loser of a race to
create the tables and functions tries again and finds them made."""

from concurrent.futures import ProcessPoolExecutor

import pytest

from tests.conftest import postgres_url

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
