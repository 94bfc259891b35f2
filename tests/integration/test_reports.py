"""The reports against figures worked out by hand, for a scenario over January to
April 2024 with corrections, a retraction, an overrun, late entries, an amended and
a cancelled allocation, a mid-month FTE change and a departure. The clock is frozen
at each step, so event timestamps (which decide lateness) are those of the story.

Calendar used below: February 2024 has 21 working days (1 Feb is a Thursday; 29
days); March 2024 has 21 (1 Mar is a Friday); Q1 2024 has 91 days, 65 of them working
days; 15 January to 30 April 77; February and March 42."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.support.clocks import SetClock, installed


@pytest.fixture
def clock(monkeypatch) -> SetClock:
    return installed(monkeypatch, SetClock(datetime(2024, 1, 1, 9, tzinfo=UTC)))


def ok(response, status: int = 201) -> dict[str, Any]:
    assert response.status_code == status, response.get_json()
    return response.get_json()


@pytest.fixture
def story(api, clock) -> dict[str, str]:
    ids: dict[str, str] = {}
    clock.at("2024-01-01", 8)
    for handle, fte, manager in (
        ("ana", "0.5", "lee"),
        ("ben", "0.8", "lee"),
        ("cat", "1.0", "max"),
    ):
        ok(
            api.post(
                "/api/team-members",
                {
                    "handle": handle,
                    "name": handle.title(),
                    "fte": fte,
                    "line_manager": manager,
                    "effective_date": "2024-01-01",
                },
            )
        )

    def engagement(key: str, name: str, community: str) -> None:
        ids[key] = ok(
            api.post(
                "/api/engagements",
                {
                    "name": name,
                    "community": community,
                    "description": "support",
                    "start_date": "2024-01-01",
                    "end_date": "2024-12-31",
                },
            )
        )["id"]

    def project(key: str, engagement_key: str, name: str) -> None:
        ids[key] = ok(
            api.post(
                f"/api/engagements/{ids[engagement_key]}/projects",
                {"name": name, "outcome": "shared goal"},
            )
        )["id"]

    def allocation(
        key: str, project_key: str, start: str, end: str, units: int, provider: str
    ) -> None:
        ids[key] = ok(
            api.post(
                f"/api/projects/{ids[project_key]}/allocations",
                {
                    "start_date": start,
                    "end_date": end,
                    "units": units,
                    "description": f"{key} hours",
                    "provider": provider,
                },
            )
        )["id"]

    def record(
        key: str,
        allocation_key: str,
        member: str,
        units: int,
        first: str,
        last: str,
        recorded_on: str,
    ) -> None:
        clock.at(recorded_on)
        ids[key] = ok(
            api.post(
                f"/api/allocations/{ids[allocation_key]}/activities",
                {
                    "team_member": member,
                    "units": units,
                    "description": f"{key} work",
                    "date_from": first,
                    "date_to": last,
                },
            )
        )["id"]

    engagement("E1", "Open Data Week", "Open Data NL")
    engagement("E2", "Civic Tech", "CT Berlin")
    project("P1", "E1", "Docs")
    project("P2", "E1", "Events")
    project("P3", "E2", "Mentoring")
    project("P4", "E2", "Hackdays")
    allocation("A1", "P1", "2024-01-01", "2024-03-31", 24, "ana")
    allocation("A2", "P2", "2024-02-01", "2024-02-29", 10, "ben")
    allocation("A3", "P3", "2024-01-15", "2024-04-30", 40, "cat")
    allocation("A4", "P4", "2024-02-01", "2024-03-31", 8, "ben")

    record("act1", "A1", "ana", 3, "2024-01-10", "2024-01-10", "2024-01-11")
    record("act2", "A1", "ana", 5, "2024-02-05", "2024-02-06", "2024-02-07")
    record("act6", "A1", "ana", 2, "2024-01-25", "2024-01-25", "2024-02-12")  # 18 days: late
    record("act3", "A2", "ben", 8, "2024-02-12", "2024-02-12", "2024-02-13")
    clock.at("2024-02-14")
    ok(api.patch("/api/team-members/ana", {"fte": "1.0", "effective_date": "2024-02-15"}), 200)
    clock.at("2024-02-20")
    ok(api.patch(f"/api/allocations/{ids['A1']}", {"units": 30, "reason": "more docs"}), 200)
    record("act4", "A2", "ben", 4, "2024-02-20", "2024-02-20", "2024-02-21")  # A2 overrun: 12 of 10
    record("act5", "A3", "cat", 2, "2024-02-01", "2024-02-01", "2024-02-26")  # 25 days: late
    record("act7", "A1", "ana", 8, "2024-02-26", "2024-02-26", "2024-02-27")
    record("act8", "A1", "ana", 1, "2024-02-28", "2024-02-28", "2024-02-28")
    record("act9", "A3", "cat", 3, "2024-02-28", "2024-02-28", "2024-02-29")
    clock.at("2024-02-29", 18)
    ok(api.post(f"/api/activities/{ids['act8']}/retraction", {"reason": "double entry"}))
    clock.at("2024-03-01")
    ok(api.post(f"/api/activities/{ids['act7']}/corrections", {"units": 6, "reason": "typo"}))
    clock.at("2024-03-02")
    ok(
        api.post(
            f"/api/activities/{ids['act9']}/corrections",
            {"date_from": "2024-03-01", "date_to": "2024-03-01", "reason": "wrong day"},
        )
    )
    record("act10", "A3", "cat", 4, "2024-03-05", "2024-03-05", "2024-03-06")
    clock.at("2024-03-10")
    ok(api.post(f"/api/allocations/{ids['A3']}/cancellation", {"reason": "mentor left"}))
    clock.at("2024-03-15")
    ok(api.patch("/api/team-members/cat", {"departed_on": "2024-03-16"}), 200)
    clock.at("2024-04-10")
    return ids


def test_monthly_report_for_february(api, story):
    report = ok(api.get("/api/reports/monthly", month="2024-02"), 200)
    e1, e2 = report["engagements"]
    assert (e1["id"], e1["name"], e1["community"]) == (
        story["E1"],
        "Open Data Week",
        "Open Data NL",
    )
    docs, events = e1["projects"]
    assert (docs["id"], docs["name"], events["name"]) == (story["P1"], "Docs", "Events")

    (a1,) = docs["allocations"]
    # Amended to 30; Jan: 3 + 2 (late) = 5; Feb: 5 + 6 (8 corrected to 6) + 1 retracted = 11.
    # Elapsed on 29 Feb: 60 of Q1's 91 days = 65.9%; used 16/30 = 53.3%: within 15 points.
    assert {k: v for k, v in a1.items() if k != "activities"} == {
        "id": story["A1"],
        "description": "A1 hours",
        "start_date": "2024-01-01",
        "end_date": "2024-03-31",
        "units_granted": 30,
        "units_used_month": 11,
        "units_used_to_date": 16,
        "units_remaining": 14,
        "percent_used": 53.3,
        "percent_elapsed": 65.9,
        "status": "active",
        "pace": "on track",
        "overrun": False,
    }
    assert a1["activities"] == [
        {
            "id": story["act2"],
            "date_from": "2024-02-05",
            "date_to": "2024-02-06",
            "team_member": "ana",
            "units": 5,
            "description": "act2 work",
            "late": False,
            "after_close": False,
        },
        {
            "id": story["act7"],
            "date_from": "2024-02-26",
            "date_to": "2024-02-26",
            "team_member": "ana",
            "units": 6,
            "description": "act7 work",
            "late": False,
            "after_close": False,
        },
    ]
    (a2,) = events["allocations"]
    # 8 + 4 = 12 of 10: an overrun; on 29 Feb the whole period has elapsed.
    assert (a2["units_used_month"], a2["units_used_to_date"], a2["units_remaining"]) == (12, 12, -2)
    assert (a2["percent_used"], a2["percent_elapsed"], a2["status"], a2["pace"], a2["overrun"]) == (
        120.0,
        100.0,
        "exhausted",
        "ahead",
        True,
    )
    assert [a["units"] for a in a2["activities"]] == [8, 4]
    assert e1["totals"] == {"units_granted": 40, "units_used_month": 23, "units_used_to_date": 28}

    mentoring, hackdays = e2["projects"]
    (a3,), (a4,) = mentoring["allocations"], hackdays["allocations"]
    # A3 (15 Jan to 30 Apr, 107 days) was cancelled on 10 March, after this month:
    # it shows as it stood on 29 Feb. act9 moved to March by its correction.
    assert (a3["id"], a3["units_used_month"], a3["units_used_to_date"], a3["status"]) == (
        story["A3"],
        2,
        2,
        "active",
    )
    assert (a3["percent_used"], a3["percent_elapsed"], a3["pace"]) == (5.0, 43.0, "behind")
    assert a3["activities"] == [
        {
            "id": story["act5"],
            "date_from": "2024-02-01",
            "date_to": "2024-02-01",
            "team_member": "cat",
            "units": 2,
            "description": "act5 work",
            "late": True,
            "after_close": False,
        },
    ]
    assert (a4["id"], a4["units_used_month"], a4["percent_elapsed"], a4["activities"]) == (
        story["A4"],
        0,
        48.3,
        [],
    )
    assert e2["totals"] == {"units_granted": 48, "units_used_month": 2, "units_used_to_date": 2}
    assert report["totals"] == {
        "units_granted": 88,
        "units_used_month": 25,
        "units_used_to_date": 30,
    }


def test_monthly_report_shows_a_cancellation_from_its_month_on(api, story):
    report = ok(api.get("/api/reports/monthly", month="2024-03", engagement_id=story["E2"]), 200)
    (e2,) = report["engagements"]
    (a3,), (a4,) = (project["allocations"] for project in e2["projects"])
    # March: act9 (3, moved here) + act10 (4); cancelled on 10 March.
    assert (a3["status"], a3["units_used_month"], a3["units_used_to_date"]) == ("cancelled", 7, 9)
    assert (a4["status"], a4["units_used_to_date"]) == ("active", 0)
    # The cancelled allocation's grant leaves the totals; the work done on it stays.
    assert e2["totals"] == {"units_granted": 8, "units_used_month": 7, "units_used_to_date": 9}


def test_capacity_report_for_february(api, story):
    report = ok(api.get("/api/reports/capacity", month="2024-02"), 200)
    # ana: 10 working days at 0.5 and 11 at 1.0 -> 8 x 16 = 128; ben 0.8 x 8 x 21;
    # cat 1.0 x 8 x 21. Used in February by last day: ana 5 + 6, ben 8 + 4, cat 2.
    assert report["members"] == [
        {
            "handle": "ana",
            "fte": 0.762,
            "capacity_units": 128.0,
            "units_used": 11,
            "fraction": 0.0859,
        },
        {
            "handle": "ben",
            "fte": 0.8,
            "capacity_units": 134.4,
            "units_used": 12,
            "fraction": 0.0893,
        },
        {"handle": "cat", "fte": 1.0, "capacity_units": 168.0, "units_used": 2, "fraction": 0.0119},
    ]
    # Committed, each allocation's units over its working days (issue 12 changed the rule
    # from calendar days, which gave 34.27): A1 30 x 21/65 + A2 10 + A3 40 x 21/77
    # + A4 8 x 21/42 = 9.692 + 10 + 10.909 + 4 = 34.601.
    assert report["totals"] == {
        "capacity_units": 430.4,
        "units_used": 25,
        "fraction": 0.0581,
        "units_committed": 34.6,
        "committed_fraction": 0.0804,
    }


def test_capacity_report_for_march_respects_a_departure(api, story):
    report = ok(api.get("/api/reports/capacity", month="2024-03"), 200)
    by_handle = {m["handle"]: m for m in report["members"]}
    # cat left on Saturday 16 March: 11 working days (1-15 March) at 1.0.
    assert by_handle["cat"] == {
        "handle": "cat",
        "fte": 0.524,
        "capacity_units": 88.0,
        "units_used": 7,
        "fraction": 0.0795,
    }
    assert (by_handle["ana"]["capacity_units"], by_handle["ana"]["units_used"]) == (168.0, 0)
    # A1 30 x 21/65 + A3 40 x 6/77 + A4 8 x 21/42 = 9.692 + 3.117 + 4 = 16.809. A3 was
    # cancelled on Sunday 10 March: only its 6 working days before that (1-8 March) count.
    # (Issue 12 changed the rule: by calendar days and with a cancelled allocation's whole
    # month, 30 x 31/91 + 40 x 31/107 + 8 x 31/60 = 25.94.)
    assert report["totals"] == {
        "capacity_units": 390.4,
        "units_used": 7,
        "fraction": 0.0179,
        "units_committed": 16.81,
        "committed_fraction": 0.0431,
    }


def test_late_activities_report_for_february(api, story):
    report = ok(api.get("/api/reports/late-activities", month="2024-02"), 200)
    assert report["late"] == [
        {
            "activity_id": story["act6"],
            "allocation_id": story["A1"],
            "team_member": "ana",
            "line_manager": "lee",
            "date_to": "2024-01-25",
            "recorded_at": "2024-02-12T12:00:00+00:00",
            "days_late": 4,
        },
        {
            "activity_id": story["act5"],
            "allocation_id": story["A3"],
            "team_member": "cat",
            "line_manager": "max",
            "date_to": "2024-02-01",
            "recorded_at": "2024-02-26T12:00:00+00:00",
            "days_late": 11,
        },
    ]
    # A4 was active all February and nothing counts in it.
    assert report["silent_members"] == [
        {"handle": "ben", "line_manager": "lee", "allocation_id": story["A4"]}
    ]


def test_late_activities_report_for_january(api, story):
    report = ok(api.get("/api/reports/late-activities", month="2024-01"), 200)
    # act6 (work of 25 January) was recorded, late, in February.
    assert report["late"] == []
    assert report["silent_members"] == [
        {"handle": "cat", "line_manager": "max", "allocation_id": story["A3"]}
    ]


def test_reports_as_csv(api, story):
    response = api.client.get(
        "/api/reports/monthly?month=2024-02", headers={**api.headers(), "Accept": "text/csv"}
    )
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [row["id"] for row in rows] == [story["A1"], story["A2"], story["A3"], story["A4"]]
    assert rows[1] == {
        "month": "2024-02",
        "engagement_id": story["E1"],
        "engagement_name": "Open Data Week",
        "community": "Open Data NL",
        "project_id": story["P2"],
        "project_name": "Events",
        "id": story["A2"],
        "description": "A2 hours",
        "start_date": "2024-02-01",
        "end_date": "2024-02-29",
        "units_granted": "10",
        "units_used_month": "12",
        "units_used_to_date": "12",
        "units_remaining": "-2",
        "percent_used": "120.0",
        "percent_elapsed": "100.0",
        "status": "exhausted",
        "pace": "ahead",
        "overrun": "true",
    }
    capacity = api.client.get(
        "/api/reports/capacity?month=2024-02", headers={**api.headers(), "Accept": "text/csv"}
    ).get_data(as_text=True)
    assert capacity.splitlines()[:2] == [
        "month,handle,fte,capacity_units,units_used,fraction",
        "2024-02,ana,0.762,128.0,11,0.0859",
    ]
    late = api.client.get(
        "/api/reports/late-activities?month=2024-02",
        headers={**api.headers(), "Accept": "text/csv"},
    ).get_data(as_text=True)
    kinds = [row["kind"] for row in csv.DictReader(io.StringIO(late))]
    assert kinds == ["late", "late", "silent"]


def test_a_viewer_limited_to_one_engagement_sees_only_it(api, story, make_token):
    viewer = api.as_(make_token("viewer", engagement_id=__import__("uuid").UUID(story["E2"])))
    report = ok(viewer.get("/api/reports/monthly", month="2024-02"), 200)
    assert [e["id"] for e in report["engagements"]] == [story["E2"]]
    assert report["totals"] == {"units_granted": 48, "units_used_month": 2, "units_used_to_date": 2}
    assert (
        viewer.get("/api/reports/monthly", month="2024-02", engagement_id=story["E1"]).status_code
        == 404
    )
    for team_report in ("capacity", "late-activities"):
        refused = viewer.get(f"/api/reports/{team_report}", month="2024-02")
        assert refused.status_code == 403 and refused.mimetype == "application/problem+json"
    listed = ok(viewer.get("/api/allocations"), 200)
    assert [a["id"] for a in listed["items"]] == [story["A3"], story["A4"]]


def test_a_member_may_read_the_monthly_report_but_not_the_team_reports(api, story, make_token):
    member = api.as_(make_token("member", member="ana"))
    assert member.get("/api/reports/monthly", month="2024-02").status_code == 200
    assert member.get("/api/reports/capacity", month="2024-02").status_code == 403


def test_a_month_without_allocations_is_an_empty_report(api, story):
    report = ok(api.get("/api/reports/monthly", month="2023-06"), 200)
    assert report == {
        "month": "2023-06",
        "engagements": [],
        "totals": {"units_granted": 0, "units_used_month": 0, "units_used_to_date": 0},
    }


@pytest.mark.boundary
@pytest.mark.parametrize("month", ["2024-13", "2024-1", "March", ""])
def test_a_bad_month_is_refused_with_a_message(api, month):
    response = api.get("/api/reports/monthly", month=month)
    assert response.status_code == 422
    assert response.json["errors"] == {"month": ["give the month as YYYY-MM"]}


def test_the_month_is_required(api):
    response = api.get("/api/reports/capacity")
    assert response.status_code == 422 and "month" in response.json["errors"]
