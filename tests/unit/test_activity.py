"""The Activity value, with no store: the field lists derived from it, the events that
carry its work, what each change makes of it, and its transcoding, through which an
allocation's snapshot keeps it (a snapshot taken while activities were dicts loads as
values)."""

import json
from dataclasses import FrozenInstanceError, fields
from datetime import UTC, date, datetime
from uuid import uuid4

import pytest
from eventsourcing.domain import Snapshot
from eventsourcing.persistence import DatetimeAsISO, JSONTranscoder, Mapper, StoredEvent, UUIDAsHex
from eventsourcing.utils import get_topic

from service.domain import Allocation, RuleViolation
from service.domain.activity import (
    CORRECTABLE_FIELDS,
    MOVED_FIELDS,
    WORK_FIELDS,
    Activity,
    require_corrections,
)
from service.infra.transcodings import TRANSCODINGS
from service.web.api.activities import ActivityInSchema, CorrectionSchema
from service.web.pages.my_work import CORRECTABLE, FORM_FIELDS
from tests.support.allocations import q2_allocation

WORK = ("team_member", "units", "description", "date_from", "date_to")
RECORDED_AT = datetime(2026, 6, 2, 9, tzinfo=UTC)


def activity(**changes) -> Activity:
    return Activity(
        team_member="ana",
        units=3,
        description="review",
        date_from=date(2026, 6, 1),
        date_to=date(2026, 6, 2),
        recorded_by="Ana Silva",
        recorded_at=RECORDED_AT,
        recorded_version=2,
        **changes,
    )


def mapper() -> Mapper:
    """The ledger's mapper: the library's transcodings and the project's."""
    transcoder = JSONTranscoder()
    for transcoding in (UUIDAsHex(), DatetimeAsISO(), *TRANSCODINGS):
        transcoder.register(transcoding)
    return Mapper(transcoder=transcoder)


def test_the_lists_of_fields_are_derived_from_the_value():
    assert WORK_FIELDS == WORK
    assert CORRECTABLE_FIELDS == WORK
    assert MOVED_FIELDS == (*WORK, "recorded_by", "recorded_at", "corrections", "imported")
    assert set(MOVED_FIELDS) < {f.name for f in fields(Activity)}


def test_the_events_that_carry_the_work_take_its_fields():
    for event in (Allocation.ActivityRecorded, Allocation.ActivityMoved):
        assert set(WORK_FIELDS) <= {f.name for f in fields(event)}, event
    assert set(MOVED_FIELDS) <= {f.name for f in fields(Allocation.ActivityMoved)}


def test_the_api_and_the_form_take_the_fields_of_the_work():
    assert tuple(ActivityInSchema().fields) == WORK_FIELDS
    assert set(CorrectionSchema().fields) == {*CORRECTABLE_FIELDS, "reason"}
    # A person records and corrects their own work: no member to pick on the page.
    assert FORM_FIELDS == ("allocation_id", *(n for n in WORK_FIELDS if n != "team_member"))
    assert CORRECTABLE == (*(n for n in CORRECTABLE_FIELDS if n != "team_member"), "reason")


def test_each_change_makes_a_new_value_and_leaves_the_old_one():
    recorded = activity()
    corrected = recorded.corrected({"units": 5, "description": "longer review"})
    assert (corrected.units, corrected.description, corrected.corrections) == (
        5,
        "longer review",
        1,
    )
    assert (recorded.units, recorded.corrections) == (3, 0)
    assert recorded.counts and not recorded.retract().counts
    to = uuid4()
    moved = recorded.move_to(to)
    assert (moved.moved_to, moved.counts, recorded.moved_to) == (to, False, None)
    with pytest.raises(FrozenInstanceError):
        recorded.units = 4  # type: ignore[misc]


def test_what_it_states_is_what_a_move_carries():
    stated = activity(corrections=2, imported=True).stated()
    assert tuple(stated) == MOVED_FIELDS
    assert (stated["corrections"], stated["imported"], stated["recorded_at"]) == (
        2,
        True,
        RECORDED_AT,
    )


@pytest.mark.parametrize(
    ("changes", "refusal"),
    [
        ({"recorded_by": "mia"}, "cannot correct recorded_by"),
        ({"units": None}, "give at least one of team_member, units, description"),
        ({"units": 0}, "units must be a positive whole number"),
    ],
)
def test_a_correction_changes_only_the_work(changes, refusal):
    with pytest.raises(RuleViolation, match=refusal):
        require_corrections(changes)


def test_a_correction_leaves_out_what_it_does_not_change():
    assert require_corrections({"units": 4, "description": None}) == {"units": 4}


def test_the_transcoding_round_trips_every_field():
    transcoder = mapper().transcoder
    for value in (activity(), activity(corrections=1, imported=True, moved_to=uuid4())):
        encoded = transcoder.encode({"entry": value})
        assert json.loads(encoded)["entry"]["_type_"] == "activity"
        assert transcoder.decode(encoded) == {"entry": value}


def allocation_with_an_activity() -> tuple[Allocation, str]:
    allocation = q2_allocation()
    activity_id = uuid4()
    allocation.record_activity(
        activity_id=activity_id,
        actor="Ana Silva",
        today=date(2026, 6, 15),
        recorded_at=RECORDED_AT,
        **{name: getattr(activity(), name) for name in WORK_FIELDS},
    )
    return allocation, str(activity_id)


def test_a_snapshot_keeps_the_activities_as_values():
    allocation, key = allocation_with_an_activity()
    stored = mapper().to_stored_event(Snapshot.take(allocation))
    assert json.loads(stored.state)["state"]["class_version"] == 2
    loaded = mapper().to_domain_event(stored).mutate(None)
    assert loaded.activities == allocation.activities
    assert loaded.activity(key) == activity()


def test_a_snapshot_taken_while_activities_were_dicts_loads_them_as_values():
    """The shape the earlier code stored (no class version, each activity a dict; before
    imports no `imported`, a moved one's `moved_to` the allocation id's text)."""
    allocation, key = allocation_with_an_activity()
    moved_key, to = str(uuid4()), uuid4()
    entry = {
        "team_member": "ana",
        "units": 3,
        "description": "review",
        "date_from": date(2026, 6, 1),
        "date_to": date(2026, 6, 2),
        "recorded_by": "Ana Silva",
        "recorded_at": RECORDED_AT,
        "recorded_version": 2,
        "retracted": False,
        "corrections": 0,
    }
    state = {
        name: value
        for name, value in vars(allocation).items()
        if name not in ("_id", "_version", "_pending_events")
    }
    state["activities"] = {key: entry, moved_key: {**entry, "moved_to": str(to)}}
    stored = StoredEvent(
        originator_id=allocation.id,
        originator_version=allocation.version,
        topic=get_topic(Snapshot),
        state=mapper().transcoder.encode(
            {
                "topic": get_topic(Allocation),
                "state": state,
                "timestamp": RECORDED_AT,
            }
        ),
    )
    loaded = mapper().to_domain_event(stored).mutate(None)
    assert loaded.activity(key) == activity()
    assert loaded.activity(moved_key) == activity(moved_to=to)
    assert not loaded.activity(moved_key).counts and loaded.units_remaining == 5
