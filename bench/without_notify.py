"""The service as deployed but for one thing: its insert function issues no NOTIFY, so
no follower can be woken on commit. It is the baseline bench/lag.py measures the cost
of the NOTIFY on the writes against (`gunicorn bench.without_notify:app`,
`flask --app bench.without_notify projections run`).

Every process of that baseline must load this module, not `wsgi`: each process
re-creates the insert function as it opens the event store, and the last one to do so
decides for the whole database (bench/lag.py checks which one is in place)."""

from psycopg.sql import SQL, Identifier

from service.infra.postgres_failfast import FailFastApplicationRecorder, FailFastPostgresFactory


class RecorderWithoutNotify(FailFastApplicationRecorder):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        notify = SQL("NOTIFY {}; ").format(Identifier(self.channel_name)).as_string()
        texts = [statement.as_string() for statement in self.sql_create_statements]
        (index,) = [i for i, text in enumerate(texts) if self.locked_insert_function in text]
        assert notify in texts[index], "the insert function no longer notifies as it did"
        self.sql_create_statements[index] = SQL(texts[index].replace(notify, ""))


FailFastPostgresFactory.application_recorder_class = RecorderWithoutNotify

from wsgi import app  # noqa: E402 - made once the factory makes the recorder above

__all__ = ["app"]
