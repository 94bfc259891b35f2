"""Statements: issue a month's report of an engagement, list them, read one as JSON,
CSV or PDF.

A statement is put together here from the read models (the monthly report, and each
earlier stated month as it stands now, for the adjustments), stamped with a signed
checkpoint of the log, signed itself, and recorded by the ledger, which keeps it as
issued. Reading one returns the stored document, byte for byte the same whatever was
written since.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import marshmallow as ma
from flask import Response, abort, render_template, request

from projections.reports.monthly import monthly_report
from projections.reports.statement import (
    adjustments,
    canonical_json,
    flagged_after_close,
    plain,
    stated_so_far,
    units_by_activity,
)
from service.application.caller import Caller
from service.application.commands import Written
from service.domain.calendar import Month
from service.web.api.audit import make_checkpoint
from service.web.documents.pdf_files import PDF, PdfDocument, PdfPreparingSchema, pdf_response
from service.web.documents.statement_files import (
    statement_csv,
    statement_file_name,
    statement_json,
)
from service.web.http.auth import principal, require_visible, requires
from service.web.http.boundary import Blueprint
from service.web.http.reads import fresh
from service.web.http.runtime import ledger, runtime, today
from service.web.http.writes import caller, written
from service.web.schemas.common import WrittenSchema, month_field

blp = Blueprint("statements", __name__, url_prefix="/api", description="Statements")

CSV = "text/csv"


class StatementInSchema(ma.Schema):
    month = month_field(metadata={"example": "2026-10"})


class StatementSchema(ma.Schema):
    id = ma.fields.String()
    engagement = ma.fields.Dict()
    month = ma.fields.String()
    issued_at = ma.fields.String()
    issued_by = ma.fields.String()
    figures = ma.fields.Dict(metadata={"description": "the monthly report of the engagement"})
    adjustments = ma.fields.List(
        ma.fields.Dict(),
        metadata={
            "description": "changes since earlier statements to months they stated: "
            "month, activity_id, units_told, units_now, change"
        },
    )
    checkpoint = ma.fields.Dict(metadata={"description": "the signed checkpoint of the log"})
    algorithm = ma.fields.String()
    key_id = ma.fields.String()
    signature = ma.fields.String(
        metadata={"description": "Ed25519, base64, over the canonical JSON without it"}
    )


class StatementWrittenSchema(StatementSchema, WrittenSchema):
    pass


class StatementListSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(StatementSchema))


@blp.route("/engagements/<uuid:engagement_id>/statements", methods=["POST"])
@requires("issue_statement")
@blp.arguments(StatementInSchema)
@blp.response(201, StatementWrittenSchema)
def issue(body, engagement_id: UUID):
    """Issue the month's statement of the engagement: its figures as they stand, the
    adjustments to months stated before, a signed checkpoint of the log. A month is
    stated once (409 after). Honours `Idempotency-Key`."""
    month = Month.parse(body["month"])
    not_yet = not_begun(month)
    if not_yet:
        abort(422, description=not_yet)
    result = issue_of_month(engagement_id, month, caller())
    return written(result, result.value)


@blp.route("/engagements/<uuid:engagement_id>/statements", methods=["GET"])
@requires("list_statements")
@blp.response(200, StatementListSchema)
def list_statements(engagement_id: UUID):
    """The engagement's statements, in the order issued."""
    require_visible(engagement_id, f"no engagement {engagement_id}")
    return {"items": ledger().statements_of(engagement_id)}


@blp.route("/statements/<uuid:statement_id>", methods=["GET"])
@requires("show_statement")
@blp.response(200, StatementSchema)
@blp.alt_response(200, schema={"type": "string"}, content_type=CSV, success=True)
@blp.alt_response(
    200, schema={"type": "string", "format": "binary"}, content_type=PDF, success=True
)
@blp.alt_response(
    202,
    schema=PdfPreparingSchema,
    description="the PDF asked for is being prepared: ask again after Retry-After seconds",
    headers={
        "Retry-After": {
            "description": "seconds to wait before asking again",
            "schema": {"type": "integer", "minimum": 1},
        }
    },
    success=True,
)
def read(statement_id: UUID):
    """One statement exactly as issued: JSON, CSV (`Accept: text/csv`) or PDF
    (`Accept: application/pdf`, with the checkpoint printed). The PDF is printed by the
    worker once: until it is, 202 with `Retry-After` (ask again then)."""
    document = ledger().statement(statement_id)
    require_visible(UUID(document["engagement"]["id"]), f"no statement {statement_id}")
    name = statement_file_name(document)
    wanted = request.accept_mimetypes.best_match(["application/json", CSV, PDF])
    if wanted == CSV:
        return Response(statement_csv(document), mimetype=CSV, headers=_attachment(f"{name}.csv"))
    if wanted == PDF:  # rendered by the worker: 202 with Retry-After until it is
        return pdf_response(PdfDocument.statement(statement_id), filename=f"{name}.pdf")
    return Response(statement_json(document), mimetype="application/json")


def not_begun(month: Month) -> str | None:
    """Why `month` cannot be stated yet (it has not begun), or None: a statement is of
    a month under way or past."""
    if month > Month.of(today()):
        return f"{month} has not begun; a statement is of a month under way or past"
    return None


def issue_of_month(engagement_id: UUID, month: Month, caller: Caller) -> Written[dict[str, Any]]:
    """Issue the month's statement for `caller` (the API's request or a page's form):
    its request id, when it has one, is the statement's id, so a retry finds the first."""
    statement_id = caller.request_id or uuid4()
    document = statement_document(engagement_id, month, statement_id)
    return ledger().issue_statement(
        engagement_id, month=str(month), document=document, caller=caller.for_request(statement_id)
    )


def statement_document(engagement_id: UUID, month: Month, statement_id: UUID) -> dict[str, Any]:
    """The signed statement of the month, from the read models as they stand."""
    read_models = fresh(monthly_report, None)
    day = today()
    engagement = str(engagement_id)

    def figures_of(of: Month) -> dict[str, Any]:
        report = monthly_report(read_models, of, day, engagement)
        if not report["engagements"]:
            abort(404, description=f"no engagement {engagement_id}")
        return plain(report["engagements"][0])

    figures = figures_of(month)
    told = stated_so_far(ledger().statements_of(engagement_id))
    told.pop(str(month), None)
    earlier = {stated: figures_of(Month.parse(stated)) for stated in told}
    now = {stated: units_by_activity(stated_figures) for stated, stated_figures in earlier.items()}
    flagged = frozenset().union(*(flagged_after_close(f) for f in earlier.values()))
    signer = runtime().signer()
    document = {
        "id": str(statement_id),
        "engagement": {
            "id": engagement,
            "name": figures["name"],
            "community": figures["community"],
        },
        "month": str(month),
        "issued_at": datetime.now(UTC).isoformat(),
        "issued_by": principal().actor,
        "figures": figures,
        "adjustments": adjustments(told, now, flagged),
        "checkpoint": make_checkpoint(),
        "algorithm": "Ed25519",
        "key_id": signer.key_id,
    }
    document["signature"] = signer.sign_base64(canonical_json(document))
    return document


def statement_html(document: dict[str, Any], names: dict[str, str]) -> str:
    """The statement as the worker prints it: the same figures, adjustments and
    checkpoint as the JSON, so the partner holds the log's root outside our database;
    people by name (`names`: handle -> name), moments in words."""
    return render_template("statement.html", statement=document, names=names)


def _attachment(filename: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{filename}"'}
