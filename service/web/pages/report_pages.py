"""The monthly report of one engagement as a page and as a PDF with the same content
(`/engagements/{id}/reports/{YYYY-MM}` and `….pdf`), and issued statements' PDFs.

This is what a partner community is shown: the figures of the API's monthly report
(`monthly_report`, the same function), people by name, and a burn chart per
allocation; no token ids, log positions or internal flags (late, after-close,
recorded-by). Both renderings come from one template part, so they cannot drift."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any
from uuid import UUID

import marshmallow as ma
from flask import Response, abort, g, render_template

from projections.engine.calendar import Month, report_day
from projections.reports import monthly_report
from service.web.pages.blueprints import page_blueprint
from service.web.pages.charts import burn_chart
from service.web.pages.engagement_pages import READERS, usage_of
from service.web.pages.people import page
from service.web.reads import fresh
from service.web.reports import supported_month
from service.web.runtime import ledger, today
from service.web.statements import statement_pdf

blp = page_blueprint("report_pages", __name__)

MONTH = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])")
PDF = "application/pdf"


@blp.route("/engagements/<uuid:engagement_id>/reports/<month>", methods=["GET"])
@page(*READERS)
def monthly_report_page(engagement_id: UUID, month: str):
    if month.endswith(".pdf"):
        return monthly_report_pdf(engagement_id, month.removesuffix(".pdf"))
    return render_template("pages/report.html", **report_context(engagement_id, month))


def monthly_report_pdf(engagement_id: UUID, month: str) -> Response:
    from weasyprint import HTML  # imported on use: it loads Pango, which takes a while

    context = report_context(engagement_id, month)
    pdf = HTML(string=render_template("pages/report_pdf.html", **context)).write_pdf()
    filename = f"report-{month}-{context['report']['name']}.pdf"
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", filename)
    return Response(
        pdf, mimetype=PDF, headers={"Content-Disposition": f'attachment; filename="{safe}"'}
    )


@blp.route("/statements/<uuid:statement_id>.pdf", methods=["GET"])
@page(*READERS)
def statement_file(statement_id: UUID):
    """An issued statement, printed from its document exactly as issued."""
    document = ledger().statement(statement_id)
    if not g.principal.may_see_engagement(UUID(document["engagement"]["id"])):
        abort(404, description=f"no statement {statement_id}")
    return Response(
        statement_pdf(document),
        mimetype=PDF,
        headers={
            "Content-Disposition": f'attachment; filename="statement-{document["month"]}.pdf"'
        },
    )


def report_context(engagement_id: UUID, month_text: str) -> dict[str, Any]:
    try:
        if not MONTH.fullmatch(month_text):
            raise ma.ValidationError("give the month as YYYY-MM")
        supported_month(month_text)
    except ma.ValidationError:
        abort(404, description=f"{month_text!r} is not a month the ledger reports (YYYY-MM)")
    if not g.principal.may_see_engagement(engagement_id):
        abort(404, description=f"no engagement {engagement_id}")
    month = Month.parse(month_text)
    read_models = fresh(("balances", "usage", "activities", "team"), None)
    report = monthly_report(read_models, month, today(), str(engagement_id))
    if not report["engagements"]:
        abort(404, description=f"no engagement {engagement_id}")
    engagement = report["engagements"][0]
    names = {handle: person.name for handle, person in read_models.view("team").members().items()}
    on = report_day(month, today())
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
