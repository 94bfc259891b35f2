"""The monthly report of one engagement as a page and as a PDF with the same content
(`/engagements/{id}/reports/{YYYY-MM}` and `….pdf`), and issued statements' PDFs.

This is what a partner community is shown: the figures of the API's monthly report
(`monthly_report`, the same function), people by name, and a burn chart per
allocation; no token ids, log positions or internal flags (late, after-close,
recorded-by). Both renderings come from one template part, so they cannot drift.
The PDFs are rendered by the worker, not here (service/web/documents/pdf_files.py)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from uuid import UUID

import marshmallow as ma
from flask import Response, abort, g, render_template, request, url_for

from projections import Projections
from projections.engine.freshness import target_position
from projections.reports import monthly_report
from projections.reports.declared import reads
from projections.reports.queries import engagement_row, member_names
from service.domain.calendar import Month, report_day
from service.infra.input_policy import INT64_MAX
from service.web.documents.pdf_files import PdfDocument, pdf_response
from service.web.http.reads import fresh, read_fresh
from service.web.http.runtime import ledger, runtime, today
from service.web.pages.blueprints import page_blueprint
from service.web.pages.charts import burn_chart
from service.web.pages.engagement_pages import usage_of
from service.web.pages.people import page
from service.web.schemas.common import supported_month

blp = page_blueprint("report_pages", __name__)


@blp.route("/engagements/<uuid:engagement_id>/reports/<month>", methods=["GET"])
@page("page:reports")
def monthly_report_page(engagement_id: UUID, month: str):
    if month.endswith(".pdf"):
        return monthly_report_pdf(engagement_id, month.removesuffix(".pdf"))
    month_asked = checked_month(month)
    visible_engagement(engagement_id)
    read_models = fresh(report_context, None)
    context = report_context(read_models, engagement_id, month_asked, today())
    return render_template("pages/report.html", **context)


def monthly_report_pdf(engagement_id: UUID, month_text: str) -> Response:
    """The report as a PDF the worker renders (service/web/documents/pdf_files.py), reflecting
    at least the log as it ends now (or at `min_position`, when the page that said
    "being prepared" reloads)."""
    month = checked_month(month_text)
    visible_engagement(engagement_id)
    read_models = runtime().projections()
    target = target_position(read_models, min_position_asked())
    engagement = read_fresh(engagement_row, target, str(engagement_id))
    if engagement is None:
        abort(404, description=f"no engagement {engagement_id}")
    pdf_url = url_for(
        "report_pages.monthly_report_page",
        engagement_id=engagement_id,
        month=f"{month}.pdf",
        min_position=target,
    )
    return pdf_response(
        PdfDocument.report(engagement_id, month),
        filename=f"report-{month}-{engagement['name']}.pdf",
        day=today().isoformat(),
        min_position=target,
        retry_url=pdf_url,
    )


def report_pdf_html(read_models: Projections, engagement_id: UUID, month: Month, day: date) -> str:
    """What the worker prints: the report as the page shows it, drawn for `day`."""
    context = report_context(read_models, engagement_id, month, day)
    return render_template("pages/report_pdf.html", **context)


@blp.route("/statements/<uuid:statement_id>.pdf", methods=["GET"])
@page("page:reports")
def statement_file(statement_id: UUID):
    """An issued statement, printed from its document exactly as issued (by the worker,
    once)."""
    document = ledger().statement(statement_id)
    if not g.principal.may_see_engagement(UUID(document["engagement"]["id"])):
        abort(404, description=f"no statement {statement_id}")
    return pdf_response(
        PdfDocument.statement(statement_id),
        filename=f"statement-{document['month']}.pdf",
        retry_url=url_for("report_pages.statement_file", statement_id=statement_id),
    )


def checked_month(month_text: str) -> Month:
    try:
        month = Month.parse(month_text)
        supported_month(month_text)
    except (ValueError, ma.ValidationError):
        abort(404, description=f"{month_text!r} is not a month the ledger reports (YYYY-MM)")
    return month


def visible_engagement(engagement_id: UUID) -> None:
    if not g.principal.may_see_engagement(engagement_id):
        abort(404, description=f"no engagement {engagement_id}")


def min_position_asked() -> int | None:
    """The `min_position` a "being prepared" page reloads with (a log position)."""
    text = request.args.get("min_position")
    if text is None:
        return None
    if not (text.isascii() and text.isdigit() and int(text) <= INT64_MAX):
        abort(400, description="min_position must be a log position (a whole number)")
    return int(text)


@reads("activities", through=(monthly_report, member_names))
def report_context(
    read_models: Projections, engagement_id: UUID, month: Month, day: date
) -> dict[str, Any]:
    """The report's figures and charts, from read models that have caught up, as they
    stand on `day` (the service's today)."""
    report = monthly_report(read_models, month, day, str(engagement_id))
    if not report["engagements"]:
        abort(404, description=f"no engagement {engagement_id}")
    engagement = report["engagements"][0]
    names = member_names(read_models)
    on = report_day(month, day)
    activities = read_models.view("activities")
    charts = {
        allocation["id"]: burn_chart(
            title=f"Units used: {allocation['description']}",
            start=allocation["start_date"],
            end=allocation["end_date"],
            granted=allocation["units_granted"],
            usage=usage_of(
                [a for a in activities.of_allocation(allocation["id"]) if not a["retracted"]]
            ),
            today=on,
            chart_id=f"burn-{allocation['id']}",
        )
        for project in engagement["projects"]
        for allocation in project["allocations"]
    }
    return {
        "report": engagement,
        "month": month,
        "on": on,
        "names": names,
        "charts": charts,
        "engagement_id": engagement_id,
        "previous_month": str(Month.of(month.first_day - timedelta(days=1))),
        "next_month": str(month.next()),
    }
