"""The late report for a line manager's review (issue 12, point 8): filtered by line
manager and by member, and a provider who leaves the recording on their allocation to a
colleague listed as silent. Over HTTP, on both stores."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from tests.support.api import activity
from tests.support.dates import TODAY, days_ago

MONTH = TODAY.strftime("%Y-%m")
LATE_DAY = days_ago(20)  # recorded today: 6 days past the 14-day window


def ok(response, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.get_json()
    return response.get_json()


def register(api, handle: str, manager: str) -> None:
    ok(
        api.post(
            "/api/team-members",
            {
                "handle": handle,
                "name": handle.title(),
                "fte": "0.5",
                "line_manager": manager,
                "effective_date": days_ago(365),
            },
        ),
        201,
    )


def record(api, allocation_id: str, member: str, day: str) -> dict[str, Any]:
    body = activity(team_member=member, date_from=day, date_to=day)
    return ok(api.post(f"/api/allocations/{allocation_id}/activities", body), 201)


@pytest.fixture
def team(api, world) -> dict[str, Any]:
    """ana (lee) provides A, on which only ben (lee) records, once late; dan (kim)
    provides B, on which only cat (kim) records, once late."""
    register(api, "cat", "kim")
    register(api, "dan", "kim")
    engagement_id = world["engagement"]["id"]
    project = ok(
        api.post(f"/api/engagements/{engagement_id}/projects", {"name": "Ops", "outcome": "o"}),
        201,
    )
    second = ok(
        api.post(
            f"/api/projects/{project['id']}/allocations",
            {
                "start_date": days_ago(60),
                "end_date": days_ago(-30),
                "units": 20,
                "description": "ops hours",
                "provider": "dan",
            },
        ),
        201,
    )
    first = world["allocation"]["id"]
    record(api, first, "ben", TODAY.isoformat())
    ben_late = record(api, first, "ben", LATE_DAY)
    record(api, second["id"], "cat", TODAY.isoformat())
    cat_late = record(api, second["id"], "cat", LATE_DAY)
    return {"A": first, "B": second["id"], "ben_late": ben_late["id"], "cat_late": cat_late["id"]}


def late_report(api, **query: str) -> dict[str, Any]:
    return ok(api.get("/api/reports/late-activities", month=MONTH, **query))


def summary(report: dict[str, Any]) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    late = [(row["team_member"], row["line_manager"]) for row in report["late"]]
    silent = [(row["handle"], row["allocation_id"]) for row in report["silent_members"]]
    return late, silent


def test_a_provider_who_records_nothing_while_a_colleague_records_is_silent(api, team):
    report = late_report(api)
    late, silent = summary(report)
    assert late == [("cat", "kim"), ("ben", "lee")]  # by line manager
    assert sorted(silent) == [("ana", team["A"]), ("dan", team["B"])]
    assert {"handle": "ana", "line_manager": "lee", "allocation_id": team["A"]} in report[
        "silent_members"
    ]

    # Once ana records on her allocation in the month, she is silent no more; as it
    # stood before, she still is.
    before = api.log_size()
    record(api, team["A"], "ana", TODAY.isoformat())
    assert summary(late_report(api))[1] == [("dan", team["B"])]
    as_before = late_report(api, as_of_position=str(before))
    assert sorted(summary(as_before)[1]) == [("ana", team["A"]), ("dan", team["B"])]


def test_a_provider_whose_own_entry_is_retracted_is_silent_again(api, team):
    mine = record(api, team["A"], "ana", TODAY.isoformat())
    assert ("ana", team["A"]) not in summary(late_report(api))[1]
    ok(api.post(f"/api/activities/{mine['id']}/retraction", {"reason": "duplicate"}), 201)
    assert ("ana", team["A"]) in summary(late_report(api))[1]


def test_filtered_by_line_manager(api, team):
    assert summary(late_report(api, line_manager="lee")) == ([("ben", "lee")], [("ana", team["A"])])
    assert summary(late_report(api, line_manager="kim")) == ([("cat", "kim")], [("dan", team["B"])])
    lee = late_report(api, line_manager="lee")
    assert [row["activity_id"] for row in lee["late"]] == [team["ben_late"]]


def test_filtered_by_member(api, team):
    assert summary(late_report(api, member="ben")) == ([("ben", "lee")], [])
    assert summary(late_report(api, member="ana")) == ([], [("ana", team["A"])])
    assert summary(late_report(api, member="cat")) == ([("cat", "kim")], [])


def test_filters_combine_and_an_unknown_handle_matches_nothing(api, team):
    assert summary(late_report(api, member="cat", line_manager="kim")) == ([("cat", "kim")], [])
    assert summary(late_report(api, member="cat", line_manager="lee")) == ([], [])
    assert summary(late_report(api, member="dan", line_manager="kim")) == ([], [("dan", team["B"])])
    for query in ({"member": "nobody"}, {"line_manager": "nobody"}, {"member": "Ana"}):
        report = late_report(api, **query)
        assert report == {
            "month": MONTH,
            "late": [],
            "silent_members": [],
            "provider_departed": [],
        }


def test_filters_apply_to_the_csv_too(api, team):
    response = api.client.get(
        f"/api/reports/late-activities?month={MONTH}&line_manager=kim",
        headers={**api.headers(), "Accept": "text/csv"},
    )
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [(row["kind"], row["team_member"]) for row in rows] == [
        ("late", "cat"),
        ("silent", "dan"),
    ]


@pytest.mark.boundary
def test_bad_filter_values_are_refused_naming_the_field(api, team):
    for name, value in (("line_manager", ""), ("member", "ana\u0007"), ("member", "x" * 201)):
        response = api.get("/api/reports/late-activities", month=MONTH, **{name: value})
        assert response.status_code == 422, response.get_json()
        assert response.mimetype == "application/problem+json"
        assert name in str(response.get_json()["errors"])
    response = api.get("/api/reports/late-activities", month=MONTH, manager="lee")
    assert response.status_code == 400 and "manager" in response.get_json()["detail"]
