"""Recurring hours (issue 12, point 6): `POST /api/projects/{id}/allocation-series`
grants consecutive allocations, each its own budget, in one atomic write; over HTTP,
on both stores.

The series go on a project of their own in the `world` engagement, provided by ben
(the world's allocation, on another project, is ana's), so neither the overlap rule
nor the planning figures meet the world's allocation, whatever today is."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from typing import Any

import pytest

from service.domain.series import add_months
from tests.support.api import activity
from tests.support.dates import TODAY


def ok(response, status: int = 201) -> dict[str, Any]:
    assert response.status_code == status, response.get_json()
    return response.get_json()


@pytest.fixture
def project(api, world) -> dict[str, Any]:
    return ok(
        api.post(
            f"/api/engagements/{world['engagement']['id']}/projects",
            {"name": "Recurring", "outcome": "steady help"},
        )
    )


def series_path(project: dict[str, Any]) -> str:
    return f"/api/projects/{project['id']}/allocation-series"


def quarterly(**overrides: Any) -> dict[str, Any]:
    body = {
        "units": 60,
        "every": "quarter",
        "start_date": "2027-01-01",
        "count": 4,
        "description": "Community hours",
        "provider": "ben",
    }
    return body | overrides


def periods(series: dict[str, Any]) -> list[tuple[str, str]]:
    return [(a["start_date"], a["end_date"]) for a in series["allocations"]]


def test_quarterly_hours_become_four_allocations_each_its_own(api, project):
    response = api.post(series_path(project), quarterly())
    series = ok(response)
    assert periods(series) == [
        ("2027-01-01", "2027-03-31"),
        ("2027-04-01", "2027-06-30"),
        ("2027-07-01", "2027-09-30"),
        ("2027-10-01", "2027-12-31"),
    ]
    assert [a["description"] for a in series["allocations"]] == [
        f"Community hours — 2027-Q{q}" for q in range(1, 5)
    ]
    for allocation in series["allocations"]:
        assert allocation["units_granted"] == allocation["units_remaining"] == 60
        assert allocation["provider"] == "ben"
        assert allocation["project_id"] == project["id"]
        assert allocation["status"] == "upcoming"
    assert {
        k: series[k] for k in ("every", "count", "start_date", "end_date", "units_granted")
    } == {
        "every": "quarter",
        "count": 4,
        "start_date": "2027-01-01",
        "end_date": "2027-12-31",
        "units_granted": 240,
    }
    series_id = uuid.UUID(series["series_id"])
    assert [a["id"] for a in series["allocations"]] == [
        str(uuid.uuid5(series_id, f"allocation/{k}")) for k in range(4)
    ]
    assert response.headers["X-Event-Position"] == str(series["position"])
    for allocation in series["allocations"]:
        read = ok(
            api.get(f"/api/allocations/{allocation['id']}", min_position=series["position"]), 200
        )
        assert (read["units_granted"], read["description"]) == (60, allocation["description"])


def test_the_series_is_one_write_of_every_grant_and_booking(api, project):
    before = api.log_size()
    series = ok(api.post(series_path(project), quarterly()))
    # Four AllocationGranted and four AllocationBooked, the last a grant.
    assert api.log_size() == before + 8 == series["position"]
    engagement = ok(
        api.get(f"/api/engagements/{project['engagement_id']}", min_position=series["position"]),
        200,
    )
    (recurring,) = [p for p in engagement["projects"] if p["id"] == project["id"]]
    assert sorted(a["id"] for a in recurring["allocations"]) == sorted(
        a["id"] for a in series["allocations"]
    )


@pytest.mark.parametrize(
    "every, count, expected",
    [
        (
            "month",
            3,
            [
                ("2027-01-01", "2027-01-31"),
                ("2027-02-01", "2027-02-28"),
                ("2027-03-01", "2027-03-31"),
            ],
        ),
        ("year", 2, [("2027-01-01", "2027-12-31"), ("2028-01-01", "2028-12-31")]),
    ],
)
def test_every_month_and_every_year(api, project, every, count, expected):
    series = ok(api.post(series_path(project), quarterly(every=every, count=count)))
    assert periods(series) == expected
    labels = [a["description"].rsplit(" — ", 1)[1] for a in series["allocations"]]
    assert labels == (["2027-01", "2027-02", "2027-03"] if every == "month" else ["2027", "2028"])


def test_an_unaligned_start_gives_periods_of_equal_length_from_that_day(api, project):
    series = ok(api.post(series_path(project), quarterly(start_date="2027-01-15", count=2)))
    assert periods(series) == [("2027-01-15", "2027-04-14"), ("2027-04-15", "2027-07-14")]
    assert series["allocations"][1]["description"] == ("Community hours — 2027-04-15 to 2027-07-14")


def test_balances_are_independent_no_carry_over(api, project):
    """A monthly series from the first of the month two months ago: work recorded on
    the first period's allocation leaves the others whole, and their periods do not
    take the first period's dates."""
    first = add_months(TODAY.replace(day=1), -2)
    series = ok(
        api.post(
            series_path(project), quarterly(every="month", start_date=first.isoformat(), count=3)
        )
    )
    one, two, three = (a["id"] for a in series["allocations"])
    day = first.isoformat()
    recorded = ok(
        api.post(
            f"/api/allocations/{one}/activities",
            activity(team_member="ben", units=5, date_from=day, date_to=day),
        )
    )
    before = api.log_size()
    elsewhere = api.post(
        f"/api/allocations/{two}/activities",
        activity(team_member="ben", date_from=day, date_to=day),
    )
    assert elsewhere.status_code == 422, elsewhere.json
    assert api.log_size() == before
    used = {
        allocation_id: ok(
            api.get(f"/api/allocations/{allocation_id}", min_position=recorded["position"]), 200
        )
        for allocation_id in (one, two, three)
    }
    assert used[one]["units_used"] == 5 and used[one]["units_remaining"] == 55
    for other in (two, three):
        assert used[other]["units_used"] == 0 and used[other]["units_remaining"] == 60


