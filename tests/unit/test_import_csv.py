"""Reading import files (service/web/schemas/import_file.py): the rows, or every reason a file
or a row of it cannot be imported, each on its line. No store, no I/O."""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import UUID

import pytest

from service.application.imports.rows import imported_allocation_id
from service.web.schemas.import_file import as_table, read_activities, read_allocations

ALLOCATION = "0b7c9a52-5b1e-4d5c-9b1a-3f0e2d1c4b5a"
HEADER = "external_id,allocation_id,team_member,units,description,date_from,date_to,recorded_at"
GOOD = f"s-1,{ALLOCATION},ana,3,review,2024-09-02,2024-09-03,2024-09-04T16:00:00Z"


def problems(text: str | bytes) -> list[tuple[int, str]]:
    data = text.encode() if isinstance(text, str) else text
    return [(e.line, e.column) for e in read_activities(data).errors]


def test_a_good_row_becomes_an_activity_row():
    file = read_activities(f"{HEADER}\n{GOOD}\n".encode())
    assert file.errors == [] and file.count == 1
    (row,) = file.rows
    assert row.line == 2 and row.external_id == "s-1"
    assert row.allocation_id == UUID(ALLOCATION) and row.units == 3
    assert (row.date_from, row.date_to) == (date(2024, 9, 2), date(2024, 9, 3))
    assert row.recorded_at == datetime(2024, 9, 4, 16, tzinfo=UTC)
    assert row.recorded_by is None


def test_a_moment_without_an_offset_is_utc_and_with_one_is_kept():
    text = f"{HEADER}\n{GOOD.replace('16:00:00Z', '16:00:00')}\n"
    assert read_activities(text.encode()).rows[0].recorded_at == datetime(
        2024, 9, 4, 16, tzinfo=UTC
    )
    text = f"{HEADER}\n{GOOD.replace('16:00:00Z', '18:00:00+02:00')}\n"
    assert read_activities(text.encode()).rows[0].recorded_at == datetime(
        2024, 9, 4, 16, tzinfo=UTC
    )


def test_a_byte_order_mark_crlf_and_the_header_in_any_order_and_case():
    columns = HEADER.split(",")
    values = GOOD.split(",")
    header = ",".join(c.upper() for c in reversed(columns))
    row = ",".join(reversed(values))
    file = read_activities(f"\ufeff{header}\r\n{row}\r\n\r\n".encode())
    assert file.errors == [] and file.rows[0].team_member == "ana"


def test_a_row_is_numbered_by_the_line_it_starts_on():
    multi = GOOD.replace("review", '"two\nlines"')
    text = f"{HEADER}\n\n{multi}\n{GOOD.replace('s-1', 's-2').replace(',3,', ',0,')}\n"
    assert problems(text) == [(5, "units")]
    assert read_activities(text.encode()).rows[0].description == "two\nlines"


def test_blank_lines_and_rows_of_empty_cells_are_not_rows():
    file = read_activities(f"\n{HEADER}\n{GOOD}\n,,,,,,,\n\n".encode())
    assert file.errors == [] and file.count == 1


def test_an_allocation_named_by_its_external_id_or_by_its_id_but_one_of_them():
    header = HEADER.replace("allocation_id", "allocation_external_id")
    file = read_activities(f"{header}\n{GOOD.replace(ALLOCATION, 'q3')}\n".encode())
    assert file.rows[0].allocation_id == imported_allocation_id("q3")
    both = f"{HEADER},allocation_external_id\n{GOOD},q3\n"
    assert problems(both) == [(2, "allocation_id")]
    neither = f"{HEADER},allocation_external_id\n{GOOD.replace(ALLOCATION, '')},\n"
    assert problems(neither) == [(2, "allocation_id")]
    no_column = HEADER.replace("allocation_id,", "")
    assert problems(f"{no_column}\n") == [(1, "allocation_id")]


@pytest.mark.parametrize(
    "change, column",
    [
        (("s-1", ""), "external_id"),
        ((ALLOCATION, "not-a-uuid"), "allocation_id"),
        ((",ana,", ",,"), "team_member"),
        ((",3,", ",three,"), "units"),
        ((",3,", ",3.0,"), "units"),
        ((",3,", ",0,"), "units"),
        ((",3,", ",100001,"), "units"),
        ((",3,", ",99999999999999999999999999,"), "units"),
        (("2024-09-02", "02/09/2024"), "date_from"),
        (("2024-09-03", "2024-09-01"), "date_to"),
        (("2024-09-03", "2300-01-01"), "date_to"),
        (("2024-09-04T16:00:00Z", "yesterday"), "recorded_at"),
        (("2024-09-04T16:00:00Z", ""), "recorded_at"),
        (("review", "a\x00b"), "description"),
        ((",ana,", f",{'a' * 201},"), "team_member"),
    ],
)
def test_a_field_the_api_would_refuse_is_refused_on_its_line(change, column):
    old, new = change
    bad = GOOD.replace(old, new, 1)
    assert problems(f"{HEADER}\n{GOOD.replace('s-1', 's-0')}\n{bad}\n") == [(3, column)]


