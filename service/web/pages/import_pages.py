"""Importing history from a page (`/imports`, admin; docs/how-to/import-history.md):
upload a CSV of activities or allocations, see the dry run row by row (which rows
would be written, which were imported before, which are refused and why), then import
that very file without uploading it again.

The file is read and imported as `POST /api/imports/{kind}` does: the same reader
(service/web/schemas/import_file.py) and ledger methods, all rows or none. The checked
file comes back with the import button, in the form itself (base64, so not a byte
changes on the way), and is checked again as it is imported: if the ledger changed
meanwhile, its refusals are shown and nothing is written. Importing twice is
harmless: a row's id is derived from its `external_id`, so a row imported before is
skipped, whoever sends it again (the form needs no key of its own)."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import abort, current_app, flash, g, redirect, render_template, request, url_for

from service.application.imports.rows import ImportOutcome
from service.web.http.runtime import ledger
from service.web.pages.blueprints import page_blueprint
from service.web.pages.forms import Errors
from service.web.pages.people import page
from service.web.schemas.import_file import as_table, read_activities, read_allocations

blp = page_blueprint("import_pages", __name__)

SHOWN_ROWS = 500
MAX_NAME = 100
"""Characters of a file's name kept to show it (it travels in the flash message)."""
# Room left in a request for the import form's other fields and multipart framing.
FORM_OVERHEAD_BYTES = 4096


@dataclass(frozen=True)
class Kind:
    read: Callable[[bytes], Any]
    imports: Callable[..., ImportOutcome]


def kinds() -> dict[str, Kind]:
    """What a file may hold, by the name the form sends (the API's path)."""
    return {
        "activities": Kind(read_activities, ledger().import_activities),
        "allocations": Kind(read_allocations, ledger().import_allocations),
    }


@blp.route("/imports", methods=["GET"])
@page("page:imports")
def imports():
    return render_template("pages/imports.html", values={}, errors={})


@blp.route("/imports", methods=["POST"])
@page("page:imports")
def check_or_import():
    which = request.form.get("form_name")
    if which == "check":
        return _check()
    if which == "import":
        return _import()
    abort(400, description="the form sent is not one of this page's forms")


def _check():
    values = {"kind": request.form.get("kind", "")}
    upload = request.files.get("file")
    data = upload.read() if upload else b""
    errors: Errors = {}
    if values["kind"] not in kinds():
        errors["kind"] = ["Choose what the file holds: activities or allocations."]
    if not data.strip():
        errors["file"] = ["Choose a CSV file to check: the one chosen is empty, or none was."]
    if errors:
        return render_template("pages/imports.html", values=values, errors=errors), 422
    name = (upload.filename if upload and upload.filename else "the file")[:MAX_NAME]
    return _run(values["kind"], name, data, dry_run=True)[0]


def _import():
    kind = request.form.get("kind", "")
    name = (request.form.get("file_name", "") or "the file")[:MAX_NAME]
    try:
        data = base64.b64decode(request.form.get("content", ""), validate=True)
    except binascii.Error:
        data = b""
    if kind not in kinds() or not data:
        abort(400, description="the checked file did not come back whole: check it again")
    answer, outcome = _run(kind, name, data, dry_run=False)
    if outcome.errors:
        return answer
    before = (
        f"; {outcome.skipped} imported before were left as they were" if outcome.skipped else ""
    )
    flash(f"Imported {outcome.imported} {kind} from {name}{before}.", "recorded")
    return redirect(url_for("import_pages.imports"), code=303)


def _run(kind: str, name: str, data: bytes, *, dry_run: bool) -> tuple[Any, ImportOutcome]:
    """The import (or its dry run) of `data`, and the page showing its outcome row by
    row (422 when a row or the file is refused)."""
    chosen = kinds()[kind]
    outcome = chosen.imports(chosen.read(data), actor=g.principal.actor, dry_run=dry_run)
    content = base64.b64encode(data).decode("ascii")
    header, rows = as_table(data)
    shown = rows[:SHOWN_ROWS]
    results = row_results(outcome, [line for line, _ in shown])
    page_html = render_template(
        "pages/import_result.html",
        kind=kind,
        name=name,
        outcome=outcome,
        refused_lines=len({error.line for error in outcome.errors}),
        header=header,
        rows=[(line, cells, *results[line]) for line, cells in shown],
        row_count=len(rows),
        content=content,
        fits=len(content) + FORM_OVERHEAD_BYTES <= current_app.config["MAX_CONTENT_LENGTH"],
    )
    return (page_html, 422 if outcome.errors else 200), outcome


def row_results(outcome: ImportOutcome, lines: list[int]) -> dict[int, tuple[str, str]]:
    """What the import makes of the row on each of `lines`: a state and its words."""
    reasons: dict[int, list[str]] = {}
    for error in outcome.errors:
        reasons.setdefault(error.line, []).append(f"{error.column}: {error.reason}")
    before, passed = set(outcome.imported_before), set(outcome.passed)

    def result(line: int) -> tuple[str, str]:
        if line in reasons:
            return "refused", "Refused: " + "; ".join(reasons[line])
        if line in before:
            return "before", "Imported before: left as it is"
        if line not in passed:
            return "unchecked", "Not checked: the file itself is refused"
        if outcome.errors:
            return "passes", "Passes, but nothing is imported while a row is refused"
        return "new", "Would be imported" if outcome.dry_run else "Imported"

    return {line: result(line) for line in lines}
