"""The planning report (`GET /api/reports/planning?from=&to=`, issue 12 point 7) over
HTTP, on both stores, against figures worked out by hand; and the committed capacity
fix: an allocation cancelled mid-month commits only its working days before the
cancellation, in the planning and the capacity report alike.

The clock is frozen at each step of a story in 2025. Calendar: March 2025 begins on a
Saturday and has 21 working days; April 2025 begins on a Tuesday and has 22; Wednesday
12 March is the 8th working day of March (3-7 and 10-11 March come before it).

- ana (FTE 0.5) provides A1, 1 March to 30 April, 43 units: 21 working days in March,
  22 in April, one unit each; she records 3 units on 10 March.
- ben (FTE 1.0) provides A2, March, 21 units, cancelled on 12 March: 7 working days
  (3-11 March) count, 7 units; he records 2 units on 11 March.
- A3, April, 11 units, has no provider: 11 units committed to April, shown as such.
"""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.support.clocks import SetClock, installed


@pytest.fixture
def clock(monkeypatch) -> SetClock:
    return installed(monkeypatch, SetClock(datetime(2025, 1, 2, 9, tzinfo=UTC)))


def ok(response, status: int = 201) -> dict[str, Any]:
    assert response.status_code == status, response.get_json()
    return response.get_json()


@pytest.fixture
def story(api, clock) -> dict[str, Any]:
    for handle, fte in (("ana", "0.5"), ("ben", "1.0")):
        body = {
            "handle": handle,
            "name": handle.title(),
            "fte": fte,
            "line_manager": "lee",
            "effective_date": "2025-01-01",
        }
        ok(api.post("/api/team-members", body))
    engagement = ok(
        api.post(
            "/api/engagements",
            {
                "name": "Open Data Week",
                "community": "Open Data NL",
                "description": "support",
                "start_date": "2025-01-01",
                "end_date": "2025-12-31",
            },
        )
    )
    ids: dict[str, Any] = {"engagement": engagement["id"]}
    terms = {
        "A1": ("2025-03-01", "2025-04-30", 43, "ana"),
        "A2": ("2025-03-01", "2025-03-31", 21, "ben"),
        "A3": ("2025-04-01", "2025-04-30", 11, None),
    }
    for key, (start, end, units, provider) in terms.items():
        project = ok(
            api.post(
                f"/api/engagements/{engagement['id']}/projects",
                {"name": f"Project {key}", "outcome": "shared goal"},
            )
        )
        body = {"start_date": start, "end_date": end, "units": units, "description": key}
        if provider:
            body["provider"] = provider
        ids[key] = ok(api.post(f"/api/projects/{project['id']}/allocations", body))["id"]
    for key, member, units, day in (("A1", "ana", 3, "2025-03-10"), ("A2", "ben", 2, "2025-03-11")):
        clock.at(day)
        body = {
            "team_member": member,
            "units": units,
            "description": "work",
            "date_from": day,
            "date_to": day,
        }
        ok(api.post(f"/api/allocations/{ids[key]}/activities", body))
    clock.at("2025-03-12")
    cancelled = ok(api.post(f"/api/allocations/{ids['A2']}/cancellation", {"reason": "ended"}))
    ids["before_cancellation"] = cancelled["position"] - 1
    clock.at("2025-05-06")
    return ids


MARCH = {
    "month": "2025-03",
    "members": [
        # 0.5 × 8 × 21 = 84; A1's 21 March working days of 43 → 21.
        {
            "handle": "ana",
            "capacity_units": 84.0,
            "committed_units": 21.0,
            "used_units": 3,
            "free_units": 63.0,
        },
        # 8 × 21 = 168; A2 cancelled on 12 March: 7 of its 21 working days → 7.
        {
            "handle": "ben",
            "capacity_units": 168.0,
            "committed_units": 7.0,
            "used_units": 2,
            "free_units": 161.0,
        },
    ],
    "no_provider": {"committed_units": 0.0},
    "totals": {
        "capacity_units": 252.0,
        "committed_units": 28.0,
        "used_units": 5,
        "free_units": 224.0,
        "committed_fraction": 0.1111,
    },
}
APRIL = {
    "month": "2025-04",
    "members": [
        {
            "handle": "ana",
            "capacity_units": 88.0,
            "committed_units": 22.0,
            "used_units": 0,
            "free_units": 66.0,
        },
        {
            "handle": "ben",
            "capacity_units": 176.0,
            "committed_units": 0.0,
            "used_units": 0,
            "free_units": 176.0,
        },
    ],
    "no_provider": {"committed_units": 11.0},
    "totals": {
        "capacity_units": 264.0,
        "committed_units": 33.0,
        "used_units": 0,
        "free_units": 231.0,
        "committed_fraction": 0.125,
    },
}


def test_planning_figures_per_member_and_month_are_those_computed_by_hand(api, story):
    report = ok(api.get("/api/reports/planning", **{"from": "2025-03", "to": "2025-04"}), 200)
    assert report == {"from": "2025-03", "to": "2025-04", "months": [MARCH, APRIL]}


