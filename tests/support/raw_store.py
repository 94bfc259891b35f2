"""The event store under the application: direct SQL on its events table, on either
store, as someone with the database password would write it (the tamper tests)."""

from __future__ import annotations

from eventsourcing.sqlite import SQLiteApplicationRecorder


class Store:
    """Direct SQL on the event store, as someone with the database password would."""

    def __init__(self, ledger):
        self.recorder = ledger.recorder
        self.sqlite = isinstance(self.recorder, SQLiteApplicationRecorder)
        if self.sqlite:
            self.events, self.position = self.recorder.events_table_name, "rowid"
        else:
            schema = self.recorder.datastore.schema
            self.events = f'"{schema}"."{self.recorder.events_table_name}"'
            self.position = "notification_id"

    def run(self, sql: str, *params) -> list:
        if not self.sqlite:
            sql = sql.replace("?", "%s")
        with self.recorder.datastore.transaction(commit=True) as cursor:
            cursor.execute(sql, params)
            try:
                return [tuple(dict(row).values()) for row in cursor.fetchall()]
            except Exception:  # no result set
                return []

    def state(self, position: int) -> bytes:
        found = self.run(f"SELECT state FROM {self.events} WHERE {self.position} = ?", position)
        return bytes(found[0][0])

    def set_state(self, position: int, state: bytes) -> None:
        self.run(f"UPDATE {self.events} SET state = ? WHERE {self.position} = ?", state, position)

    def delete(self, position: int) -> None:
        self.run(f"DELETE FROM {self.events} WHERE {self.position} = ?", position)
