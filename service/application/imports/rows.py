"""What an import is made of, apart from how it is written (service/application/
imports.py): the rows of a file, once their fields are well formed; what is wrong
with a row; what an import did; and the ids a row's `external_id` stands for.

An imported thing's id is derived from its external id (uuid5 in a namespace of the
service's own), so the same row names the same activity or allocation however often it
is imported, and the event store itself refuses to write it twice. Activities and
allocations have namespaces apart: a spreadsheet may number both from 1."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Generic, Protocol, TypeVar
from uuid import NAMESPACE_URL, UUID, uuid5

from service.domain.activity import Work

IMPORT_NAMESPACE = uuid5(NAMESPACE_URL, "urn:community-enablement:import")


def imported_activity_id(external_id: str) -> UUID:
    return uuid5(IMPORT_NAMESPACE, f"activity:{external_id}")


def imported_allocation_id(external_id: str) -> UUID:
    return uuid5(IMPORT_NAMESPACE, f"allocation:{external_id}")


@dataclass(frozen=True, kw_only=True)
class ActivityRow(Work):
    """One activity of a file, as recorded then: its `Work`; `recorded_at`, when it was
    first recorded (in the spreadsheet); `recorded_by`, who recorded it, if the file says.
    `allocation_external_id`: how the file named its allocation, if not by its id."""

    line: int
    external_id: str
    allocation_id: UUID
    recorded_at: datetime
    recorded_by: str | None = None
    allocation_external_id: str | None = None


@dataclass(frozen=True)
class AllocationRow:
    """One allocation of a file; `granted_at`, when given, is when it was granted."""

    line: int
    external_id: str
    project_id: UUID
    start_date: date
    end_date: date
    units: int
    description: str
    provider: str | None = None
    granted_at: datetime | None = None


R = TypeVar("R", ActivityRow, AllocationRow)


@dataclass(frozen=True)
class RowError:
    """Why a row (or, on line 1, the file's header) cannot be imported; `column` is
    the column at fault, or "file" / "row" when the whole file or row is."""

    line: int
    column: str
    reason: str


@dataclass
class ImportFile(Generic[R]):
    """A file read: the rows whose fields are well formed, what is wrong with the
    others (or with the file), and how many data rows it has in all."""

    rows: list[R]
    errors: list[RowError]
    count: int


@dataclass
class ImportOutcome:
    """What an import did. With `errors`, nothing was written. `imported`: the rows
    written (with `dry_run`, that would be); `skipped`: rows imported before.
    `position`: the log position of the last write, or the log's end when nothing was
    written, to read the rows back with `min_position`. Row by row, as checked:
    `passed`, the lines of new rows that pass every check (written unless a row is
    refused or it is a dry run); `imported_before`, the lines of rows skipped."""

    rows: int
    dry_run: bool
    errors: list[RowError] = field(default_factory=list)
    imported: int = 0
    skipped: int = 0
    position: int = 0
    passed: list[int] = field(default_factory=list)
    imported_before: list[int] = field(default_factory=list)

    def refuse(self, errors: Iterable[RowError]) -> None:
        self.errors = sorted(self.errors + list(errors), key=lambda e: (e.line, e.column))


class Progress(Protocol):
    """How an import tells a person how far it has got (the CLI's progress bars)."""

    def stage(self, label: str, total: int) -> None: ...

    def advance(self, rows: int) -> None: ...


class Quiet:
    """No one is watching (the API answers when it is done)."""

    def stage(self, label: str, total: int) -> None:
        pass

    def advance(self, rows: int) -> None:
        pass
