"""Settings from the environment, checked at start-up."""

import pytest

from service.infra.config import ConfigurationError, Settings


def test_the_default_is_sqlite_under_var():
    settings = Settings.from_environment({})
    assert settings.persistence["PERSISTENCE_MODULE"] == "eventsourcing.sqlite"
    assert settings.persistence["SQLITE_DBNAME"] == "var/ledger.sqlite3"
    assert settings.port == 8000


def test_a_postgresql_url_selects_postgres_with_its_parts():
    env = Settings.from_environment(
        {"DATABASE_URL": "postgresql://app:s%40cret@db.internal:6543/ledger?schema=ces"}
    ).persistence
    assert env["PERSISTENCE_MODULE"] == "service.infra.postgres_failfast:FailFastPostgresFactory"
    assert (env["POSTGRES_HOST"], env["POSTGRES_PORT"], env["POSTGRES_DBNAME"]) == (
        "db.internal",
        "6543",
        "ledger",
    )
    assert (env["POSTGRES_USER"], env["POSTGRES_PASSWORD"], env["POSTGRES_SCHEMA"]) == (
        "app",
        "s@cret",
        "ces",
    )


@pytest.mark.parametrize(
    "environ, message",
    [
        ({"DATABASE_URL": "mysql://x/y"}, "DATABASE_URL"),
        ({"PORT": "eighty"}, "PORT"),
        ({"DATABASE_URL": "postgresql://host"}, "database name"),
        ({"SESSION_MAX_HOURS": "0"}, "SESSION_MAX_HOURS"),
        ({"SESSION_MAX_HOURS": "721"}, "SESSION_MAX_HOURS"),
        ({"SESSION_MAX_HOURS": "1.5"}, "SESSION_MAX_HOURS"),
        ({"PDF_RENDERS": "0"}, "PDF_RENDERS"),
        ({"PDF_RENDERS": "9"}, "PDF_RENDERS"),
        ({"PDF_RENDERS": "two"}, "PDF_RENDERS"),
    ],
)
def test_wrong_settings_are_named(environ, message):
    with pytest.raises(ConfigurationError, match=message):
        Settings.from_environment(environ)


def test_a_browser_session_lasts_at_most_twelve_hours_unless_set():
    assert Settings.from_environment({}).web.session_max_hours == 12
    assert Settings.from_environment({"SESSION_MAX_HOURS": "8"}).web.session_max_hours == 8


def test_the_worker_renders_one_pdf_at_a_time_unless_set():
    assert Settings.from_environment({}).pdf_renders == 1
    assert Settings.from_environment({"PDF_RENDERS": "2"}).pdf_renders == 2


def test_sign_in_links_point_where_the_service_serves_unless_public_url_is_set():
    """`make run PORT=8300` exports PORT: its links must lead to port 8300, not 8000."""
    assert Settings.from_environment({}).web.public_url == "http://127.0.0.1:8000"
    served = Settings.from_environment({"PORT": "8300"}).web
    assert served.sign_in_url("abc.def") == "http://127.0.0.1:8300/sign-in/link/abc.def"
    public = {"PORT": "8300", "PUBLIC_URL": "https://ces.example.org/"}
    assert Settings.from_environment(public).web.public_url == "https://ces.example.org"
