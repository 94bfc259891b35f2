"""Imports on the in-memory store: the ledger's side (service/application/imports/commands.py),
and a recording stored before imports loading as not imported."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

from eventsourcing.persistence import StoredEvent

from service.application.caller import Caller
from service.application.imports.rows import ImportFile, imported_activity_id
from service.web.schemas.import_file import read_activities

HEADER = "external_id,allocation_id,team_member,units,description,date_from,date_to,recorded_at"


def test_a_recording_stored_before_imports_loads_as_not_imported(ledger, grant_to_ana):
    allocation = grant_to_ana(date(2026, 3, 1), date(2026, 3, 31))
    ledger.record_activity(
        allocation.id,
        team_member="ana",
        units=2,
        description="call",
        date_from=date(2026, 3, 2),
        date_to=date(2026, 3, 2),
        caller=Caller("Ana Silva"),
    )
    stored = ledger.recorder.select_events(allocation.id)[-1]
    state = json.loads(stored.state)
    assert (state["imported"], state["external_id"], state["class_version"]) == (False, None, 3)
    del state["imported"], state["external_id"]
    state["class_version"] = 2
    before_imports = StoredEvent(
        originator_id=stored.originator_id,
        originator_version=stored.originator_version,
        topic=stored.topic,
        state=json.dumps(state).encode(),
    )
    event = ledger.mapper.to_domain_event(before_imports)
    assert (event.imported, event.external_id) == (False, None)


def test_an_import_checks_writes_and_skips_on_the_library_store(ledger, grant_to_ana):
    allocation = grant_to_ana(date(2026, 3, 1), date(2026, 3, 31))
    rows = "\n".join(
        f"m-{n},{allocation.id},ana,{n},work,2026-03-0{n},2026-03-0{n},2026-03-0{n + 1}T09:00Z"
        for n in range(1, 6)
    )
    file = read_activities(f"{HEADER}\n{rows}\n".encode())
    dry = ledger.import_activities(file, actor="Ada Admin", dry_run=True)
    assert (dry.imported, dry.skipped, dry.errors) == (5, 0, [])
    done = ledger.import_activities(file, actor="Ada Admin")
    assert (done.imported, done.skipped) == (5, 0)
    again = ledger.import_activities(file, actor="Ada Admin")
    assert (again.imported, again.skipped, again.position) == (0, 5, done.position)
    imported = ledger.allocation(allocation.id).activity(imported_activity_id("m-3"))
    assert imported.imported and imported.recorded_at == datetime(2026, 3, 4, 9, tzinfo=UTC)


def test_a_wrong_row_anywhere_writes_nothing(ledger, grant_to_ana):
    allocation = grant_to_ana(date(2026, 3, 1), date(2026, 3, 31))
    rows = [
        f"w-1,{allocation.id},ana,1,ok,2026-03-02,2026-03-02,2026-03-02T18:00Z",
        f"w-2,{allocation.id},ana,1,early,2026-03-05,2026-03-05,2026-03-04T09:00Z",
        f"w-3,{allocation.id},ben,1,who,2026-03-02,2026-03-02,2026-03-02T18:00Z",
    ]
    head = ledger.recorder.max_notification_id()
    data = (f"{HEADER}\n" + "\n".join(rows) + "\n").encode()
    outcome = ledger.import_activities(read_activities(data), actor="Ada Admin")
    assert [(e.line, e.column) for e in outcome.errors] == [(3, "recorded_at"), (4, "team_member")]
    assert outcome.imported == 0 and ledger.recorder.max_notification_id() == head


def test_an_empty_file_imports_nothing(ledger):
    outcome = ledger.import_activities(ImportFile([], [], 0), actor="Ada Admin")
    assert (outcome.rows, outcome.imported, outcome.errors) == (0, 0, [])


def test_a_batch_that_clashes_with_a_live_recording_is_written_again(
    ledger, grant_to_ana, monkeypatch
):
    """A member records on the allocation while the import writes to it: the import's
    save clashes on the stream's version, and is done again on the allocation as it now
    stands, as a command would be."""
    allocation = grant_to_ana(date(2026, 3, 1), date(2026, 3, 31))
    save, clashes = ledger.save, []

    def save_after_a_live_recording(*objects, **kwargs):
        if not clashes:
            clashes.append("live")
            ledger.record_activity(
                allocation.id,
                team_member="ana",
                units=1,
                description="live",
                date_from=date(2026, 3, 9),
                date_to=date(2026, 3, 9),
                caller=Caller("Ana Silva"),
            )
        return save(*objects, **kwargs)

    rows = f"c-1,{allocation.id},ana,2,imported,2026-03-02,2026-03-02,2026-03-02T18:00Z"
    file = read_activities(f"{HEADER}\n{rows}\n".encode())
    monkeypatch.setattr(ledger, "save", save_after_a_live_recording)
    outcome = ledger.import_activities(file, actor="Ada Admin")
    assert (outcome.imported, outcome.skipped, clashes) == (1, 0, ["live"])
    assert ledger.allocation(allocation.id).units_used == 3