def test_every_field_of_a_row_is_listed():
    bad = "s-1,x,,0,d,2024-13-01,2024-09-03,never"
    assert problems(f"{HEADER}\n{bad}\n") == [
        (2, "allocation_id"), (2, "date_from"), (2, "recorded_at"), (2, "team_member"),
        (2, "units"),
    ]  # fmt: skip


def test_a_description_may_be_empty_and_a_formula_stays_text():
    empty = read_activities(f"{HEADER}\n{GOOD.replace('review', '')}\n".encode())
    assert empty.errors == [] and empty.rows[0].description == ""
    formula = read_activities(f"{HEADER}\n{GOOD.replace('review', '=1+1')}\n".encode())
    assert formula.rows[0].description == "=1+1"


def test_an_external_id_twice_names_the_first_line():
    text = f"{HEADER}\n{GOOD}\n{GOOD.replace(',3,', ',2,')}\n"
    (error,) = read_activities(text.encode()).errors
    assert (error.line, error.column) == (3, "external_id")
    assert "also on line 2" in error.reason


@pytest.mark.parametrize(
    "header, expected",
    [
        (HEADER + ",notes", [(1, "notes")]),
        (HEADER + ",units", [(1, "units")]),
        (HEADER.replace(",team_member", ""), [(1, "team_member")]),
        (HEADER + ",", [(1, "(blank)")]),
    ],
)
def test_the_header_names_each_column_once_none_unknown_none_missing(header, expected):
    assert problems(f"{header}\n") == expected


def test_a_row_of_the_wrong_width_is_refused():
    assert problems(f"{HEADER}\n{GOOD},extra\ns-2,{ALLOCATION}\n") == [(2, "row"), (3, "row")]


@pytest.mark.parametrize(
    "data, line",
    [
        (b"", 1),
        (b"\n\n", 1),
        (f"{HEADER}\n{GOOD}\n".encode("utf-16"), 1),
        (f"{HEADER}\n{GOOD}\ncaf\xe9\n".encode("latin-1"), 3),
        (f'{HEADER}\n{GOOD}\n"open'.encode(), 3),
    ],
)
def test_a_file_that_is_not_utf8_csv_says_where(data, line):
    (error,) = read_activities(data).errors
    assert (error.line, error.column) == (line, "file")


def test_a_header_alone_has_no_rows_and_nothing_wrong():
    file = read_activities(f"{HEADER}\n".encode())
    assert (file.rows, file.errors, file.count) == ([], [], 0)


def test_allocation_rows_with_optional_provider_and_granted_at():
    header = "external_id,project_id,start_date,end_date,units,description,provider,granted_at"
    text = (
        f"{header}\n"
        f"q3,{ALLOCATION},2024-07-01,2024-09-30,8,Q3,ana,2024-06-28T09:00:00Z\n"
        f"q4,{ALLOCATION},2024-10-01,2024-12-31,8,Q4,,\n"
        f"q5,{ALLOCATION},2025-01-01,2024-12-31,8,Q5,,\n"
    )
    file = read_allocations(text.encode())
    q3, q4 = file.rows
    assert q3.provider == "ana" and q3.granted_at == datetime(2024, 6, 28, 9, tzinfo=UTC)
    assert (q4.provider, q4.granted_at) == (None, None)
    assert [(e.line, e.column) for e in file.errors] == [(4, "end_date")]


def test_a_file_shown_back_keeps_each_rows_cells_and_the_line_it_starts_on():
    quoted = f's-2,{ALLOCATION},ana,2,"two\nlines",2024-09-02,2024-09-02,not a moment'
    text = f"\n{HEADER}\n{GOOD}\n\n,,,,,,,\n{quoted}\n"
    header, rows = as_table(text.encode("utf-8-sig"))
    assert header == HEADER.split(",")
    assert [(line, cells[0], cells[4]) for line, cells in rows] == [
        (3, "s-1", "review"),
        (6, "s-2", "two\nlines"),
    ]
    read = read_activities(text.encode())  # the lines the reader gives rows and refusals
    assert [row.line for row in read.rows] == [3]
    assert {error.line for error in read.errors} == {6}


def test_a_file_that_is_not_utf8_or_not_csv_is_shown_as_far_as_it_reads():
    assert as_table(b"\xff\xfe,a\n") == ([], [])
    header, rows = as_table(f'{HEADER}\n{GOOD}\ns-2,"unclosed\n'.encode())
    assert header == HEADER.split(",") and [line for line, _ in rows] == [2]
