"""At most 24 units (hours) per person per day of an activity's range (issue 21): work
reported in aggregate over a range may add up to 24 × its days; more is refused (422,
naming `units`) and writes nothing, whether recorded, corrected or imported, by the
one rule of the domain (service/domain/activity.py)."""

from __future__ import annotations

import pytest

from tests.support.api import activity
from tests.support.csv_imports import import_activities, row
from tests.support.dates import days_ago


def refused_units(api, response, before: int) -> str:
    assert response.status_code == 422, response.get_json()
    [message] = response.get_json()["errors"]["units"]
    assert api.log_size() == before
    return message


@pytest.fixture
def recordings(api, world) -> str:
    return f"/api/allocations/{world['allocation']['id']}/activities"


def test_37_units_on_one_day_are_refused_in_plain_words(api, recordings):
    before = api.log_size()
    message = refused_units(api, api.post(recordings, activity(units=37)), before)
    assert "37 units" in message and "24" in message and "1 day" in message


def test_24_units_a_day_over_a_range_are_accepted_and_one_more_is_not(api, recordings):
    two_days = {"date_from": days_ago(3), "date_to": days_ago(2)}
    assert api.post(recordings, activity(units=48, **two_days)).status_code == 201
    before = api.log_size()
    refused_units(api, api.post(recordings, activity(units=49, **two_days)), before)


def test_a_correction_may_not_make_a_day_hold_more_than_24_units(api, recordings):
    week = {"date_from": days_ago(8), "date_to": days_ago(2)}
    recorded = api.post(recordings, activity(units=40, **week))
    assert recorded.status_code == 201, recorded.json
    corrections = f"/api/activities/{recorded.json['id']}/corrections"
    before = api.log_size()
    narrowed = api.post(corrections, {"date_from": days_ago(2), "reason": "one day"})
    refused_units(api, narrowed, before)
    more = api.post(corrections, {"units": 169, "reason": "typo"})
    refused_units(api, more, before)
    assert api.post(corrections, {"units": 168, "reason": "all week"}).status_code == 201


def test_an_imported_row_of_37_units_on_one_day_is_refused_with_its_line(api, world):
    allocation_id = world["allocation"]["id"]
    before = api.log_size()
    response = import_activities(
        api, [row(allocation_id, "ok-1"), row(allocation_id, "too-many", units=37)]
    )
    assert response.status_code == 422, response.json
    [bad] = response.json["bad_rows"]
    assert (bad["line"], bad["column"]) == (3, "units") and "24" in bad["reason"]
    assert api.log_size() == before
