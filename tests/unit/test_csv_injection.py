"""Report CSVs never carry a live spreadsheet formula (OWASP "CSV Injection"): a text
cell starting with =, +, -, @, tab or carriage return comes out behind a single quote,
cells with separators or quotes stay one cell, and numbers stay numbers."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest

from projections.reports.tables import (
    CAPACITY_COLUMNS,
    LATE_COLUMNS,
    MONTHLY_COLUMNS,
    capacity_rows,
    late_rows,
    monthly_rows,
    neutralised,
    to_csv,
)

LIVE_STARTS = ("=", "+", "-", "@", "\t", "\r")

# The OWASP payloads, and variants of them, each with the cell it must come out as.
PAYLOADS = {
    "=1+2": "'=1+2",
    "=cmd|' /C calc'!A0": "'=cmd|' /C calc'!A0",
    "+1+2": "'+1+2",
    "-1+2": "'-1+2",
    "@SUM(1+1)*cmd|' /C calc'!A0": "'@SUM(1+1)*cmd|' /C calc'!A0",
    '=HYPERLINK("http://evil.example","click")': '\'=HYPERLINK("http://evil.example","click")',
    "\t=1+2": "'\t=1+2",
    "\r=1+2": "'\r=1+2",
    '=1+2";=1+2': "'=1+2\";=1+2",
    "'=1+2": "'=1+2",  # already quoted: the rule does not apply, it stays as it is
    "=1+2,=1+2": "'=1+2,=1+2",
    "a;=1+2": "a;=1+2",  # does not start a formula; quoted, so the ; splits nothing
    "-": "'-",
    "@": "'@",
    "\n=1+2": "\n=1+2",  # a line feed is not in the rule; quoted, it stays in its cell
    "plain text": "plain text",
    "": "",
}


def allocation(**overrides):
    row = {
        "id": "a1",
        "description": "Q1 hours",
        "start_date": date(2024, 1, 1),
        "end_date": date(2024, 3, 31),
        "units_granted": 10,
        "units_used_month": 4,
        "units_used_to_date": 13,
        "units_remaining": -3,
        "percent_used": 130.0,
        "percent_elapsed": 65.9,
        "status": "exhausted",
        "pace": "ahead",
        "overrun": True,
        "activities": [],
    }
    row.update(overrides)
    return row


def monthly(payload: str) -> dict:
    """A monthly report whose every text field is the payload."""
    return {
        "month": "2024-02",
        "engagements": [
            {
                "id": payload,
                "name": payload,
                "community": payload,
                "totals": {},
                "projects": [
                    {
                        "id": "p1",
                        "name": payload,
                        "allocations": [allocation(description=payload, status=payload)],
                    }
                ],
            }
        ],
        "totals": {},
    }


def table(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def assert_no_live_formula(rows: list[list[str]]) -> None:
    for row in rows:
        for cell in row:
            assert not cell.startswith(LIVE_STARTS) or _is_number(cell), repr(cell)


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


@pytest.mark.parametrize("payload", PAYLOADS)
def test_every_text_cell_of_the_monthly_csv_comes_out_neutralised(payload):
    header, row = table(to_csv(MONTHLY_COLUMNS, monthly_rows(monthly(payload))))
    assert header == list(MONTHLY_COLUMNS)
    cells = dict(zip(header, row, strict=True))
    for column in (
        "engagement_id",
        "engagement_name",
        "community",
        "project_name",
        "description",
        "status",
    ):
        assert cells[column] == PAYLOADS[payload], column
    assert_no_live_formula([row])


@pytest.mark.parametrize("payload", PAYLOADS)
def test_the_capacity_and_late_csvs_neutralise_handles_and_managers(payload):
    capacity = {
        "month": "2024-02",
        "members": [
            {
                "handle": payload,
                "fte": Decimal("0.5"),
                "capacity_units": 84.0,
                "units_used": 3,
                "fraction": 0.0357,
            }
        ],
    }
    late = {
        "month": "2024-02",
        "late": [
            {
                "activity_id": payload,
                "allocation_id": payload,
                "team_member": payload,
                "line_manager": payload,
                "date_to": date(2024, 1, 25),
                "recorded_at": "2024-02-12T12:00:00+00:00",
                "days_late": 4,
            }
        ],
        "silent_members": [{"handle": payload, "line_manager": payload, "allocation_id": "a4"}],
        "provider_departed": [
            {
                "allocation_id": "a5",
                "engagement_id": "e1",
                "project_id": "p1",
                "provider": payload,
                "line_manager": payload,
                "departed_on": date(2024, 2, 1),
                "units_remaining": 3,
            }
        ],
    }
    for columns, rows, text_columns in (
        (CAPACITY_COLUMNS, capacity_rows(capacity), ("handle",)),
        (LATE_COLUMNS, late_rows(late), ("team_member", "line_manager")),
    ):
        header, *parsed = table(to_csv(columns, rows))
        assert header == list(columns)
        for row in parsed:
            cells = dict(zip(header, row, strict=True))
            assert all(cells[c] == PAYLOADS[payload] for c in text_columns)
        assert_no_live_formula(parsed)


def test_numbers_stay_numbers_negative_ones_included():
    report = monthly("=1+2")
    report["engagements"][0]["projects"][0]["allocations"].append(
        allocation(id="a2", units_remaining=-1, percent_used=-0.5, units_granted=Decimal("-1.5"))
    )
    text = to_csv(MONTHLY_COLUMNS, monthly_rows(report))
    first, second = csv.DictReader(io.StringIO(text, newline=""))
    assert (first["units_remaining"], first["percent_used"]) == ("-3", "130.0")
    assert int(first["units_remaining"]) == -3 and int(first["units_used_to_date"]) == 13
    assert (second["units_remaining"], second["percent_used"]) == ("-1", "-0.5")
    assert Decimal(second["units_granted"]) == Decimal("-1.5")
    # Bare in the file, so a spreadsheet reads them as numbers, never as quoted text.
    assert ",10,4,13,-3,130.0,65.9," in text
    assert ",-1.5,4,13,-1,-0.5,65.9," in text
    assert "'-" not in text


def test_a_numeric_cell_is_written_bare_and_a_text_cell_with_a_separator_quoted():
    text = to_csv(
        CAPACITY_COLUMNS,
        [
            {
                "month": "2024-02",
                "handle": 'a;b,"c"',
                "fte": Decimal("-0.25"),
                "capacity_units": -1.0,
                "units_used": -7,
                "fraction": None,
            }
        ],
    )
    assert text.splitlines()[1] == '2024-02,"a;b,""c""",-0.25,-1.0,-7,'


def test_a_separator_inside_a_payload_never_shifts_the_columns():
    payload = '=1+2";=1+2,"=3+4",\r\n@x'
    header, row = table(to_csv(MONTHLY_COLUMNS, monthly_rows(monthly(payload))))
    assert len(row) == len(header)
    assert dict(zip(header, row, strict=True))["description"] == "'" + payload
    assert_no_live_formula([row])


@pytest.mark.parametrize("text", ["=1", "+1", "-1", "@1", "\t1", "\r1"])
def test_the_rule_prefixes_each_formula_start(text):
    assert neutralised(text) == "'" + text
    assert neutralised("x" + text) == "x" + text
