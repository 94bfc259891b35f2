"""Statements of an engagement (`/engagements/{id}/statements`): the ones issued, each
to download as PDF, CSV or JSON; and, for BD and admins, issuing one: choose a month,
see the figures it will carry (`…/statements/new?month=YYYY-MM`), then issue it.

The same schema, checks and document as `POST /api/engagements/{id}/statements`
(`issue_of_month`, service/web/api/statements.py): the preview is the monthly report
the statement's figures are, read as they stand. The downloads are the API's
representations byte for byte (service/web/documents/statement_files.py), for the
browser's session; the PDF is the one the worker prints (`/statements/{id}.pdf`,
report_pages.py). A month not begun, or stated already, is refused in words and
nothing is issued."""

from __future__ import annotations

from uuid import UUID

from flask import Response, abort, flash, g, redirect, render_template, request, url_for

from projections.reports.queries import engagement_row
from service.domain import DomainError
from service.domain.calendar import Month, add_months
from service.web.api.statements import StatementInSchema, issue_of_month, not_begun
from service.web.documents.statement_files import (
    statement_csv,
    statement_file_name,
    statement_json,
)
from service.web.http.reads import fresh, read_fresh
from service.web.http.runtime import ledger, today
from service.web.pages.blueprints import page_blueprint, refusal, status_of
from service.web.pages.forms import Errors, form_caller, load, new_form_key
from service.web.pages.people import page
from service.web.pages.report_pages import report_context
from service.web.pages.wording import plural

blp = page_blueprint("statement_pages", __name__)

ISSUE_FIELDS = ("month",)
DOWNLOADS = {"csv": ("text/csv", statement_csv), "json": ("application/json", statement_json)}


@blp.route("/engagements/<uuid:engagement_id>/statements", methods=["GET"])
@page("page:statements")
def statements(engagement_id: UUID):
    last_month = str(add_months(Month.of(today()), -1))
    return _list_page(engagement_id, last_month, {})


@blp.route("/engagements/<uuid:engagement_id>/statements/new", methods=["GET"])
@page("page:issue_statement")
def preview(engagement_id: UUID):
    month, errors = asked_month(request.args.get("month", ""))
    if month is None:
        return _list_page(engagement_id, request.args.get("month", ""), errors), 422
    return _preview_page(engagement_id, month, {}, new_form_key())


@blp.route("/engagements/<uuid:engagement_id>/statements/new", methods=["POST"])
@page("page:issue_statement")
def issue(engagement_id: UUID):
    month, errors = asked_month(request.form.get("month", ""))
    if month is None:
        return _list_page(engagement_id, request.form.get("month", ""), errors), 422
    key = request.form.get("form_key") or new_form_key()
    try:
        result = issue_of_month(engagement_id, month, form_caller())
    except DomainError as refused:
        return _preview_page(engagement_id, month, refusal(refused, ISSUE_FIELDS), key), status_of(
            refused
        )
    figures = result.value["figures"]["totals"]
    flash(
        f"Issued the statement for {month}: {plural(figures['units_used_month'], 'unit')} used in "
        f"{month}, {figures['units_used_to_date']} to date, of {figures['units_granted']} "
        "granted. It is signed and will not change.",
        "recorded",
    )
    return redirect(url_for("statement_pages.statements", engagement_id=engagement_id), code=303)


@blp.route("/statements/<uuid:statement_id>.<any(csv, json):kind>", methods=["GET"])
@page("page:statements")
def download(statement_id: UUID, kind: str):
    """The statement as the API answers it in that format, as a file to save."""
    document = ledger().statement(statement_id)
    if not g.principal.may_see_engagement(UUID(document["engagement"]["id"])):
        abort(404, description=f"no statement {statement_id}")
    mimetype, body = DOWNLOADS[kind]
    filename = f"{statement_file_name(document)}.{kind}"
    return Response(
        body(document),
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def asked_month(text: str) -> tuple[Month | None, Errors]:
    """The month asked for, if the API's schema takes it and it has begun; else why not."""
    if not text.strip():
        return None, {"month": ["Choose the month the statement is of."]}
    loaded, errors = load(StatementInSchema(), {"month": text.strip()})
    if loaded is None:
        return None, errors
    month = Month.parse(loaded["month"])
    not_yet = not_begun(month)
    if not_yet:
        return None, {"month": [not_yet]}
    return month, {}


def _engagement_name(engagement_id: UUID) -> str:
    """404 for an engagement there is not, or the person may not see."""
    row = None
    if g.principal.may_see_engagement(engagement_id):
        row = read_fresh(engagement_row, None, str(engagement_id))
    if row is None:
        abort(404, description=f"no engagement {engagement_id}")
    return row["name"]


def _list_page(engagement_id: UUID, month: str, errors: Errors) -> str:
    return render_template(
        "pages/statements.html",
        engagement_id=engagement_id,
        name=_engagement_name(engagement_id),
        statements=ledger().statements_of(engagement_id),
        month=month,
        errors=errors,
    )


def _preview_page(engagement_id: UUID, month: Month, errors: Errors, key: str) -> str:
    _engagement_name(engagement_id)
    stated = {s["month"]: s for s in ledger().statements_of(engagement_id)}
    context = report_context(fresh(report_context, None), engagement_id, month, today())
    return render_template(
        "pages/statement_preview.html",
        **context,
        issued=stated.get(str(month)),
        errors=errors,
        form_key=key,
    )
