"""Reports as of a log position (docs/explanation/projections.md), through the API: a report
asked for with `as_of_position` = the position a write returned equals the report read right
after that write, however many writes came later — corrections, retractions, amendments,
cancellations, FTE changes, departures, renames, new grants — and whatever day it is asked
on. The clock moves between writes (and over a month's end), so that the status and pace of
the month under way, lateness and cancellation days all depend on the day of the position."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from service.domain.calendar import Month
from service.infra.input_policy import INT64_MAX
from tests.support.api import activity
from tests.support.clocks import SetClock, installed
from tests.support.dates import TODAY, days_ago

REPORTS = ("monthly", "capacity", "late-activities")


@pytest.fixture
def clock(monkeypatch) -> SetClock:
    return installed(monkeypatch, SetClock(datetime.now(UTC), ahead=timedelta(hours=14)))


def months_around(first: date, last: date) -> list[Month]:
    months = [Month.of(first)]
    while months[-1] < Month.of(last):
        months.append(months[-1].next())
    return months


MONTHS = months_around(TODAY - timedelta(days=70), TODAY + timedelta(days=70))


def written(response) -> int:
    """The log position a write answered."""
    assert response.status_code in (200, 201), response.get_json()
    return int(response.headers["X-Event-Position"])


class Reports:
    """Every report for every month of the story, read as one client would."""

    def __init__(self, api, engagement_id: str):
        self.api = api
        self.engagement_id = engagement_id

    def read(self, **query: Any) -> dict[str, Any]:
        answers = {}
        for month in map(str, MONTHS):
            for name in REPORTS:
                answers[f"{name} {month}"] = self.one(f"/api/reports/{name}", month=month, **query)
            answers[f"monthly {month} engagement"] = self.one(
                "/api/reports/monthly", month=month, engagement_id=self.engagement_id, **query
            )
        csv = self.api.client.get(
            "/api/reports/monthly",
            query_string={"month": str(Month.of(TODAY)), **query},
            headers={**self.api.headers(), "Accept": "text/csv"},
        )
        answers["monthly csv"] = csv.get_data(as_text=True)
        return answers

    def one(self, path: str, **query: Any) -> Any:
        response = self.api.get(path, **query)
        assert response.status_code == 200, (path, query, response.get_json())
        return response.get_json()


def test_a_report_as_of_a_write_is_what_was_read_right_after_it(api, world, clock):
    allocation_id, project_id = world["allocation"]["id"], world["project"]["id"]
    engagement_id = world["engagement"]["id"]
    reports = Reports(api, engagement_id)
    seen: dict[int, dict[str, Any]] = {}

    def after(position: int) -> None:
        seen[position] = reports.read()

    def later(days: int) -> None:
        clock.now += timedelta(days=days)

    after(world["allocation"]["position"])
    first = api.post(f"/api/allocations/{allocation_id}/activities", activity())
    after(written(first))
    late = api.post(
        f"/api/allocations/{allocation_id}/activities",
        activity(team_member="ben", units=5, date_from=days_ago(20), date_to=days_ago(20)),
    )
    after(written(late))

    later(3)
    activity_id, late_id = first.json["id"], late.json["id"]
    after(
        written(
            api.post(
                f"/api/activities/{activity_id}/corrections",
                {"units": 4, "date_from": days_ago(35), "date_to": days_ago(35), "reason": "r"},
            )
        )
    )
    after(written(api.post(f"/api/activities/{late_id}/retraction", {"reason": "duplicate"})))

    later(10)
    after(
        written(
            api.patch(
                f"/api/allocations/{allocation_id}",
                {"units": 30, "end_date": days_ago(-40), "reason": "more work"},
            )
        )
    )
    after(
        written(
            api.patch(
                "/api/team-members/ben", {"fte": "1.0", "effective_date": clock.today().isoformat()}
            )
        )
    )
    project = api.post(
        f"/api/engagements/{engagement_id}/projects", {"name": "Talks", "outcome": "o"}
    )
    after(written(project))
    second = api.post(
        f"/api/projects/{project.json['id']}/allocations",
        {
            "start_date": days_ago(30),
            "end_date": days_ago(-60),
            "units": 12,
            "description": "talks",
            "provider": "ben",
        },
    )
    after(written(second))

    later(25)
    today = clock.today().isoformat()
    after(
        written(
            api.post(
                f"/api/allocations/{second.json['id']}/activities",
                activity(team_member="ben", units=2, date_from=today, date_to=today),
            )
        )
    )
    after(written(api.post(f"/api/allocations/{second.json['id']}/cancellation", {"reason": "r"})))
    after(written(api.patch("/api/team-members/ana", {"departed_on": today})))
    after(written(api.patch(f"/api/engagements/{engagement_id}", {"name": "Renamed"})))

    later(7)
    third = api.post(
        f"/api/projects/{project_id}/activities",
        activity(team_member="ben", units=6, date_from=days_ago(1), date_to=days_ago(1)),
    )
    after(written(third))
    after(
        written(
            api.post(
                f"/api/activities/{third.json['id']}/corrections",
                {"team_member": "ana", "reason": "it was Ana"},
            )
        )
    )

    later(40)  # asked much later, on another day: the answers must not move
    now = reports.read()
    assert sum(answers != now for answers in seen.values()) >= len(seen) - 1
    for position, answers in seen.items():
        assert reports.read(as_of_position=position) == answers, f"as of position {position}"


def test_as_of_the_empty_log_every_report_is_empty(api, world):
    month = str(Month.of(TODAY))
    monthly = api.get("/api/reports/monthly", month=month, as_of_position=0)
    assert monthly.status_code == 200 and monthly.json["engagements"] == []
    capacity = api.get("/api/reports/capacity", month=month, as_of_position=0)
    assert capacity.status_code == 200 and capacity.json["members"] == []
    late = api.get("/api/reports/late-activities", month=month, as_of_position=0)
    assert late.status_code == 200 and late.json == {
        "month": month,
        "late": [],
        "silent_members": [],
        "provider_departed": [],
    }
    limited = api.get(
        "/api/reports/monthly",
        month=month,
        engagement_id=world["engagement"]["id"],
        as_of_position=0,
    )
    assert limited.status_code == 404  # the engagement did not exist yet


@pytest.mark.parametrize("report", REPORTS)
def test_a_position_beyond_the_log_is_refused_naming_it(api, world, report):
    head = api.log_size()
    response = api.get(
        f"/api/reports/{report}", month=str(Month.of(TODAY)), as_of_position=head + 1
    )
    assert response.status_code == 422
    assert response.json["errors"] == {
        "as_of_position": [f"as_of_position {head + 1} is beyond the end of the log ({head})"]
    }
    assert (
        api.get(f"/api/reports/{report}", month="2024-01", as_of_position=head).status_code == 200
    )


@pytest.mark.boundary
@pytest.mark.parametrize("value", ["-1", str(INT64_MAX + 1), "soon", "1.5"])
def test_a_position_that_is_no_position_is_refused(api, value):
    response = api.get("/api/reports/monthly", month="2024-01", as_of_position=value)
    assert response.status_code == 422 and "as_of_position" in response.json["errors"]


@pytest.mark.boundary
def test_unknown_parameters_are_still_refused(api, world):
    """`as_of` (a time) is not a report parameter, and the lists take no
    `as_of_position`: both are unknown parameters, refused by name."""
    report = api.get("/api/reports/monthly", month="2024-01", as_of="2024-01-31T00:00:00Z")
    assert report.status_code == 400 and "as_of" in report.json["detail"]
    listing = api.get("/api/allocations", as_of_position=1)
    assert listing.status_code == 400 and "as_of_position" in listing.json["detail"]
