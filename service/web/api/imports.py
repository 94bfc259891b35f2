"""Importing history over HTTP (admin only): `POST /api/imports/activities` and
`POST /api/imports/allocations`, the CSV file as the body (`Content-Type: text/csv`),
`?dry_run=true` to check it without writing. The file is read as the command line
reads it (service/web/schemas/import_file.py) and imported by the same ledger method.

Answers: 201 with the counts when rows were written; 200 when none were (a dry run,
or every row imported before); 422 listing every wrong row, when nothing was written.
The body limit (1 MiB) holds here as everywhere: some 10,000 short rows. A larger file
goes through `flask --app wsgi import`, which has no limit and shows its progress."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import marshmallow as ma
from flask import Response, abort, json, request

from service.application.imports.rows import ImportOutcome
from service.web.http.auth import principal, requires
from service.web.http.boundary import Blueprint
from service.web.http.openapi import PROBLEM_JSON, problem_response
from service.web.http.problems import ProblemSchema, problem
from service.web.http.runtime import ledger
from service.web.schemas.import_file import read_activities, read_allocations

blp = Blueprint("imports", __name__, url_prefix="/api", description="Importing history (CSV)")

CSV_BODY = {
    "required": True,
    "description": (
        "the file, UTF-8, a header line naming its columns (docs/how-to/import-history.md)"
    ),
    "content": {"text/csv": {"schema": {"type": "string"}}},
}


class BadRowSchema(ma.Schema):
    line = ma.fields.Integer(metadata={"description": "where the row starts; the header is 1"})
    column = ma.fields.String(metadata={"description": "the column, or `file`"})
    reason = ma.fields.String()


class ImportProblemSchema(ProblemSchema):
    """A refused file: the problem every 422 is, with each wrong row also as a list."""

    bad_rows = ma.fields.List(ma.fields.Nested(BadRowSchema))


RESPONSES = {
    "415": problem_response("The body is not sent as `Content-Type: text/csv` (UTF-8)"),
    "422": {
        "description": (
            "A row (or the file) is wrong, each listed in `errors` and `bad_rows`; nothing written"
        ),
        "content": {PROBLEM_JSON: {"schema": ImportProblemSchema}},
    },
}
NOTHING_WRITTEN = "Nothing written: a dry run, or every row imported before"
WRITTEN = "Rows written"
SHOWN_IN_DETAIL = 3


class ImportQuerySchema(ma.Schema):
    dry_run = ma.fields.Boolean(
        load_default=False, metadata={"description": "check every row, write nothing"}
    )


class ImportOutcomeSchema(ma.Schema):
    rows = ma.fields.Integer(metadata={"description": "data rows in the file"})
    imported = ma.fields.Integer(metadata={"description": "rows written (dry run: would be)"})
    skipped = ma.fields.Integer(metadata={"description": "rows imported before: left as they are"})
    dry_run = ma.fields.Boolean()
    position = ma.fields.Integer(
        metadata={"description": "log position of the last write; pass as min_position"}
    )


def import_route(path: str, permission: str) -> Callable[[Callable], Callable]:
    """The contract both imports share: a CSV body, `?dry_run=`, 200 when nothing was
    written and 201 when rows were, 415 and 422 refusals; guarded by `permission`."""

    def decorator(view: Callable) -> Callable:
        view = blp.doc(requestBody=CSV_BODY, responses=RESPONSES)(view)
        view = blp.alt_response(201, schema=ImportOutcomeSchema, description=WRITTEN, success=True)(
            view
        )
        view = blp.response(200, ImportOutcomeSchema, description=NOTHING_WRITTEN)(view)
        view = blp.arguments(ImportQuerySchema, location="query")(view)
        return blp.route(path, methods=["POST"])(requires(permission)(view))

    return decorator


@import_route("/imports/activities", "import_activities")
def import_activities(query):
    """Import activities, each stamped with its original `recorded_at`."""
    file = read_activities(_csv_body())
    return _answer(
        ledger().import_activities(file, actor=principal().actor, dry_run=query["dry_run"])
    )


@import_route("/imports/allocations", "import_allocations")
def import_allocations(query):
    """Import allocations, each stamped with its `granted_at` when the file gives one."""
    file = read_allocations(_csv_body())
    return _answer(
        ledger().import_allocations(file, actor=principal().actor, dry_run=query["dry_run"])
    )


def _csv_body() -> bytes:
    if request.mimetype != "text/csv":
        abort(415, description="send the file as the body, with Content-Type: text/csv")
    charset = request.mimetype_params.get("charset", "utf-8").lower()
    if charset not in ("utf-8", "utf8"):
        abort(415, description=f"send the file as UTF-8 (charset={charset} was named)")
    return request.get_data(cache=False)


def _answer(outcome: ImportOutcome) -> Any:
    if outcome.errors:
        return _refused(outcome)
    body = {
        "rows": outcome.rows,
        "imported": outcome.imported,
        "skipped": outcome.skipped,
        "dry_run": outcome.dry_run,
        "position": outcome.position,
    }
    status = 201 if outcome.imported and not outcome.dry_run else 200
    return body, status, {"X-Event-Position": str(outcome.position)}


def _refused(outcome: ImportOutcome) -> Response:
    """422, every wrong row listed twice: in `errors` ({"line 3, units": [..]}, as every
    validation problem of the API) and in `bad_rows` ([{line, column, reason}])."""
    errors: dict[str, list[str]] = {}
    for error in outcome.errors:
        errors.setdefault(f"line {error.line}, {error.column}", []).append(error.reason)
    lines = len({error.line for error in outcome.errors})
    shown = "; ".join(
        f"line {e.line}, {e.column}: {e.reason}" for e in outcome.errors[:SHOWN_IN_DETAIL]
    )
    more = " …" if len(outcome.errors) > SHOWN_IN_DETAIL else ""
    detail = (
        f"nothing was imported: {lines} line{'s' if lines != 1 else ''} of the file "
        f"{'are' if lines != 1 else 'is'} wrong: {shown}{more}"
    )
    response = problem(422, detail, errors)
    body = response.get_json()
    body["bad_rows"] = [
        {"line": e.line, "column": e.column, "reason": e.reason} for e in outcome.errors
    ]
    response.set_data(json.dumps(body))
    return response
