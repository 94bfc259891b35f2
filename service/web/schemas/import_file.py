"""Reading an import file: CSV bytes into the rows the ledger imports
(service/application/imports/commands.py), or the reasons it cannot, each with its line. The
command line (`flask --app wsgi import …`) and the API (`POST /api/imports/…`) read
files here alike.

Every field is checked by the API's own request schemas, extended by the columns only
a file has, so a row is refused for whatever a request would be. The file as a whole
must be UTF-8 (a byte-order mark is fine, as spreadsheets write one), with a header line
naming its columns in any order, each once, none unknown and none required missing.
Line ends may be LF or CRLF; a quoted cell may hold line breaks, so a row's line is
where it starts. Blank lines, and rows whose every cell is empty (spreadsheets export
them), are not rows. Cells are trimmed; an empty cell is a missing value, except a
description, which may be empty. A cell is never evaluated: one starting with `=` is
kept as text (report CSVs neutralise it on the way out).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC
from typing import Any

import marshmallow as ma

from service.application.imports.rows import (
    ActivityRow,
    AllocationRow,
    ImportFile,
    RowError,
    imported_allocation_id,
)
from service.domain.activity import WORK_DEFAULTS, WORK_FIELDS
from service.web.api.activities import ActivityInSchema
from service.web.api.allocations import AllocationInSchema
from service.web.schemas.common import NAME, plain_integer, supported_moment


class ActivityRowSchema(ActivityInSchema):
    """An activity as the API takes it, plus where it goes and when it was recorded.
    Its allocation: by id, or by the external id it was imported with (a file of
    allocations imported just before names them so, not knowing their ids)."""

    external_id = ma.fields.String(required=True, validate=NAME)
    allocation_id = ma.fields.UUID()
    allocation_external_id = ma.fields.String(validate=NAME)
    recorded_at = ma.fields.AwareDateTime(
        required=True, default_timezone=UTC, validate=supported_moment
    )
    recorded_by = ma.fields.String(validate=NAME)

    @ma.validates_schema
    def one_allocation(self, data, **kwargs):
        if ("allocation_id" in data) == ("allocation_external_id" in data):
            raise ma.ValidationError(
                "give the allocation_id or the allocation_external_id, one of them",
                "allocation_id",
            )

    @ma.post_load
    def allocation_by_id(self, data, **kwargs):
        if "allocation_external_id" in data:
            data["allocation_id"] = imported_allocation_id(data["allocation_external_id"])
        return data


class AllocationRowSchema(AllocationInSchema):
    """An allocation as the API grants it, plus its project and when it was granted."""

    external_id = ma.fields.String(required=True, validate=NAME)
    project_id = ma.fields.UUID(required=True)
    granted_at = ma.fields.AwareDateTime(default_timezone=UTC, validate=supported_moment)


@dataclass(frozen=True)
class FileKind:
    """The columns of one kind of file (`either`: at least one of them), its rows'
    schema and how a row is made."""

    required: tuple[str, ...]
    either: tuple[str, ...]
    optional: tuple[str, ...]
    schema: ma.Schema
    make: Callable[..., Any]

    @property
    def columns(self) -> tuple[str, ...]:
        return self.required + self.either + self.optional


ACTIVITIES = FileKind(
    required=("external_id", *(n for n in WORK_FIELDS if n not in WORK_DEFAULTS), "recorded_at"),
    either=("allocation_id", "allocation_external_id"),
    optional=("recorded_by", *WORK_DEFAULTS),
    schema=ActivityRowSchema(),
    make=ActivityRow,
)
ALLOCATIONS = FileKind(
    required=(
        "external_id", "project_id", "start_date", "end_date", "units", "description",
    ),
    either=(),
    optional=("provider", "granted_at"),
    schema=AllocationRowSchema(),
    make=AllocationRow,
)  # fmt: skip
MAY_BE_EMPTY = frozenset({"description"})
WHOLE_NUMBERS = frozenset({"units"})


def read_activities(data: bytes) -> ImportFile[ActivityRow]:
    return read(data, ACTIVITIES)


def read_allocations(data: bytes) -> ImportFile[AllocationRow]:
    return read(data, ALLOCATIONS)


def read(data: bytes, kind: FileKind) -> ImportFile[Any]:
    """The file's rows, and every reason it or a row of it cannot be imported."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        reason = (
            f"is not UTF-8 text (byte 0x{data[error.start]:02x} on line {line}); "
            "save it as CSV UTF-8"
        )
        return ImportFile([], [RowError(line, "file", reason)], 0)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    file: ImportFile[Any] = ImportFile([], [], 0)
    try:
        header = _header(reader, kind, file)
        if header is not None:
            _rows(reader, header, kind, file)
    except csv.Error as error:
        file.errors.append(RowError(reader.line_num, "file", f"is not valid CSV: {error}"))
    file.errors.sort(key=lambda e: (e.line, e.column))
    return file


