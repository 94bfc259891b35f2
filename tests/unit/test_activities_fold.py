"""The activities read model folds events into rows in pure Python (projections/
readmodels/activities.py): a page of events gives the rows, `_history` included, that
the reports read; and the rows are the same whether the log is followed in batches (the
live follower) or folded whole (a rebuild). No database: the events are made here, with
fixed moments."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

import pytest

from projections.readmodels.activities import VERSIONS, ActivityLedger
from service.domain import Allocation
from tests.support.read_model_folds import assert_batches_fold_as_one, folded

A1, A2 = UUID(int=1), UUID(int=2)
WORK = UUID(int=10)
ON_TIME = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
LATER = datetime(2026, 3, 20, 9, 30, tzinfo=UTC)


def recorded(activity_id: UUID = WORK, *, after_close: bool = False, **fields: Any) -> Any:
    values = {
        "originator_id": A1,
        "originator_version": 2,
        "timestamp": ON_TIME,
        "activity_id": activity_id,
        "team_member": "ana",
        "units": 3,
        "description": "docs",
        "date_from": date(2026, 2, 26),
        "date_to": date(2026, 2, 27),
        "recorded_by": "ana",
        "actor": "ana",
        "after_close": after_close,
        "imported": False,
        "external_id": None,
    }
    return Allocation.ActivityRecorded(**{**values, **fields})


def corrected(changes: dict[str, Any], *, after_close: bool = False, **fields: Any) -> Any:
    values = {
        "originator_id": A1,
        "originator_version": 3,
        "timestamp": LATER,
        "activity_id": WORK,
        "changes": changes,
        "reason": "typo",
        "actor": "ana",
        "request_id": None,
        "after_close": after_close,
    }
    return Allocation.ActivityCorrected(**{**values, **fields})


def retracted(*, after_close: bool = False) -> Any:
    return Allocation.ActivityRetracted(
        originator_id=A1,
        originator_version=4,
        timestamp=LATER,
        activity_id=WORK,
        reason="twice",
        actor="ana",
        request_id=None,
        after_close=after_close,
    )


def moved(on: UUID, *, after_close: bool = False) -> Any:
    """The move of WORK from A1 to A2, as stored on allocation `on`."""
    return Allocation.ActivityMoved(
        originator_id=on,
        originator_version=5,
        timestamp=LATER,
        activity_id=WORK,
        from_allocation_id=A1,
        to_allocation_id=A2,
        team_member="ana",
        units=3,
        description="docs",
        date_from=date(2026, 2, 26),
        date_to=date(2026, 2, 27),
        recorded_by="ana",
        recorded_at=ON_TIME,
        corrections=0,
        imported=False,
        reason="wrong project",
        actor="lee",
        after_close=after_close,
    )


def versions(rows: Any) -> list[dict[str, Any]]:
    """The archived versions of the activities, by column name."""
    columns = (*VERSIONS.columns, "valid_from", "valid_to")
    return [dict(zip(columns, version, strict=True)) for version in rows.archived[VERSIONS.history]]


def on_time_recording() -> dict[str, Any]:
    """The row of `recorded()` folded at position 1."""
    return {
        "id": str(WORK),
        "allocation_id": str(A1),
        "team_member": "ana",
        "units": 3,
        "description": "docs",
        "date_from": "2026-02-26",
        "date_to": "2026-02-27",
        "month": "2026-02",
        "recorded_by": "ana",
        "recorded_at": "2026-03-02T09:30:00.000000+00:00",
        "recorded_month": "2026-03",
        "late": 0,
        "days_late": -11,
        "retracted": 0,
        "corrections": 0,
        "after_close": 0,
        "imported": 0,
        "position": 1,
        "valid_from": 1,
    }


def test_a_recording_makes_the_activity_with_its_months_and_lateness():
    rows = folded(ActivityLedger, [recorded(), recorded(UUID(int=11), timestamp=LATER)])
    on_time, late = rows.all("activities")
    assert on_time == on_time_recording()
    assert (late["late"], late["days_late"], late["position"]) == (1, 7, 2)
    assert versions(rows) == []


def test_a_correction_changes_the_row_and_keeps_its_earlier_version():
    rows = folded(
        ActivityLedger,
        [recorded(), corrected({"units": 5, "date_to": date(2026, 3, 1), "ignored": "x"})],
    )
    [row] = rows.all("activities")
    assert {k: row[k] for k in ("units", "date_to", "month", "late", "days_late")} == {
        "units": 5,
        "date_to": "2026-03-01",
        "month": "2026-03",
        "late": 0,  # judged against the recording, not the correction
        "days_late": -13,
    }
    assert (row["corrections"], row["valid_from"], row["position"]) == (1, 2, 1)
    [earlier] = versions(rows)
    assert earlier == {**on_time_recording(), "valid_to": 2}  # from the recording to the correction


def test_a_move_acts_on_the_allocation_it_joins_only():
    rows = folded(ActivityLedger, [recorded(), moved(on=A1), moved(on=A2)])
    [row] = rows.all("activities")
    assert (row["allocation_id"], row["valid_from"], row["late"]) == (str(A2), 3, 0)
    [earlier] = versions(rows)
    assert (earlier["allocation_id"], earlier["valid_from"], earlier["valid_to"]) == (str(A1), 1, 3)


def test_after_close_sticks_whatever_changes_the_activity_later():
    rows = folded(
        ActivityLedger,
        [recorded(), corrected({"description": "api docs"}, after_close=True), retracted()],
    )
    [row] = rows.all("activities")
    assert (row["after_close"], row["retracted"], row["description"]) == (1, 1, "api docs")
    assert [
        (v["after_close"], v["retracted"], v["valid_from"], v["valid_to"]) for v in versions(rows)
    ] == [(0, 0, 1, 2), (1, 0, 2, 3)]


def test_changes_to_an_activity_the_read_model_never_saw_change_nothing():
    rows = folded(ActivityLedger, [corrected({"units": 1}), retracted(), moved(on=A2)])
    assert rows.all("activities") == []
    assert versions(rows) == []


def activity_log() -> list[Any]:
    other = UUID(int=12)
    return [
        recorded(),
        recorded(other, timestamp=LATER),
        corrected({"units": 4}),
        moved(on=A1),
        moved(on=A2),
        corrected({"date_to": date(2026, 3, 3), "team_member": "ben"}, activity_id=other),
        corrected({"description": "more docs"}, after_close=True),
        retracted(),
        corrected({"units": 1}, activity_id=other),
    ]


@pytest.mark.parametrize("batch", [1, 2, 3, 100])
def test_activities_followed_in_batches_have_the_rows_of_one_fold(batch):
    assert_batches_fold_as_one(ActivityLedger, activity_log(), batch)
