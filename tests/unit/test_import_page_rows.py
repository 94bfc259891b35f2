"""What the import page says of each row of a checked file
(service/web/pages/import_pages.py, `row_results`): from the import's outcome alone,
no store, no I/O."""

from __future__ import annotations

from service.application.imports.rows import ImportOutcome, RowError
from service.web.pages.import_pages import row_results


def test_each_row_is_new_imported_before_refused_or_passing_while_another_is_refused():
    clean = ImportOutcome(rows=2, dry_run=True, passed=[2], imported_before=[3])
    assert row_results(clean, [2, 3]) == {
        2: ("new", "Would be imported"),
        3: ("before", "Imported before: left as it is"),
    }
    refused = ImportOutcome(
        rows=3,
        dry_run=True,
        errors=[RowError(4, "units", "too many"), RowError(4, "date_to", "in the future")],
        passed=[2],
        imported_before=[3],
    )
    assert row_results(refused, [2, 3, 4]) == {
        2: ("passes", "Passes, but nothing is imported while a row is refused"),
        3: ("before", "Imported before: left as it is"),
        4: ("refused", "Refused: units: too many; date_to: in the future"),
    }


def test_rows_of_a_refused_header_are_not_checked_and_written_rows_are_imported():
    header = ImportOutcome(rows=1, dry_run=True, errors=[RowError(1, "file", "is empty")])
    assert row_results(header, [2]) == {2: ("unchecked", "Not checked: the file itself is refused")}
    written = ImportOutcome(rows=1, dry_run=False, imported=1, passed=[2])
    assert row_results(written, [2]) == {2: ("new", "Imported")}