def test_the_capacity_report_commits_the_same_units(api, story):
    """The committed capacity fix: ben's allocation, cancelled on 12 March, no longer
    commits its whole March (21 units, 49 in all) but its 7 working days before."""
    for month, expected in ((MARCH, 28.0), (APRIL, 33.0)):
        totals = ok(api.get("/api/reports/capacity", month=month["month"]), 200)["totals"]
        assert totals["units_committed"] == expected == month["totals"]["committed_units"]
        assert totals["capacity_units"] == month["totals"]["capacity_units"]


def test_as_of_a_position_before_the_cancellation_the_allocation_commits_its_month(api, story):
    report = ok(
        api.get(
            "/api/reports/planning",
            **{"from": "2025-03", "to": "2025-03"},
            as_of_position=story["before_cancellation"],
        ),
        200,
    )
    (march,) = report["months"]
    ben = next(m for m in march["members"] if m["handle"] == "ben")
    assert (ben["committed_units"], ben["free_units"]) == (21.0, 147.0)
    assert march["totals"]["committed_units"] == 42.0


def test_planning_as_csv(api, story):
    response = api.client.get(
        "/api/reports/planning?from=2025-03&to=2025-04",
        headers={**api.headers(), "Accept": "text/csv"},
    )
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert 'filename="planning-2025-03-2025-04.csv"' in response.headers["Content-Disposition"]
    text = response.get_data(as_text=True)
    assert text.splitlines()[0] == (
        "month,kind,handle,capacity_units,committed_units,used_units,free_units"
    )
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [(r["month"], r["kind"], r["handle"]) for r in rows] == [
        ("2025-03", "member", "ana"),
        ("2025-03", "member", "ben"),
        ("2025-04", "member", "ana"),
        ("2025-04", "member", "ben"),
        ("2025-04", "no_provider", ""),
    ]
    assert rows[1] == {
        "month": "2025-03",
        "kind": "member",
        "handle": "ben",
        "capacity_units": "168.0",
        "committed_units": "7.0",
        "used_units": "2",
        "free_units": "161.0",
    }
    assert rows[-1]["committed_units"] == "11.0" and rows[-1]["free_units"] == ""
    april = [float(r["committed_units"]) for r in rows if r["month"] == "2025-04"]
    assert sum(april) == APRIL["totals"]["committed_units"]


def test_at_most_24_months(api, story):
    report = ok(api.get("/api/reports/planning", **{"from": "2025-01", "to": "2026-12"}), 200)
    assert len(report["months"]) == 24
    refused = api.get("/api/reports/planning", **{"from": "2025-01", "to": "2027-01"})
    assert refused.status_code == 422 and refused.mimetype == "application/problem+json"
    assert refused.json["errors"] == {
        "to": ["at most 24 months at a time: 2025-01 to 2027-01 is 25 months"]
    }


@pytest.mark.boundary
@pytest.mark.parametrize(
    "query, field",
    [
        ({"from": "2025-04", "to": "2025-03"}, "to"),
        ({"from": "2025-13", "to": "2025-03"}, "from"),
        ({"from": "2025-03", "to": "March"}, "to"),
        ({"from": "2025-3", "to": "2025-04"}, "from"),
        ({"to": "2025-04"}, "from"),
        ({"from": "2025-03"}, "to"),
    ],
)
def test_bad_months_are_refused_with_422(api, query, field):
    response = api.get("/api/reports/planning", **query)
    assert response.status_code == 422 and response.mimetype == "application/problem+json"
    assert list(response.json["errors"]) == [field], response.json


def test_a_range_ending_before_it_begins_names_the_first_month(api):
    response = api.get("/api/reports/planning", **{"from": "2025-04", "to": "2025-03"})
    assert response.json["errors"] == {"to": ["must not be before `from` (2025-04)"]}


@pytest.mark.boundary
def test_unknown_parameters_are_refused(api):
    response = api.get("/api/reports/planning", **{"from": "2025-03", "to": "2025-04", "x": "1"})
    assert response.status_code == 400 and "x" in response.json["errors"]


@pytest.mark.parametrize("role", ["bd", "manager", "auditor", "viewer"])
def test_the_team_reports_readers_may_read_it(api, story, make_token, role):
    reader = api.as_(make_token(role))
    response = reader.get("/api/reports/planning", **{"from": "2025-03", "to": "2025-04"})
    assert response.status_code == 200


def test_a_member_and_a_limited_viewer_are_refused_as_for_the_capacity_report(
    api, story, make_token
):
    member = api.as_(make_token("member", member="ana"))
    viewer = api.as_(make_token("viewer", engagement_id=uuid.UUID(story["engagement"])))
    for reader in (member, viewer):
        for path, query in (
            ("/api/reports/capacity", {"month": "2025-03"}),
            ("/api/reports/planning", {"from": "2025-03", "to": "2025-04"}),
        ):
            refused = reader.get(path, **query)
            assert refused.status_code == 403, (path, refused.json)
            assert refused.mimetype == "application/problem+json"