def test_a_retry_with_the_same_key_answers_the_same_series_and_writes_nothing(api, project):
    first = api.post(series_path(project), quarterly(), key="q-2027")
    assert first.status_code == 201 and "Idempotent-Replayed" not in first.headers
    before = api.log_size()
    again = api.post(series_path(project), quarterly(), key="q-2027")
    assert again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json["series_id"] == first.json["series_id"]
    assert [a["id"] for a in again.json["allocations"]] == [
        a["id"] for a in first.json["allocations"]
    ]
    assert again.json["position"] == first.json["position"]
    assert api.log_size() == before


@pytest.mark.parametrize(
    "changed",
    [{"units": 61}, {"count": 3}, {"count": 5}, {"description": "Other"}, {"provider": "ana"}],
)
def test_the_same_key_for_another_series_is_refused(api, project, changed):
    ok(api.post(series_path(project), quarterly(), key="q-2027"))
    before = api.log_size()
    response = api.post(series_path(project), quarterly(**changed), key="q-2027")
    assert response.status_code == 422, response.json
    assert "Idempotency-Key" in response.json["detail"]
    assert api.log_size() == before


BAD_BODIES = [
    ({"units": 0}, "units"),
    ({"units": -8}, "units"),
    ({"units": "8"}, "units"),
    ({"units": 100_001}, "units"),
    ({"every": "week"}, "every"),
    ({"start_date": "2027-13-01"}, "start_date"),
    ({"start_date": "1969-12-01"}, "start_date"),
    ({"count": 0}, "count"),
    ({"count": 61}, "count"),
    ({"count": 2.5}, "count"),
    ({"start_date": "2199-06-01", "every": "year", "count": 2}, "count"),
    ({"description": "x" * 4974}, "description"),
    ({"description": "bell\u0007"}, "description"),
    ({"provider": "nobody"}, "provider"),
    ({"provider": ""}, "provider"),
    ({"carry_over": True}, "carry_over"),
]


@pytest.mark.parametrize("changes, field", BAD_BODIES)
def test_bad_input_is_refused_naming_the_field_and_changes_nothing(api, project, changes, field):
    before = api.log_size()
    response = api.post(series_path(project), quarterly(**changes))
    assert response.status_code == 422, response.json
    assert response.mimetype == "application/problem+json"
    assert field in response.json["errors"], response.json
    assert api.log_size() == before


@pytest.mark.parametrize("missing", ["units", "every", "start_date", "count", "description"])
def test_every_field_but_provider_is_required(api, project, missing):
    body = quarterly()
    del body[missing]
    before = api.log_size()
    response = api.post(series_path(project), body)
    assert response.status_code == 422
    assert missing in response.json["errors"]
    assert api.log_size() == before


def test_a_provider_who_leaves_before_the_series_ends_is_refused(api, project):
    ok(api.patch("/api/team-members/ben", {"departed_on": "2027-09-01"}), 200)
    before = api.log_size()
    response = api.post(series_path(project), quarterly())
    assert response.status_code == 422
    assert "2027-09-01" in response.json["errors"]["provider"][0]
    assert api.log_size() == before
    # Two quarters end before the departure: granted.
    ok(api.post(series_path(project), quarterly(count=2)))


def test_an_unknown_project_is_404(api, world):
    before = api.log_size()
    response = api.post(f"/api/projects/{uuid.uuid4()}/allocation-series", quarterly())
    assert response.status_code == 404
    assert api.log_size() == before


