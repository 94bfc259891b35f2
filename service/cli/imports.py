"""`flask --app wsgi import activities FILE.csv [--dry-run] [--actor NAME]` and
`import allocations FILE.csv …`: history from a spreadsheet, written as it happened
(docs/how-to/import-history.md; the rules: service/application/imports/commands.py).

The file is read as the API reads it (service/web/schemas/import_file.py). Every row is checked
before anything is written; a wrong row is listed on stderr with its line and why, and
then nothing is written (exit status 1). Progress bars go to stderr, the outcome to
stdout. FILE may be `-`, the standard input."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, BinaryIO

import click
from flask.cli import AppGroup

from service.application import Ledger
from service.application.imports.rows import ImportOutcome
from service.cli.text import NAME
from service.domain import DomainError
from service.infra.store_errors import DATABASE_UNAVAILABLE
from service.web.schemas.import_file import read_activities, read_allocations


class ProgressBars:
    """One click progress bar per stage of an import, on stderr (drawn on a terminal,
    a line per stage otherwise). Counts the rows written, for the message when the
    writing stops part-way."""

    def __init__(self) -> None:
        self.bar: Any = None
        self.label = ""
        self.done = 0

    def stage(self, label: str, total: int) -> None:
        self.close()
        self.label, self.done = label, 0
        self.bar = click.progressbar(
            length=total,
            label=label,
            file=sys.stderr,
            update_min_steps=max(total // 200, 1),
            show_pos=True,
        )
        self.bar.__enter__()

    def advance(self, rows: int) -> None:
        self.done += rows
        self.bar.update(rows)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None

    def __enter__(self) -> ProgressBars:
        return self

    def __exit__(self, kind: Any, error: Any, traceback: Any) -> None:
        """Close the bar; an import stopped by a refusal of a concurrent change or by the
        database going away becomes a message saying what to do."""
        self.close()
        if isinstance(error, (DomainError, *DATABASE_UNAVAILABLE)):
            written = self.done if self.label == "writing" else 0
            so_far = f"{written} rows were written before it stopped; " if written else ""
            raise click.ClickException(
                f"the import stopped: {getattr(error, 'message', error)}. Each batch is "
                f"written whole or not at all; {so_far}run the same file again to import "
                "the rest (rows imported before are skipped)."
            ) from None


def imports_cli(ledger: Callable[[], Ledger]) -> AppGroup:
    """The `import` command group, on the ledger the composition root gives."""
    group = AppGroup("import", help="Import history (activities, allocations) from CSV files.")
    file_argument = click.argument("file", type=click.File("rb"))
    dry_run_option = click.option(
        "--dry-run", is_flag=True, help="check every row and say what would be imported"
    )
    actor_option = click.option(
        "--actor",
        type=NAME,
        default="cli",
        show_default=True,
        help="who imports: the actor of every event written (the person's full name)",
    )

    @group.command("activities")
    @file_argument
    @dry_run_option
    @actor_option
    def activities(file: BinaryIO, dry_run: bool, actor: str) -> None:
        """Import activities, each with its original recorded_at. Columns: external_id,
        allocation_id, team_member, units, description, date_from, date_to, recorded_at,
        and optionally recorded_by."""
        with ProgressBars() as bars:
            outcome = ledger().import_activities(
                read_activities(file.read()), actor=actor, dry_run=dry_run, progress=bars
            )
        _show(outcome)

    @group.command("allocations")
    @file_argument
    @dry_run_option
    @actor_option
    def allocations(file: BinaryIO, dry_run: bool, actor: str) -> None:
        """Import allocations, each granted at its granted_at if given. Columns:
        external_id, project_id, start_date, end_date, units, description, and
        optionally provider and granted_at."""
        with ProgressBars() as bars:
            outcome = ledger().import_allocations(
                read_allocations(file.read()), actor=actor, dry_run=dry_run, progress=bars
            )
        _show(outcome)

    return group


def _show(outcome: ImportOutcome) -> None:
    if outcome.errors:
        for error in outcome.errors:
            click.echo(f"line {error.line}, {error.column}: {error.reason}", err=True)
        lines = len({error.line for error in outcome.errors})
        raise click.ClickException(
            f"nothing was imported: {lines} line{'s' if lines != 1 else ''} of the file "
            f"{'are' if lines != 1 else 'is'} wrong (listed above)"
        )
    if outcome.dry_run:
        click.echo(
            f"dry run: would import {outcome.imported} of {outcome.rows} rows, skip "
            f"{outcome.skipped} imported before; nothing written"
        )
        return
    click.echo(
        f"imported {outcome.imported} of {outcome.rows} rows, skipped {outcome.skipped} "
        f"imported before; log position {outcome.position}"
    )
