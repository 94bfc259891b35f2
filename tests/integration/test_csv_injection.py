"""Names, descriptions and handles sent as spreadsheet formulas come out of every report
CSV neutralised (OWASP "CSV Injection": behind a single quote), through the API, on
both stores; the units columns stay numbers, a negative balance included."""

from __future__ import annotations

import csv
import io

from tests.support.api import activity
from tests.support.dates import TODAY, days_ago

HYPERLINK = '=HYPERLINK("http://evil.example","click")'
LIVE_STARTS = ("=", "+", "-", "@", "\t", "\r")
NUMBER_COLUMNS = {
    "units_granted",
    "units_used_month",
    "units_used_to_date",
    "units_remaining",
    "percent_used",
    "percent_elapsed",
    "fte",
    "capacity_units",
    "units_used",
    "fraction",
    "days_late",
}
# (project name, allocation description) of each hostile project.
PROJECTS = [
    ("@SUM(1+1)*cmd|' /C calc'!A0", "\t=1+2"),
    ('=1+2";=1+2', "\r=1+2"),
    ("-1+2", "=cmd|' /C calc'!A0"),
]
MEMBER = "-1"  # a handle may start with "-" (and "@"); as text, it is neutralised too


def test_formula_payloads_come_out_of_the_report_csvs_neutralised(api, world):
    member = {
        "handle": MEMBER,
        "name": "+1+2",
        "fte": "0.5",
        "line_manager": "@SUM(1+1)",
        "effective_date": days_ago(365),
    }
    assert api.post("/api/team-members", member).status_code == 201
    engagement = api.post(
        "/api/engagements",
        {
            "name": HYPERLINK,
            "community": "+1+2",
            "description": "-1+2",
            "start_date": days_ago(90),
            "end_date": days_ago(-180),
        },
    )
    assert engagement.status_code == 201, engagement.json
    allocations = []
    for name, description in PROJECTS:
        project = api.post(
            f"/api/engagements/{engagement.json['id']}/projects", {"name": name, "outcome": "=1"}
        )
        assert project.status_code == 201, project.json
        allocation = api.post(
            f"/api/projects/{project.json['id']}/allocations",
            {
                "start_date": days_ago(60),
                "end_date": days_ago(-30),
                "units": 2,
                "description": description,
                "provider": MEMBER,
            },
        )
        assert allocation.status_code == 201, allocation.json
        allocations.append(allocation.json)
    # 5 units on a grant of 2: the first allocation is overrun, its balance is -3.
    recorded = api.post(
        f"/api/allocations/{allocations[0]['id']}/activities",
        activity(units=5, description="@SUM(1+1)", date_from=days_ago(0), date_to=days_ago(0)),
    )
    assert recorded.status_code == 201, recorded.json
    latest = recorded.json["position"]
    month = TODAY.strftime("%Y-%m")

    monthly = report_csv(api, "monthly", month, latest)
    by_id = {row["id"]: row for row in monthly}
    for (name, description), allocation in zip(PROJECTS, allocations, strict=True):
        row = by_id[allocation["id"]]
        assert row["engagement_name"] == "'" + HYPERLINK
        assert row["community"] == "'+1+2"
        assert row["project_name"] == "'" + name
        assert row["description"] == "'" + description
        assert int(row["units_granted"]) == 2
    overrun = by_id[allocations[0]["id"]]
    assert (overrun["units_used_month"], overrun["units_remaining"]) == ("5", "-3")
    assert int(overrun["units_remaining"]) == -3 and float(overrun["percent_used"]) == 250.0

    capacity = report_csv(api, "capacity", month, latest)
    handles = {row["handle"] for row in capacity}
    assert "'" + MEMBER in handles and MEMBER not in handles

    late = report_csv(api, "late-activities", month, latest)
    # The provider recorded on none of the three (the overrun is a colleague's): silent on
    # each (docs/reference/reports.md).
    silent = [row for row in late if row["team_member"] == "'" + MEMBER]
    assert len(silent) == 3 and {row["line_manager"] for row in silent} == {"'@SUM(1+1)"}


def report_csv(api, name: str, month: str, min_position: int) -> list[dict[str, str]]:
    """The report as CSV, parsed back; checks that no text cell starts a formula and
    that every cell of a number column is a number (or blank)."""
    response = api.client.get(
        f"/api/reports/{name}",
        query_string={"month": month, "min_position": min_position},
        headers={**api.headers(), "Accept": "text/csv"},
    )
    assert response.status_code == 200 and response.mimetype == "text/csv", response.data
    header, *rows = list(csv.reader(io.StringIO(response.get_data(as_text=True), newline="")))
    parsed = []
    for row in rows:
        assert len(row) == len(header), row
        cells = dict(zip(header, row, strict=True))
        for column, cell in cells.items():
            if column in NUMBER_COLUMNS:
                assert cell == "" or _is_number(cell), (column, cell)
            else:
                assert not cell.startswith(LIVE_STARTS), (column, cell)
        parsed.append(cells)
    return parsed


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True