def test_a_closed_engagement_takes_no_series(api, world, project):
    ok(api.post(f"/api/engagements/{world['engagement']['id']}/closure", {"reason": "done"}))
    before = api.log_size()
    response = api.post(series_path(project), quarterly())
    assert response.status_code == 409
    assert "closed" in response.json["detail"]
    assert api.log_size() == before


def test_one_overlapping_period_refuses_the_whole_series(api, project):
    ok(
        api.post(
            f"/api/projects/{project['id']}/allocations",
            {"start_date": "2027-11-01", "end_date": "2027-11-30", "units": 5, "description": "x"},
        )
    )
    before = api.log_size()
    response = api.post(series_path(project), quarterly())
    assert response.status_code == 422
    assert "start_date" in response.json["errors"]
    assert api.log_size() == before
    # The three quarters before it are free and can be granted.
    assert len(ok(api.post(series_path(project), quarterly(count=3)))["allocations"]) == 3


def test_a_series_overlapping_an_allocation_of_the_project_is_refused(api, world):
    before = api.log_size()
    response = api.post(
        f"/api/projects/{world['project']['id']}/allocation-series",
        quarterly(every="month", start_date=TODAY.replace(day=1).isoformat(), count=2),
    )
    assert response.status_code == 422
    # The other allocation by its project, engagement and dates, not its id.
    assert "overlaps the allocation of Docs (Open Data Week)" in response.json["detail"]
    assert api.log_size() == before


def test_bd_grants_a_series_and_a_member_may_not(api, make_token, project):
    member = api.as_(make_token("member", member="ben"))
    before = api.log_size()
    refused = member.post(series_path(project), quarterly())
    assert refused.status_code == 403
    assert api.log_size() == before
    bd = api.as_(make_token("bd", name="Bea Dee"))
    series = ok(bd.post(series_path(project), quarterly()))
    events = ok(api.get(f"/api/audit/streams/{series['allocations'][0]['id']}"), 200)
    assert "Bea Dee" in str(events)


def working_days(first: date, last: date) -> int:
    return sum((first + timedelta(days=n)).weekday() < 5 for n in range((last - first).days + 1))


def test_the_planning_report_spreads_each_period_over_its_own_months(api, project):
    series = ok(api.post(series_path(project), quarterly()))
    report = ok(
        api.get(
            "/api/reports/planning",
            **{"from": "2027-01", "to": "2027-12"},
            min_position=series["position"],
        ),
        200,
    )
    committed = {
        month["month"]: next(m for m in month["members"] if m["handle"] == "ben")["committed_units"]
        for month in report["months"]
    }
    for allocation in series["allocations"]:
        start = date.fromisoformat(allocation["start_date"])
        end = date.fromisoformat(allocation["end_date"])
        quarter_days = working_days(start, end)
        months = [add_months(start, k) for k in range(3)]
        for month_start in months:
            month_end = add_months(month_start, 1) - timedelta(days=1)
            expected = 60 * working_days(month_start, month_end) / quarter_days
            assert committed[f"{month_start:%Y-%m}"] == pytest.approx(expected, abs=0.005)
        assert sum(committed[f"{m:%Y-%m}"] for m in months) == pytest.approx(60, abs=0.02)
    # By hand: January 2027 has 21 of the first quarter's 64 working days, 60 × 21 / 64.
    assert committed["2027-01"] == 19.69


def grant_until_answered(app, headers, path, body, key):
    """A client that retries a 409 or 503 with the same Idempotency-Key, as the API asks."""
    client = app.test_client()
    for _ in range(50):
        response = client.post(path, json=body, headers={**headers, "Idempotency-Key": key})
        if response.status_code not in (409, 503):
            return response
    raise AssertionError(f"{key} was never answered")


@pytest.mark.parametrize("same_key", [False, True], ids=["other keys", "one key"])
def test_concurrent_series_for_one_project_grant_once(api, project, same_key):
    """Racing requests collide on the engagement's schedule: with other keys one series
    is granted and the others overlap it (422); with one key all answer that series."""
    before = api.log_size()
    keys = ["race"] * 4 if same_key else [f"race-{n}" for n in range(4)]
    with ThreadPoolExecutor(4) as pool:
        answers = list(
            pool.map(
                lambda key: grant_until_answered(
                    api.app, api.headers(), series_path(project), quarterly(), key
                ),
                keys,
            )
        )
    granted = [a for a in answers if a.status_code == 201]
    assert len({a.json["series_id"] for a in granted}) == 1
    assert len(granted) == (4 if same_key else 1)
    assert all(a.status_code == 422 for a in answers if a.status_code != 201)
    assert api.log_size() == before + 8
