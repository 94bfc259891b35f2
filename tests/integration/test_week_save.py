"""Saving a week of cells in one write, on each store: every cell or none, and a week
sent again writes nothing."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest

from service.application import Ledger
from service.application.caller import Caller
from service.application.errors import Forbidden
from service.application.weeks import WeekRefused
from service.domain.week import Cell, Entry, Week
from tests.support.api import ApiClient, grant_on_own_project
from tests.support.dates import TODAY

LAST_WEEK = Week.of(TODAY - timedelta(days=7))
"""Every day of it past, within the world's allocation, none late."""


def ana(key: UUID | None = None) -> Caller:
    return Caller(actor="ana", role="member", member="ana", request_id=key or uuid4())


def cells(allocation_id: str, units: dict[int, int | None]) -> dict[Cell, Entry | None]:
    """Cells of last week on the allocation: weekday index (0: Monday) → units or None."""
    return {
        Cell(UUID(allocation_id), LAST_WEEK.days[day]): (
            None if value is None else Entry(value, f"work of day {day}")
        )
        for day, value in units.items()
    }


def live_activities(api: ApiClient, allocation_id: str, position: int) -> list[dict]:
    listed = api.get(f"/api/allocations/{allocation_id}/activities", min_position=position)
    assert listed.status_code == 200, listed.json
    return [item for item in listed.json["items"] if not item["retracted"]]


def test_a_week_records_every_filled_cell(ledger: Ledger, api: ApiClient, world):
    allocation = world["allocation"]["id"]
    saved = ledger.save_week("ana", LAST_WEEK, cells(allocation, {0: 3, 1: 5, 4: 8}), caller=ana())
    items = live_activities(api, allocation, saved.position)
    assert sorted((item["date_from"], item["units"]) for item in items) == [
        (LAST_WEEK.days[0].isoformat(), 3),
        (LAST_WEEK.days[1].isoformat(), 5),
        (LAST_WEEK.days[4].isoformat(), 8),
    ]
    assert saved.value.remaining == {UUID(allocation): 20 - 16}
    shown = api.get(f"/api/allocations/{allocation}", min_position=saved.position).json
    assert shown["units_remaining"] == 4


def test_one_refused_cell_writes_nothing_and_names_the_cell(ledger: Ledger, api: ApiClient, world):
    starts_on_friday = grant_on_own_project(
        api,
        world["engagement"]["id"],
        start=(TODAY - LAST_WEEK.days[4]).days,
        end=-30,
        provider="ana",
    )["id"]
    wanted = {
        **cells(world["allocation"]["id"], {0: 3, 1: 2}),
        **cells(starts_on_friday, {3: 5, 4: 1}),
    }
    size = api.log_size()
    with pytest.raises(WeekRefused) as refused:
        ledger.save_week("ana", LAST_WEEK, wanted, caller=ana())
    assert list(refused.value.cells) == [Cell(UUID(starts_on_friday), LAST_WEEK.days[3])]
    assert (
        "outside the allocation's period"
        in refused.value.cells[Cell(UUID(starts_on_friday), LAST_WEEK.days[3])]
    )
    assert api.log_size() == size, "a refused cell leaves the whole week unwritten"


def test_a_week_sent_again_writes_nothing(ledger: Ledger, api: ApiClient, world):
    wanted = cells(world["allocation"]["id"], {0: 3, 2: 2})
    key = uuid4()
    first = ledger.save_week("ana", LAST_WEEK, wanted, caller=ana(key))
    size = api.log_size()
    again = ledger.save_week("ana", LAST_WEEK, wanted, caller=ana(key))
    assert api.log_size() == size
    assert again.replayed and not again.value.steps
    assert again.value.remaining == first.value.remaining
    other_key = ledger.save_week("ana", LAST_WEEK, wanted, caller=ana())
    assert api.log_size() == size, "the grid, not the key, decides: a fresh form writes nothing"
    assert not other_key.value.steps


def test_clearing_a_cell_retracts_exactly_its_activity(ledger: Ledger, api: ApiClient, world):
    allocation = world["allocation"]["id"]
    ledger.save_week("ana", LAST_WEEK, cells(allocation, {0: 3, 1: 5}), caller=ana())
    size = api.log_size()
    saved = ledger.save_week("ana", LAST_WEEK, cells(allocation, {0: 3, 1: None}), caller=ana())
    assert api.log_size() == size + 1, "one retraction, nothing else"
    items = live_activities(api, allocation, saved.position)
    assert [(item["date_from"], item["units"]) for item in items] == [
        (LAST_WEEK.days[0].isoformat(), 3)
    ]
    assert saved.value.remaining == {UUID(allocation): 17}


def test_a_changed_cell_is_corrected_in_place(ledger: Ledger, api: ApiClient, world):
    allocation = world["allocation"]["id"]
    ledger.save_week("ana", LAST_WEEK, cells(allocation, {2: 3}), caller=ana())
    saved = ledger.save_week("ana", LAST_WEEK, cells(allocation, {2: 8}), caller=ana())
    (item,) = live_activities(api, allocation, saved.position)
    assert (item["units"], item["corrections"]) == (8, 1)


def test_a_cell_of_several_entries_is_left_to_my_work(ledger: Ledger, api: ApiClient, world):
    allocation = world["allocation"]["id"]
    monday = LAST_WEEK.days[0].isoformat()
    for units in (2, 3):
        body = {"team_member": "ana", "units": units, "description": "x"}
        recorded = api.post(
            f"/api/allocations/{allocation}/activities",
            {**body, "date_from": monday, "date_to": monday},
        )
        assert recorded.status_code == 201, recorded.json
    with pytest.raises(WeekRefused) as refused:
        ledger.save_week("ana", LAST_WEEK, cells(allocation, {0: 8}), caller=ana())
    assert (
        "more than one entry"
        in refused.value.cells[Cell(UUID(allocation), date.fromisoformat(monday))]
    )


def test_a_member_saves_only_their_own_week(ledger: Ledger, api: ApiClient, world):
    size = api.log_size()
    with pytest.raises(Forbidden):
        ledger.save_week("ben", LAST_WEEK, cells(world["allocation"]["id"], {0: 3}), caller=ana())
    assert api.log_size() == size


RACE_ROUNDS = 10


def twice_at_once(call: Callable[[], Any]) -> list[Any]:
    """`call` on two threads, released together."""
    barrier = threading.Barrier(2)

    def run(_: int) -> Any:
        barrier.wait()
        return call()

    with ThreadPoolExecutor(2) as pool:
        return list(pool.map(run, range(2)))


def test_the_same_week_saved_twice_at_once_is_written_once(ledger: Ledger, api: ApiClient, world):
    """Two copies of one form (a double click) racing each other: both answer, and each
    cell holds one activity; the one that lost, planned afresh, found nothing to do."""
    allocation = world["allocation"]["id"]
    days = [*LAST_WEEK.days, *LAST_WEEK.before().days][:RACE_ROUNDS]
    for round_, day in enumerate(days):
        wanted = {Cell(UUID(allocation), day): Entry(1 + round_ % 3, f"race {round_}")}
        week = Week.of(day)
        key = uuid4()
        answers = twice_at_once(
            lambda wanted=wanted, week=week, key=key: ledger.save_week(
                "ana", week, wanted, caller=ana(key)
            )
        )
        assert sorted(bool(answer.value.steps) for answer in answers) == [False, True]
    items = api.get(f"/api/allocations/{allocation}/activities", min_position=api.log_size())
    counted = sorted(item["date_from"] for item in items.json["items"])
    assert counted == sorted(day.isoformat() for day in days), "a cell written twice, or not"