def _header(reader: Any, kind: FileKind, file: ImportFile[Any]) -> list[str] | None:
    """The column names, in the file's order; None (and why) when they will not do."""
    for cells in reader:
        if any(cell.strip() for cell in cells):
            break
    else:
        file.errors.append(
            RowError(1, "file", f"is empty: its first line names the columns ({_list(kind)})")
        )
        return None
    line = reader.line_num
    names = [cell.strip().lower() for cell in cells]
    problems = [
        RowError(line, name, "is named twice in the header")
        for name in sorted({n for n in names if names.count(n) > 1})
    ]
    problems += [
        RowError(line, name or "(blank)", f"is not a column of this file (they are: {_list(kind)})")
        for name in names
        if name not in kind.columns
    ]
    problems += [
        RowError(line, name, "is missing from the header: the column is required")
        for name in kind.required
        if name not in names
    ]
    if kind.either and not set(kind.either) & set(names):
        problems.append(
            RowError(line, kind.either[0], f"is missing: name {' or '.join(kind.either)}")
        )
    file.errors.extend(problems)
    return None if problems else names


def as_table(data: bytes) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The file's header cells and its rows' cells, each row with the line it starts
    on, as `read` finds them: to show a file back to the person who sent it. As far as
    it can be read (nothing when it is not UTF-8; up to where it stops being CSV)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return [], []
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    header: list[str] = []
    rows: list[tuple[int, list[str]]] = []
    try:
        header = next((cells for cells in reader if any(c.strip() for c in cells)), [])
        rows.extend(_data_rows(reader))
    except csv.Error:
        pass
    return header, rows


def _data_rows(reader: Any) -> Iterator[tuple[int, list[str]]]:
    """Each row after the header with the line it starts on; not the blank ones."""
    start = reader.line_num + 1
    for cells in reader:
        line, start = start, reader.line_num + 1
        if any(cell.strip() for cell in cells):
            yield line, cells


def _rows(reader: Any, header: list[str], kind: FileKind, file: ImportFile[Any]) -> None:
    first_line_of: dict[str, int] = {}
    for line, cells in _data_rows(reader):
        file.count += 1
        if len(cells) != len(header):
            file.errors.append(
                RowError(line, "row", f"has {len(cells)} cells; the header names {len(header)}")
            )
            continue
        values = _values(header, cells)
        external_id = values.get("external_id")
        if isinstance(external_id, str):
            if external_id in first_line_of:
                file.errors.append(
                    RowError(
                        line,
                        "external_id",
                        f"{external_id} is also on line {first_line_of[external_id]}",
                    )
                )
                continue
            first_line_of[external_id] = line
        try:
            file.rows.append(kind.make(line=line, **kind.schema.load(values)))
        except ma.ValidationError as error:
            file.errors.extend(_row_errors(line, error.messages))


def _values(header: list[str], cells: list[str]) -> dict[str, Any]:
    """The row's values by column: trimmed, empty ones left out (a description kept),
    whole numbers as numbers (the schemas take no numbers as text)."""
    values: dict[str, Any] = {}
    for name, cell in zip(header, cells, strict=True):
        value = cell.strip()
        if not value and name not in MAY_BE_EMPTY:
            continue
        number = plain_integer(value) if name in WHOLE_NUMBERS else None
        values[name] = value if number is None else number
    return values


def _row_errors(line: int, messages: Any) -> list[RowError]:
    if not isinstance(messages, dict):
        return [RowError(line, "row", " ".join(map(str, messages)))]
    errors = []
    for column, texts in messages.items():
        texts = texts if isinstance(texts, list) else [texts]
        name = "row" if column == "_schema" else column
        errors.extend(RowError(line, name, str(text)) for text in texts)
    return errors


def _list(kind: FileKind) -> str:
    either = f"{' or '.join(kind.either)}, " if kind.either else ""
    return f"{', '.join(kind.required)}, {either}and optionally {', '.join(kind.optional)}"
