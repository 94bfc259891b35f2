"""End-to-end fixtures: a PostgreSQL database of the test's own and gunicorn on it."""

from collections.abc import Iterator

import pytest

from tests.support.servers import Client, Service, drop_database, new_database


@pytest.fixture
def database_url() -> Iterator[str]:
    name = new_database()
    yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    drop_database(name)


@pytest.fixture
def service(database_url: str) -> Iterator[Service]:
    service = Service(env={"DATABASE_URL": database_url}, workers=3).start()
    yield service
    service.stop()


@pytest.fixture
def admin(service: Service) -> Client:
    return Client(service.url, service.token("admin"))
